package dev.meridian.backup.bench;

import dev.meridian.backup.config.Settings;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.repository.Compression;
import dev.meridian.backup.rocks.LiveDatabase;
import dev.meridian.backup.store.file.DurableFiles;
import dev.meridian.backup.store.file.FileBlobStore;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The benchmark: builds (or copies) a database, then runs the contenders round after round in rotating order on
 * fresh copies, so that caches, background write-back and other load on the machine hit them alike, and reports
 * medians and Meridian/BackupEngine ratios from that one run.
 */
public final class Benchmark {
    /**
     * What to run. {@code db} null: generate {@code sizeMb} MiB, in about {@link BenchData#MANY_SSTS} small SSTs when
     * {@code manySsts}. {@code rateLimit} 0: no rate-limit pass.
     */
    public record Options(int sizeMb, int runs, Path db, Path workDir, String compression, long rateLimit, boolean scaling,
                          boolean manySsts) {
        public Options {
            if (manySsts && db != null) {
                throw BackupException.invalid("--dataset many-ssts generates its own database; drop --db or --dataset");
            }
            if (sizeMb < 1 || sizeMb > 1 << 20) {
                throw BackupException.invalid("--size-mb must be 1..1048576, got " + sizeMb);
            }
            if (runs < 1 || runs > 100) {
                throw BackupException.invalid("--runs must be 1..100, got " + runs);
            }
            if (rateLimit < 0) {
                throw BackupException.invalid("--rate-limit must be positive bytes per second");
            }
            if (scaling && db != null) {
                throw BackupException.invalid("--scaling generates its own N and 4N MiB databases; drop --db or --scaling");
            }
            Compression.parse(compression);
        }
    }

    private static final int WARM_UP_MIB = 32;
    private static final String DATABASE_NOTE = "1 KiB values, half random bytes and half a repeated pattern, "
            + "RocksDB compression none, flushed and compacted";
    static final String MANY_SSTS_NOTE = "many small SSTs: the same values compacted with a target file size of "
            + "1/" + BenchData.MANY_SSTS + " of the database, non-overlapping in the bottom level";

    private final Options options;
    private final PrintStream log;
    private final HeapMeter heapMeter = new HeapMeter();

    private Benchmark(Options options, PrintStream log) {
        this.options = options;
        this.log = log;
    }

    /** Runs the whole benchmark; progress lines go to {@code log}. The work directory is removed afterwards. */
    public static BenchReport run(Options options, PrintStream log) throws Exception {
        Benchmark b = new Benchmark(options, log);
        Path parent = options.workDir() != null ? options.workDir() : Path.of(System.getProperty("java.io.tmpdir"));
        Files.createDirectories(parent);
        Path work = Files.createTempDirectory(parent.toAbsolutePath(), "meridian-bench-");
        try (HeapMeter ignored = b.heapMeter) {
            return b.run(work);
        } finally {
            DurableFiles.deleteTree(work);
        }
    }

