package dev.meridian.backup.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.meridian.backup.config.Settings;
import dev.meridian.backup.embed.Meridian;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.repository.Compression;
import dev.meridian.backup.store.file.DurableFiles;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.rocksdb.BackupEngine;
import org.rocksdb.BackupEngineOptions;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.Env;
import org.rocksdb.RocksDB;
import org.rocksdb.WriteOptions;

/**
 * What a backup costs the application that owns the database (issue 9, "What a backup costs the host"). In this one
 * JVM a host opens a generated RocksDB database and writes continuously from N writer threads (512-byte values,
 * numbered keys, each writer overwriting its own key range so the database keeps its size), timing every
 * {@code put}. Each round runs three phases of the same length, in an order rotated by one place per round:
 * <ul>
 *   <li>{@code baseline}: no backup runs;</li>
 *   <li>{@code Meridian}: Meridian embedded ({@link Meridian#register} with the host's handle, a fresh repository
 *       each round) takes backups back to back, the first one full, the next ones holding what changed since;</li>
 *   <li>{@code BackupEngine}: RocksDB's BackupEngine ({@code createNewBackup(db, true)}, a fresh backup directory
 *       each round) does the same on the same handle.</li>
 * </ul>
 * Reported per phase: median over rounds of write throughput (writes/s) and of p50/p99 write latency (µs), the
 * ratios of each phase to the baseline, and the backups that completed inside the phase. Everything lives in a
 * temporary work directory that is removed at the end.
 */
public final class HostUnderLoad {
    public static final String BASELINE = "baseline";
    public static final String MERIDIAN = "Meridian";
    public static final String BACKUP_ENGINE = "BackupEngine";
    static final int VALUE_BYTES = 512;
    private static final String DATABASE = "host";

    /**
     * What to run: a generated database of {@code sizeMb} MiB, {@code runs} rounds, {@code writers} writer threads,
     * phases of {@code seconds} s each; {@code workDir} null: the temp directory.
     *
     * @throws BackupException invalid_argument for a value out of range
     */
    public record Options(int sizeMb, int runs, int writers, int seconds, Path workDir, String compression) {
        public Options {
            if (sizeMb < 1 || sizeMb > 1 << 20) {
                throw BackupException.invalid("--size-mb must be 1..1048576, got " + sizeMb);
            }
            if (runs < 1 || runs > 100) {
                throw BackupException.invalid("--runs must be 1..100, got " + runs);
            }
            if (writers < 1 || writers > 256) {
                throw BackupException.invalid("--writers must be 1..256, got " + writers);
            }
            if (seconds < 1 || seconds > 3600) {
                throw BackupException.invalid("--seconds must be 1..3600, got " + seconds);
            }
            Compression.parse(compression);
        }
    }

    /**
     * One phase over the rounds: per-round writes/s, p50 and p99 write latency (µs) and backups completed (in round
     * order), the longest write of each round (µs), their medians, and the phase's ratios to the baseline (ratio of the medians; 1.0 for the baseline
     * itself), and the median of the per-round ratios (paired: the phases of one round ran minutes apart at most, so
     * these are the steadier figures when other load on the machine drifts). {@code medianBackupMs}: the median duration of the completed backups, null when none (or baseline).
     */
    public record Row(String phase, String what, List<Long> writesPerSecond, List<Long> p50Micros, List<Long> p99Micros,
            List<Long> maxMicros, List<Integer> backups, long medianWritesPerSecond, long medianP50Micros, long medianP99Micros,
            double throughputOfBaseline, double p99OfBaseline, double pairedThroughputOfBaseline, double pairedP99OfBaseline,
            Long medianBackupMs) {}

    /** The whole report; {@code databaseBytes} is the generated database before the writers start. */
    public record Result(long databaseBytes, int writers, int valueBytes, int phaseSeconds, int rounds, String order,
            String compression, int cpus, double loadAverageAtStart, double loadAverageAtEnd, List<Row> rows, List<String> notes) {}

    /** One phase of one round. */
    private record Measured(String phase, long writes, long nanos, LatencyHistogram latencies, List<Long> backupMs) {}

    private final Options options;
    private final PrintStream log;
    private final Path work;
    private final Path dbDir;
    private final DBOptions dbOptions = new DBOptions();
    private final ColumnFamilyOptions cfOptions = new ColumnFamilyOptions();
    private final WriteOptions writeOptions = new WriteOptions();
    private RocksDB db;
    private final List<ColumnFamilyHandle> handles = new ArrayList<>();
    private final long[] nextKey;
    private final long keysPerWriter;