    private BenchReport run(Path work) throws Exception {
        Instant startedAt = Instant.now();
        double loadAtStart = loadAverage();
        Path source = work.resolve("source");
        String sourceNote;
        if (options.db() == null) {
            requireSpace(work, (long) options.sizeMb() << 20, options.scaling());
            if (options.manySsts()) {
                log.printf("building a %d MiB database of about %d SSTs (%s)%n", options.sizeMb(), BenchData.MANY_SSTS, MANY_SSTS_NOTE);
                BenchData.generateManySsts(source, options.sizeMb(), BenchData.MANY_SSTS, 1);
                sourceNote = "generated: " + MANY_SSTS_NOTE;
            } else {
                log.printf("building a %d MiB database (%s)%n", options.sizeMb(), DATABASE_NOTE);
                BenchData.generate(source, options.sizeMb(), 1);
                sourceNote = "generated: " + DATABASE_NOTE;
            }
        } else {
            // Proves it is a database (read-only: no lock, nothing written), then works on a copy: the changes the
            // benchmark makes must never reach the user's database.
            LiveDatabase.sequenceNumberOf(options.db());
            requireSpace(work, BenchData.sizeOf(options.db()), false);
            log.printf("copying %s%n", options.db());
            BenchData.copyDatabase(options.db(), source);
            sourceNote = "copy of " + options.db().toAbsolutePath();
        }
        long dbBytes = BenchData.databaseBytes(source);
        long changeBytes = Math.max(BenchData.VALUE_SIZE, dbBytes / 100);
        int[] counts = BenchData.fileCounts(source);

        List<Contender> contenders = List.of(new CopyContender(), new BackupEngineContender(),
                new MeridianContender(options.compression()));
        Set<Operation> all = EnumSet.of(Operation.COPY, Operation.FULL_BACKUP, Operation.INCREMENTAL, Operation.VERIFY,
                Operation.RESTORE);
        warmUp(work, contenders, all);
        List<Round> rounds = rounds(contenders, r -> new Contender.Plan(source, dbBytes, all, changeBytes, r, 0), work);

        int hashMib = Math.min(64, Math.max(8, options.sizeMb()));
        log.printf("hashing a %d MiB buffer on one thread%n", hashMib);
        List<HashThroughput.Result> hashing = HashThroughput.measure(hashMib, Math.max(5, options.runs()));

        BenchReport.Scaling scaling = options.scaling() ? scaling(work, rounds, dbBytes, changeBytes) : null;
        BenchReport.RateLimit rateLimit = options.rateLimit() > 0 ? rateLimit(work, source, dbBytes) : null;

        Settings settings = Settings.from(Settings.load(Optional.empty()));
        long memAvailable = memAvailableBytes();
        var runtime = ManagementFactory.getRuntimeMXBean();
        BenchReport.Machine machine = new BenchReport.Machine(Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
                runtime.getVmName() + " " + System.getProperty("java.runtime.version"), HeapMeter.maxHeapBytes(),
                ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(), memAvailable, loadAtStart, loadAverage());
        BenchReport.Setup setup = new BenchReport.Setup(options.runs(),
                "copy, BackupEngine, Meridian, rotated by one place each round", options.compression(),
                settings.backupParallelFiles(), settings.restoreParallelFiles(), settings.hashPoolSize(), work.getParent().toString());
        return new BenchReport(startedAt.truncatedTo(ChronoUnit.SECONDS).toString(), machine, setup,
                new BenchReport.DatabaseInfo(sourceNote, dbBytes, counts[0], counts[1], changeBytes),
                pageCache(memAvailable, dbBytes), operationRows(rounds), sizeRows(rounds, dbBytes), verifyRow(rounds),
                hashRows(hashing, hashMib), heapRows(rounds), scaling, rateLimit, notes());
    }

    /**
     * One untimed round on a small database first: Meridian runs as a long-lived server whose hot paths the JIT has
     * compiled long ago, while BackupEngine is native code; without this, round one would time the JIT.
     */
    private void warmUp(Path work, List<Contender> contenders, Set<Operation> operations) throws Exception {
        Path small = work.resolve("warm-up");
        long mib = Math.min(WARM_UP_MIB, options.sizeMb());
        log.printf("warm-up round on a %d MiB database (not timed)%n", mib);
        BenchData.generate(small, mib, 3);
        long bytes = BenchData.databaseBytes(small);
        for (Contender c : contenders) {
            c.run(new Contender.Plan(small, bytes, operations, Math.max(BenchData.VALUE_SIZE, bytes / 100), 0, 0), work,
                    new Round(c.name(), 0, heapMeter));
        }
        DurableFiles.deleteTree(small);
    }

    /** Runs {@code runs} rounds, each contender once per round, the order rotated by one place every round. */
    private List<Round> rounds(List<Contender> contenders, Function<Integer, Contender.Plan> plan, Path work) throws Exception {
        return Alternation.rounds(contenders, options.runs(), plan::apply, work, heapMeter, log);
    }

    /** The same change (1% of N) on the N MiB database of the main rounds and on a 4N MiB one. */
    private BenchReport.Scaling scaling(Path work, List<Round> main, long dbBytes, long changeBytes) throws Exception {
        Path large = work.resolve("source-4x");
        log.printf("building a %d MiB database for --scaling%n", 4L * options.sizeMb());
        BenchData.generate(large, 4L * options.sizeMb(), 2);
        long largeBytes = BenchData.databaseBytes(large);
        List<Contender> contenders = List.of(new BackupEngineContender(), new MeridianContender(options.compression()));
        List<Round> big = rounds(contenders, r -> new Contender.Plan(large, largeBytes,
                EnumSet.of(Operation.FULL_BACKUP, Operation.INCREMENTAL), changeBytes, r, 0), work);
        DurableFiles.deleteTree(large);
        BenchReport.ScalingRow small = scalingRow(main, dbBytes);
        BenchReport.ScalingRow bigRow = scalingRow(big, largeBytes);
        return new BenchReport.Scaling(changeBytes, List.of(small, bigRow),
                ratio(bigRow.meridianIncrementalMs(), small.meridianIncrementalMs()),
                ratio(bigRow.backupEngineIncrementalMs(), small.backupEngineIncrementalMs()));
    }

    private static BenchReport.ScalingRow scalingRow(List<Round> rounds, long bytes) {
        return new BenchReport.ScalingRow(bytes, medianMs(rounds, "BackupEngine", Operation.FULL_BACKUP),
                medianMs(rounds, "Meridian", Operation.FULL_BACKUP), medianMs(rounds, "BackupEngine", Operation.INCREMENTAL),
                medianMs(rounds, "Meridian", Operation.INCREMENTAL));
    }

    /** One limited full backup and restore per contender; a limiter that works shows a rate close to the limit. */
    private BenchReport.RateLimit rateLimit(Path work, Path source, long dbBytes) throws Exception {
        log.printf("rate-limited pass at %d bytes/s%n", options.rateLimit());
        List<BenchReport.RateRow> rows = new ArrayList<>();
        for (Contender c : List.of(new BackupEngineContender(), new MeridianContender(options.compression()))) {
            Round round = new Round(c.name(), 1, heapMeter);
            c.run(new Contender.Plan(source, dbBytes, EnumSet.of(Operation.FULL_BACKUP, Operation.RESTORE), 0, 0,
                    options.rateLimit()), work, round);
            for (Operation op : List.of(Operation.FULL_BACKUP, Operation.RESTORE)) {
                long bytes = round.bytes.get(op);
                long nanos = round.nanos.get(op);
                double rate = bytes / (nanos / 1e9);
                rows.add(new BenchReport.RateRow(c.name(), op.label, bytes, nanos / 1_000_000, rate, rate / options.rateLimit()));
            }
        }
        return new BenchReport.RateLimit(options.rateLimit(), rows);
    }

    private static List<BenchReport.OperationRow> operationRows(List<Round> rounds) {
        List<BenchReport.OperationRow> rows = new ArrayList<>();
        for (Operation op : List.of(Operation.FULL_BACKUP, Operation.INCREMENTAL, Operation.VERIFY, Operation.RESTORE)) {
            boolean copyApplies = op == Operation.FULL_BACKUP || op == Operation.RESTORE;
            List<Long> copy = copyApplies ? msOf(rounds, "copy", Operation.COPY) : List.of();
            List<Long> be = msOf(rounds, "BackupEngine", op);
            List<Long> mer = msOf(rounds, "Meridian", op);
            Long beMedian = median(be);
            Long merMedian = median(mer);
            String note = switch (op) {
                case VERIFY -> "BackupEngine: no verifyBackup in the Java API";
                case RESTORE -> "both check every file's checksum (BackupEngine crc32c, Meridian Blake3) and fsync";
                case INCREMENTAL -> "the same new SST for both; Meridian also reads the unchanged-SST fingerprints";
                default -> "";
            };
            rows.add(new BenchReport.OperationRow(op.label, copy, be, mer, median(copy), beMedian, merMedian,
                    ratio(merMedian, beMedian), note));
        }
        return rows;
    }

    private static List<BenchReport.SizeRow> sizeRows(List<Round> rounds, long dbBytes) {
        List<BenchReport.SizeRow> rows = new ArrayList<>();
        rows.add(new BenchReport.SizeRow("database", dbBytes, 1.0));
        for (String contender : List.of("BackupEngine", "Meridian")) {
            List<Long> sizes = rounds.stream().filter(r -> r.contender.equals(contender) && r.repositoryBytes >= 0)
                    .map(r -> r.repositoryBytes).toList();
            Long size = median(sizes);
            if (size != null) {
                rows.add(new BenchReport.SizeRow(contender, size, size / (double) dbBytes));
            }
        }
        return rows;
    }

    private static BenchReport.VerifyRow verifyRow(List<Round> rounds) {
        Long ms = medianMs(rounds, "Meridian", Operation.VERIFY);
        long bytes = rounds.stream().filter(r -> r.bytes.containsKey(Operation.VERIFY)).mapToLong(r -> r.bytes.get(Operation.VERIFY))
                .findFirst().orElse(0);
        return new BenchReport.VerifyRow(bytes, ms, bytes / (double) (1L << 30) / Math.max(ms, 1) * 1000);
    }

    private static List<BenchReport.HashRow> hashRows(List<HashThroughput.Result> results, int mib) {
        double bc = medianOf(results.get(0).mibPerSecond());
        List<BenchReport.HashRow> rows = new ArrayList<>();
        for (HashThroughput.Result r : results) {
            double m = medianOf(r.mibPerSecond());
            rows.add(new BenchReport.HashRow(r.implementation(), mib, r.mibPerSecond(), m, m / bc));
        }
        return rows;
    }