    private HostUnderLoad(Options options, PrintStream log, Path work) {
        this.options = options;
        this.log = log;
        this.work = work;
        this.dbDir = work.resolve("host-db");
        this.nextKey = new long[options.writers()];
        this.keysPerWriter = Math.max(1000, ((long) options.sizeMb() << 20) / VALUE_BYTES / options.writers());
    }

    /**
     * Runs the benchmark; progress lines go to {@code log}. The work directory (database, repositories, backup
     * directories) is removed afterwards, also on failure.
     *
     * @throws BackupException or another exception naming what failed (a backup, a write, the work directory)
     */
    public static Result run(Options options, PrintStream log) throws Exception {
        Path parent = options.workDir() != null ? options.workDir() : Path.of(System.getProperty("java.io.tmpdir"));
        Files.createDirectories(parent);
        Path work = Files.createTempDirectory(parent.toAbsolutePath(), "meridian-bench-host-");
        HostUnderLoad h = new HostUnderLoad(options, log, work);
        try {
            return h.run();
        } finally {
            h.closeDatabase();
            DurableFiles.deleteTree(work);
        }
    }

    private Result run() throws Exception {
        double loadAtStart = loadAverage();
        log.printf("building a %d MiB database for the host%n", options.sizeMb());
        BenchData.generate(dbDir, options.sizeMb(), 1);
        long dbBytes = BenchData.databaseBytes(dbDir);
        openDatabase();

        List<String> phases = List.of(BASELINE, MERIDIAN, BACKUP_ENGINE);
        int warmUpSeconds = Math.max(1, Math.min(5, options.seconds() / 2));
        log.printf("warm-up: each phase for %d s (not reported)%n", warmUpSeconds);
        for (String phase : phases) {
            phase(phase, 0, warmUpSeconds);
        }
        List<Measured> measured = new ArrayList<>();
        for (int r = 0; r < options.runs(); r++) {
            for (int k = 0; k < phases.size(); k++) {
                String phase = phases.get((k + r) % phases.size());
                log.printf("round %d/%d: %s, %d s%n", r + 1, options.runs(), phase, options.seconds());
                measured.add(phase(phase, r + 1, options.seconds()));
            }
        }
        closeDatabase();

        List<Row> rows = rows(measured);
        List<String> notes = List.of(
                "baseline: " + options.writers() + " writer threads put " + VALUE_BYTES + "-byte values (half random, half a "
                        + "repeated pattern) under numbered keys, each writer overwriting its own range of " + keysPerWriter
                        + " keys; WAL on, no sync per write; nothing else runs",
                "Meridian: the same writers while Meridian, embedded in this JVM with the host's handle registered "
                        + "(owner = application), takes backups back to back into a fresh local repository each round "
                        + "(compression " + options.compression() + ", auto-verify off): the first one full, each next one "
                        + "a RocksDB checkpoint of which only the changed SSTs are stored",
                "BackupEngine: the same writers while RocksDB's BackupEngine (rocksdbjni, shared table files, sync on) runs "
                        + "createNewBackup(db, flush = true) back to back on the same handle into a fresh directory each round",
                "throughput = writes completed in the phase / its length; p50, p99 = write latency of every put in the "
                        + "phase across all writers (log buckets, within 1.6%), max = the longest write of each round; medians over rounds; x baseline = ratio of "
                        + "the medians, per round = median of each round's ratio to that round's baseline (throughput below 1.00x and p99 above 1.00x are what the backup costs the host)",
                "throughput also counts the CPU the backup takes from the writers between their puts (the backup runs on the "
                        + "same " + Runtime.getRuntime().availableProcessors() + " CPUs), which latency per put does not",
                "backups = backups that completed inside the phase (one still running at its end is not counted, and is "
                        + "awaited before the next phase starts)",
                "phases in an order rotated by one place per round; an untimed warm-up of each phase runs first");
        return new Result(dbBytes, options.writers(), VALUE_BYTES, options.seconds(), options.runs(),
                "baseline, Meridian, BackupEngine, rotated by one place each round", options.compression(),
                Runtime.getRuntime().availableProcessors(), loadAtStart, loadAverage(), rows, notes);
    }