    private static List<BenchReport.HeapRow> heapRows(List<Round> rounds) {
        List<BenchReport.HeapRow> rows = new ArrayList<>();
        for (Operation op : List.of(Operation.FULL_BACKUP, Operation.INCREMENTAL, Operation.VERIFY, Operation.RESTORE)) {
            List<HeapMeter.Reading> readings = rounds.stream().filter(r -> r.contender.equals("Meridian") && r.heap.containsKey(op))
                    .map(r -> r.heap.get(op)).toList();
            if (!readings.isEmpty()) {
                rows.add(new BenchReport.HeapRow(op.label, readings.stream().mapToLong(HeapMeter.Reading::peakUsedBytes).max().orElse(0),
                        readings.stream().mapToLong(HeapMeter.Reading::peakLiveBytes).max().orElse(-1)));
            }
        }
        return rows;
    }

    private static List<String> notes() {
        return List.of(
                "Times are wall-clock medians; ratios compare medians of the same run. Absolute times depend on the "
                        + "machine and its load (see the load averages); ratios are what carries over.",
                "copy: one thread reads and writes each database file through a 1 MiB buffer and fsyncs it, like cp -a "
                        + "then sync. A backup or a restore writes the database once, so this is their physical limit.",
                "BackupEngine: rocksdbjni BackupEngine, share_table_files=true, sync=true, other options default "
                        + "(max_background_operations=1, file checksums on). Restore is restoreDbFromLatestBackup.",
                "Meridian: the engine in this JVM through its facade (actors, journal, checkpoint, fsync, manifest), "
                        + "a fresh repository per round, auto-verify off. Verify and restore use the backup after 1% "
                        + "new data; restore goes into a new directory and checks every Blake3 hash.",
                "Each contender works on its own fresh, fsynced copy of the database, made untimed just before it runs.",
                "Before the timed rounds, one untimed round on a small database lets the JIT compile Meridian's hot "
                        + "paths, as in a server that has been running; BackupEngine is native code.",
                "Heap is the whole JVM's (the engine and this harness); -Xmx sets the ceiling, e.g. "
                        + "MERIDIAN_JAVA_OPTS=-Xmx256m.");
    }

    private static String pageCache(long memAvailable, long dbBytes) {
        String why = "caches are not dropped (that needs root and slows everything else on the machine); every "
                + "contender reads files this run wrote moments before, so reads come from the page cache and the "
                + "times measure CPU, memory copies and fsync of the writes, not a cold disk read";
        long workingSet = 4 * dbBytes;
        if (memAvailable <= 0) {
            return "warm (assumed): " + why;
        }
        String mem = String.format(Locale.ROOT, "MemAvailable %.1f GiB vs a working set of about %.1f GiB",
                memAvailable / (double) (1L << 30), workingSet / (double) (1L << 30));
        return memAvailable > workingSet ? "warm: " + why + " (" + mem + ")"
                : "partly cold: " + mem + ", so some reads may come from disk";
    }

    private static long memAvailableBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: reported as unknown
        }
        return -1;
    }

    private static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    /** Fails early rather than filling the disk: the source, plus one contender's copy, backup and restore at a time. */
    private static void requireSpace(Path work, long dbBytes, boolean scaling) throws IOException {
        long needed = scaling ? dbBytes * 21 : dbBytes * 5;
        long usable = Files.getFileStore(work).getUsableSpace();
        if (usable < needed) {
            throw BackupException.invalid(String.format(Locale.ROOT, "the benchmark needs about %d MiB free under %s "
                    + "and only %d MiB are; pass --work-dir on a larger filesystem or a smaller --size-mb",
                    needed >> 20, work, usable >> 20));
        }
    }

    private static List<Long> msOf(List<Round> rounds, String contender, Operation op) {
        return Alternation.ms(rounds, contender, op);
    }

    private static Long medianMs(List<Round> rounds, String contender, Operation op) {
        return median(msOf(rounds, contender, op));
    }

    private static Long median(List<Long> values) {
        if (values.isEmpty()) {
            return null;
        }
        return Alternation.median(values);
    }

    private static double medianOf(List<Double> values) {
        return Alternation.medianOf(values);
    }

    private static Double ratio(Long a, Long b) {
        return a == null || b == null || b == 0 ? null : a / (double) b;
    }
}