    /** The system's 1-minute load average (other work on the machine), -1 where the OS does not report it. */
    private static double loadAverage() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private void openDatabase() throws Exception {
        RocksDB.loadLibrary();
        List<ColumnFamilyDescriptor> descriptors = List.of(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions));
        db = RocksDB.open(dbOptions, dbDir.toString(), descriptors, handles);
    }

    private void closeDatabase() {
        if (db != null) {
            handles.forEach(ColumnFamilyHandle::close);
            handles.clear();
            db.close();
            db = null;
        }
        writeOptions.close();
        cfOptions.close();
        dbOptions.close();
    }

    /** Runs one phase of {@code seconds} s: the writers, and beside them the phase's backups (none for the baseline). */
    private Measured phase(String phase, int round, int seconds) throws Exception {
        Path dir = work.resolve(phase + "-" + round);
        try {
            return switch (phase) {
                case BASELINE -> write(phase, seconds, null);
                case MERIDIAN -> meridianPhase(dir, seconds);
                case BACKUP_ENGINE -> backupEnginePhase(dir, seconds);
                default -> throw new IllegalArgumentException(phase);
            };
        } finally {
            DurableFiles.deleteTree(dir);
        }
    }

    private Measured meridianPhase(Path dir, int seconds) throws Exception {
        Files.createDirectories(dir.resolve("restores"));
        Config config = ConfigFactory.parseMap(Map.of(
                "meridian.repository.path", dir.resolve("repository").toString(),
                "meridian.state-dir", dir.resolve("state").toString(),
                "meridian.repository.compression", options.compression(),
                "meridian.backup.auto-verify", false,
                "meridian.restore-roots", List.of(dir.resolve("restores").toString()),
                "meridian.databases", List.of(Map.of("name", DATABASE, "path", dbDir.toString(), "owner", "application"))))
                .withFallback(Settings.load(Optional.empty())).resolve();
        try (Meridian meridian = Meridian.start(config)) {
            meridian.register(DATABASE, db, handles);
            try {
                return write(MERIDIAN, seconds, () -> {
                    meridian.backup(DATABASE, BackupType.MANUAL, "host-under-load benchmark");
                    return null;
                });
            } finally {
                meridian.unregister(DATABASE);
            }
        }
    }

    private Measured backupEnginePhase(Path dir, int seconds) throws Exception {
        Files.createDirectories(dir); // rocksdbjni refuses a backup directory that does not exist yet
        try (BackupEngineOptions beOptions = new BackupEngineOptions(dir.toString()).setShareTableFiles(true).setSync(true);
                BackupEngine engine = BackupEngine.open(Env.getDefault(), beOptions)) {
            return write(BACKUP_ENGINE, seconds, () -> {
                engine.createNewBackup(db, true);
                return null;
            });
        }
    }

    /**
     * Runs the writers for {@code seconds} s and, when {@code backup} is not null, backups back to back on another
     * thread until the writers stop; a backup running then is awaited (and not counted) before this returns.
     */
    private Measured write(String phase, int seconds, Callable<Void> backup) throws Exception {
        int writers = options.writers();
        ExecutorService pool = Executors.newFixedThreadPool(writers + 1, r -> {
            Thread t = new Thread(r, "bench-host-" + phase);
            t.setDaemon(true);
            return t;
        });
        AtomicBoolean stop = new AtomicBoolean();
        try {
            List<Future<long[]>> written = new ArrayList<>();
            LatencyHistogram[] histograms = new LatencyHistogram[writers];
            long start = System.nanoTime();
            long deadline = start + seconds * 1_000_000_000L;
            for (int w = 0; w < writers; w++) {
                int writer = w;
                histograms[w] = new LatencyHistogram();
                written.add(pool.submit(() -> writeUntil(writer, deadline, histograms[writer])));
            }
            Future<List<Long>> backups = backup == null ? null : pool.submit(() -> backUpUntil(backup, deadline, stop));
            long writes = 0;
            LatencyHistogram all = new LatencyHistogram();
            for (int w = 0; w < writers; w++) {
                writes += written.get(w).get()[0];
                all.add(histograms[w]);
            }
            long elapsed = System.nanoTime() - start;
            stop.set(true);
            List<Long> backupMs = backups == null ? List.of() : backups.get();
            return new Measured(phase, writes, elapsed, all, backupMs);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause();
            throw new IllegalStateException("the " + phase + " phase failed: " + cause.getMessage(), cause);
        } finally {
            stop.set(true);
            pool.shutdown();
            // A writer that failed leaves the others and a backup running: they end at the deadline or after the
            // backup in flight, and must be done with the handle before it is unregistered or closed.
            pool.awaitTermination(1, java.util.concurrent.TimeUnit.DAYS);
        }
    }

    /** One writer: puts until the deadline, timing each; returns {writes}. */
    private long[] writeUntil(int writer, long deadline, LatencyHistogram histogram) throws Exception {
        SplittableRandom random = new SplittableRandom(writer * 7919L + nextKey[writer]);
        byte[] value = new byte[VALUE_BYTES];
        byte[] pattern = "meridian-host:".getBytes(StandardCharsets.US_ASCII);
        for (int i = VALUE_BYTES / 2; i < VALUE_BYTES; i++) {
            value[i] = pattern[i % pattern.length];
        }
        byte[] noise = new byte[VALUE_BYTES / 2];
        long n = nextKey[writer];
        long writes = 0;
        ColumnFamilyHandle cf = handles.get(0);
        byte[] key = String.format("host-w%03d-%012d", writer, 0).getBytes(StandardCharsets.US_ASCII);
        while (true) {
            random.nextBytes(noise);
            System.arraycopy(noise, 0, value, 0, noise.length);
            long k = n % keysPerWriter;
            for (int i = key.length - 1; i >= key.length - 12; i--, k /= 10) {
                key[i] = (byte) ('0' + k % 10);
            }
            long t0 = System.nanoTime();
            if (t0 >= deadline) {
                break;
            }
            db.put(cf, writeOptions, key, value);
            histogram.record(System.nanoTime() - t0);
            n++;
            writes++;
        }
        nextKey[writer] = n;
        return new long[] {writes};
    }

    /** Backups back to back until the deadline; returns the durations (ms) of those that completed before it. */
    private static List<Long> backUpUntil(Callable<Void> backup, long deadline, AtomicBoolean stop) throws Exception {
        List<Long> completed = new ArrayList<>();
        while (!stop.get() && System.nanoTime() < deadline) {
            long t0 = System.nanoTime();
            backup.call();
            long t1 = System.nanoTime();
            if (t1 <= deadline) {
                completed.add((t1 - t0) / 1_000_000);
            }
        }
        return completed;
    }

    private static List<Row> rows(List<Measured> measured) {
        Map<String, String> what = Map.of(
                BASELINE, "writers only, no backup",
                MERIDIAN, "Meridian embedded, backups back to back",
                BACKUP_ENGINE, "BackupEngine, backups back to back");
        List<Row> rows = new ArrayList<>();
        long baseThroughput = 0;
        long baseP99 = 0;
        List<Long> baseThroughputs = List.of();
        List<Long> baseP99s = List.of();
        for (String phase : List.of(BASELINE, MERIDIAN, BACKUP_ENGINE)) {
            List<Measured> ms = measured.stream().filter(m -> m.phase().equals(phase)).toList();
            List<Long> throughput = ms.stream().map(m -> Math.round(m.writes() / (m.nanos() / 1e9))).toList();
            List<Long> p50 = ms.stream().map(m -> m.latencies().percentileNanos(50) / 1000).toList();
            List<Long> p99 = ms.stream().map(m -> m.latencies().percentileNanos(99) / 1000).toList();
            List<Long> max = ms.stream().map(m -> m.latencies().percentileNanos(100) / 1000).toList();
            List<Integer> backups = ms.stream().map(m -> m.backupMs().size()).toList();
            List<Long> backupMs = ms.stream().flatMap(m -> m.backupMs().stream()).toList();
            long medianThroughput = Alternation.median(throughput);
            long medianP99 = Alternation.median(p99);
            if (phase.equals(BASELINE)) {
                baseThroughput = medianThroughput;
                baseP99 = medianP99;
                baseThroughputs = throughput;
                baseP99s = p99;
            }
            rows.add(new Row(phase, what.get(phase), throughput, p50, p99, max, backups, medianThroughput, Alternation.median(p50),
                    medianP99, medianThroughput / (double) Math.max(1, baseThroughput), medianP99 / (double) Math.max(1, baseP99),
                    Alternation.pairedRatio(throughput, baseThroughputs), Alternation.pairedRatio(p99, baseP99s),
                    phase.equals(BASELINE) || backupMs.isEmpty() ? null : Alternation.median(backupMs)));
        }
        return rows;
    }
}
