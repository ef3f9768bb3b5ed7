package dev.meridian.backup.engine;

import dev.meridian.backup.hash.Blake3Warmup;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.DatabaseStatus;
import dev.meridian.backup.model.FileEntry;
import dev.meridian.backup.model.Hash;
import dev.meridian.backup.model.Manifest;
import dev.meridian.backup.model.Progress;
import dev.meridian.backup.repository.Compression;
import dev.meridian.backup.repository.IoThrottle;
import dev.meridian.backup.repository.ManifestCodec;
import dev.meridian.backup.repository.FileFingerprints;
import dev.meridian.backup.repository.JobJournal;
import dev.meridian.backup.repository.ObjectCodec;
import dev.meridian.backup.repository.Repository;
import dev.meridian.backup.restore.Materializer;
import dev.meridian.backup.rocks.DatabaseLocation;
import dev.meridian.backup.rocks.LiveDatabase;
import dev.meridian.backup.rocks.SstChecksum;
import dev.meridian.backup.runtime.Blocking;
import dev.meridian.backup.runtime.JobContext;
import dev.meridian.backup.runtime.Metrics;
import dev.meridian.backup.store.file.DurableFiles;
import dev.meridian.backup.rocks.RocksDbLibrary;
import dev.meridian.backup.store.PendingBlob;
import dev.meridian.backup.store.mem.MemBlobStore;
import java.io.OutputStream;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the engine's hot paths once on synthetic data in the background at start, so that the first real backup or
 * restore does not pay for loading and interpreting them: object encoding (Blake3, zstd, the copy loop), object
 * decoding, and the manifest's JSON (Jackson builds its serializers on first use). A server started by an agent over
 * stdio, or {@code --repo} work, runs its first operation right after start, when all of this is still cold.
 *
 * Then it rehearses a first backup and restore on a scratch database and repository of its own ({@link #rehearse}),
 * waits for {@link Blake3Warmup}, runs the encoding and the backup's JSON again on the SIMD path ({@link #hotRounds}),
 * waits for the JIT compiler to go quiet, and ends; {@code Server.start} waits for that
 * ({@link #awaitReady}, bounded), so the first operation neither runs cold nor competes with the warm-up for the CPU.
 *
 * <p>Bounded: one daemon thread (not a Pekko dispatcher thread), {@link #PASSES} passes over a {@link #DATA_LEN}-byte
 * file, stopped after {@link #MAX_MILLIS} ms; everything it writes is under one scratch directory in
 * {@code java.io.tmpdir} named after the process id ({@link #SCRATCH_PREFIX}), removed at the end (or by a later
 * start when the process died first). It never touches the configured repository or databases, and a failure only
 * logs at debug level. The SIMD hashing kernel is warmed by {@link Blake3Warmup}; RocksDB's native library is loaded
 * on a thread of its own ({@link RocksDbLibrary}).
 */
public final class EngineWarmup {
    private static final Logger log = LoggerFactory.getLogger(EngineWarmup.class);
    private static final int DATA_LEN = 2 << 20;
    private static final int PASSES = 4;
    private static final long MAX_MILLIS = 15_000;
    /** Keys of the rehearsal's scratch database: one small SST, enough to run every step. */
    private static final int REHEARSAL_KEYS = 2_000;
    private static final AtomicBoolean STARTED = new AtomicBoolean();
    private static final AtomicBoolean NATIVE_STARTED = new AtomicBoolean();
    private static final CountDownLatch DONE = new CountDownLatch(1);
    /** The warm-up's thread once started, for {@link #stop}. */
    private static volatile Thread thread;
    /** Scratch directories are {@code meridian-warmup-<pid>-<random>} under {@code java.io.tmpdir}. */
    static final String SCRATCH_PREFIX = "meridian-warmup-";
    /** The warm-up's thread: a daemon thread, below normal priority. */
    static final String THREAD = "meridian-engine-warmup";
    /** How long {@code Server.start} waits for the warm-up at most, in milliseconds, beyond its own start-up work. */
    public static final long START_WAIT_MILLIS = 5_000;
    private static final long QUIET_WINDOW_MS = 100;
    private static final long QUIET_COMPILE_MS = 10;

    private EngineWarmup() {}

    /**
     * Starts the warm-up once per JVM, in the background; returns at once. RocksDB's native library is loaded on a
     * thread of its own first, whatever {@code meridian.warmup} says: every database open needs it, and loading it
     * is not a warm-up but a fixed cost that would otherwise fall on the first open.
     */
    public static void start(Compression compression) {
        loadRocksDbLibrary();
        Blake3Warmup.start();
        if (!Boolean.parseBoolean(System.getProperty("meridian.warmup", "true")) || !STARTED.compareAndSet(false, true)) {
            return;
        }
        RehearsalLogFilter.install();
        Thread t = new Thread(() -> run(compression), THREAD);
        t.setDaemon(true);
        t.setPriority(Thread.NORM_PRIORITY - 1);
        thread = t;
        try {
            // A server stopped by a signal while it starts (before its CoordinatedShutdown tasks exist) still cleans up.
            Runtime.getRuntime().addShutdownHook(STOP_HOOK);
        } catch (IllegalStateException e) {
            // already shutting down
        }
        t.start();
    }

    /** Runs {@link #stop} (3 s at most) at JVM shutdown while the warm-up runs; removed when it ends. */
    private static final Thread STOP_HOOK = new Thread(() -> {
        try {
            stop(3_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }, "meridian-warmup-stop");

    /**
     * Stops a warm-up that is still running, as a server stops (its CoordinatedShutdown) or a host closes an embedded
     * engine: interrupts it, so that its scratch engine is shut down and its scratch directory removed, and waits up
     * to {@code millis} ms for that. Returns at once when there is none.
     *
     * @return whether the warm-up had ended within the time
     * @throws InterruptedException when the calling thread is interrupted while it waits
     */
    public static boolean stop(long millis) throws InterruptedException {
        Thread t = thread;
        if (t != null && DONE.getCount() > 0) {
            t.interrupt();
        }
        return await(millis);
    }

    /** Loads RocksDB's native library in the background once per JVM (see {@link RocksDbLibrary}). */
    static void loadRocksDbLibrary() {
        if (!NATIVE_STARTED.compareAndSet(false, true)) {
            return;
        }
        Thread t = new Thread(() -> {
            long start = System.nanoTime();
            try {
                RocksDbLibrary.load();
                log.debug("RocksDB native library loaded in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            } catch (LinkageError | RuntimeException e) {
                // The first open reports it, naming the database; nothing to add here. (rocksdbjni throws a
                // RuntimeException when it cannot unpack its library, e.g. into a read-only java.io.tmpdir.)
                log.debug("RocksDB native library could not be loaded in advance: {}", e.toString());
            }
        }, "meridian-rocksdb-load");
        t.setDaemon(true);
        t.start();
    }

    private static void run(Compression compression) {
        long start = System.nanoTime();
        long deadline = start + TimeUnit.MILLISECONDS.toNanos(MAX_MILLIS);
        Path scratch = null;
        try {
            Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
            sweepStale(tmp);
            scratch = Files.createTempDirectory(tmp, SCRATCH_PREFIX + ProcessHandle.current().pid() + "-");
            Path file = scratch.resolve("sample.bin");
            writeSample(file);
            int passes = 0;
            while (passes < PASSES && System.nanoTime() < deadline) {
                onePass(file, compression);
                passes++;
                stopWhenInterrupted();
            }
            long passesDone = System.nanoTime();
            rehearse(scratch.resolve("rehearsal"), compression);
            long rehearsed = System.nanoTime();
            stopWhenInterrupted();
            if (EngineRehearsal.allowed()) {
                EngineRehearsal.run(scratch.resolve("engine"), scratch.resolve("rehearsal").resolve("db"), compression, deadline);
            }
            long throughEngine = System.nanoTime();
            boolean hot = Blake3Warmup.await(Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            stopWhenInterrupted();
            long hotStart = System.nanoTime();
            int rounds = hotRounds(file, compression, Math.min(deadline, hotStart + TimeUnit.MILLISECONDS.toNanos(HOT_MILLIS)));
            long hotDone = System.nanoTime();
            boolean quiet = awaitCompilerQuiet(deadline);
            log.debug("engine warm-up: {} passes over {} bytes in {} ms, a backup and restore of a scratch database in {} "
                    + "ms, then through a scratch engine in {} ms, SIMD hashing {}, {} JSON rounds on it in {} ms, JIT "
                    + "compiler {} after {} ms in all", passes,
                    DATA_LEN, TimeUnit.NANOSECONDS.toMillis(passesDone - start), TimeUnit.NANOSECONDS.toMillis(rehearsed - passesDone),
                    TimeUnit.NANOSECONDS.toMillis(throughEngine - rehearsed),
                    hot ? "hot" : "not hot yet", rounds, TimeUnit.NANOSECONDS.toMillis(hotDone - hotStart),
                    quiet ? "idle" : "still busy",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception | LinkageError e) {
            log.debug("engine warm-up stopped early: {}", e.toString());
        } finally {
            // An interrupt by stop() may still be pending (one that closed a channel mid-pass): clear it, or the
            // removal below would fail on its first interruptible call.
            Thread.interrupted();
            if (scratch != null) {
                try {
                    DurableFiles.deleteTree(scratch);
                } catch (Exception e) {
                    log.debug("engine warm-up could not remove {}: {}", scratch, e.toString());
                }
            }
            DONE.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(STOP_HOOK);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: the hook is running or about to, and returns at once
            }
        }
    }

    /** Ends the warm-up between its steps once {@link #stop} interrupted it. */
    private static void stopWhenInterrupted() throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException("the engine is stopping");
        }
    }

    /**
     * Waits up to {@code millis} ms for the warm-up to end (at once when it is off or was never started).
     * {@code Server.start} calls this before it reports the service started, so the first operation neither runs
     * on cold code nor competes for the CPU with the warm-up and the compilations it caused.
     *
     * @return whether it ended within the time
     */
    public static boolean await(long millis) throws InterruptedException {
        return !STARTED.get() || DONE.await(millis, TimeUnit.MILLISECONDS);
    }

    /**
     * What {@code Server.start} waits for before it reports the service started, {@code millis} ms at most in all:
     * the warm-up ({@link #await}), then the first open of every database Meridian opens itself (none left
     * {@code opening}; one that failed to open counts as done). An operation that arrives later then pays neither
     * for cold code nor for the open, and does not compete for the CPU with the warm-up.
     *
     * @return whether both were done within the time (false too when the states could not be read: this wait never
     *     fails a start)
     * @throws InterruptedException when the starting thread is interrupted
     */
    public static boolean awaitReady(Engine engine, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        CompletableFuture<Integer> threads = prepareThreads(engine.system(), deadline);
        if (!await(millis)) {
            return false;
        }
        while (true) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                return false;
            }
            List<DatabaseStatus> all;
            try {
                all = engine.databases().toCompletableFuture().get(left, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                return false;
            }
            if (all.stream().noneMatch(d -> OPENING.equals(d.state()))) {
                try {
                    threads.get(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())), TimeUnit.MILLISECONDS);
                    return true;
                } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                    return false;
                }
            }
            Thread.sleep(Math.min(left, 20));
        }
    }

    /**
     * The blocking dispatchers whose threads {@link #prepareThreads} starts, and what each of their threads makes
     * first: the I/O and hashing threads encode and decode objects ({@link ObjectCodec#prepareThread}); the RocksDB
     * threads only need to exist.
     */
    private static final Map<String, Runnable> PREPARED_DISPATCHERS = Map.of(JobContext.IO_DISPATCHER,
            ObjectCodec::prepareThread, JobContext.ROCKSDB_DISPATCHER, () -> { }, JobContext.HASH_DISPATCHER,
            ObjectCodec::prepareThread);

    /**
     * Starts every thread of the engine's I/O, RocksDB and hashing dispatchers (fixed pools, which otherwise start one
     * new thread per task until they are full) and makes the I/O and hashing threads' encoding buffers and contexts
     * ({@link ObjectCodec#prepareThread}). Without it, each of the first operations' tasks ran on a new thread: a
     * file task first allocated and zeroed about 2 MiB of buffers (measured 2026-12-01: 1.5-2 ms of a 20 ms
     * incremental backup, on this VM where fresh pages are slow), and a backup's two RocksDB steps (placing the
     * checkpoint, taking it) each started 2-5 ms after the step before it, against under 0.5 ms on existing threads.
     * The pools keep their threads, and the threads their buffers, when idle ({@code shutdown-timeout = 180d} and
     * {@code allow-core-timeout = off} in {@code conf/application.conf}), so a server that has been quiet for a while
     * does not pay this again: about 2 MiB per I/O and hashing thread held for the server's life. Each task
     * waits until all of its dispatcher's have started (so that each runs on a thread of its own), at most
     * {@link #THREADS_WAIT_MILLIS} ms and never past {@code deadline} (a {@link System#nanoTime} value): when other
     * work holds some threads, the rest are not held back for long.
     *
     * @return the threads prepared, over all the dispatchers, once all tasks have ended (fewer when the wait ended
     *     first, or when a dispatcher refused tasks because the system is stopping)
     */
    static CompletableFuture<Integer> prepareThreads(ActorSystem<?> system, long deadline) {
        long until = Math.min(deadline, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(THREADS_WAIT_MILLIS));
        CompletableFuture<Integer> all = CompletableFuture.completedFuture(0);
        for (Map.Entry<String, Runnable> d : PREPARED_DISPATCHERS.entrySet()) {
            all = all.thenCombine(prepareThreads(system, d.getKey(), d.getValue(), until), Integer::sum);
        }
        return all;
    }

    /**
     * Starts every thread of {@code dispatcher}, each running {@code prepare} first, waiting for each other until
     * {@code until} (a {@link System#nanoTime} value); see above.
     *
     * @return the threads started, once all tasks have ended
     */
    static CompletableFuture<Integer> prepareThreads(ActorSystem<?> system, String dispatcher, Runnable prepare,
            long until) {
        String key = dispatcher + ".thread-pool-executor.fixed-pool-size";
        int threads = system.settings().config().hasPath(key) ? system.settings().config().getInt(key) : 1;
        CountDownLatch started = new CountDownLatch(threads);
        List<CompletableFuture<Boolean>> tasks = new ArrayList<>();
        try {
            Executor pool = Blocking.executor(system, dispatcher);
            for (int i = 0; i < threads; i++) {
                tasks.add(CompletableFuture.supplyAsync(() -> {
                    prepare.run();
                    started.countDown();
                    try {
                        return started.await(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                }, pool));
            }
        } catch (RuntimeException e) {
            log.debug("the threads of {} could not be prepared: {}", dispatcher, e.toString()); // a stopping system refuses tasks
        }
        return CompletableFuture.allOf(tasks.toArray(CompletableFuture[]::new))
                .thenApply(v -> threads - (int) started.getCount());
    }

    /** How long {@link #prepareThreads}'s tasks wait for each other at most. */
    static final long THREADS_WAIT_MILLIS = 500;

    /** The state a database reports while its handle is being opened. */
    private static final String OPENING = "opening";

    /**
     * The JIT compiles what the warm-up ran for a while after it: waits until the compiler threads have spent less
     * than {@link #QUIET_COMPILE_MS} ms in a {@link #QUIET_WINDOW_MS} ms window (or until {@code deadline}, a
     * {@link System#nanoTime} value). Without the compilation MXBean it returns at once.
     *
     * @return whether the compiler went quiet before the deadline
     */
    static boolean awaitCompilerQuiet(long deadline) throws InterruptedException {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            return true;
        }
        long before = jit.getTotalCompilationTime();
        while (System.nanoTime() < deadline) {
            Thread.sleep(QUIET_WINDOW_MS);
            long now = jit.getTotalCompilationTime();
            if (now - before < QUIET_COMPILE_MS) {
                return true;
            }
            before = now;
        }
        return false;
    }

    /**
     * Removes scratch directories of earlier warm-ups whose process is gone (killed, or ended by
     * {@code System.exit} while its warm-up ran). The process id is part of the name.
     */
    static void sweepStale(Path tmp) {
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tmp, SCRATCH_PREFIX + "*")) {
            for (Path d : dirs) {
                String rest = d.getFileName().toString().substring(SCRATCH_PREFIX.length());
                int dash = rest.indexOf('-');
                long pid;
                try {
                    pid = Long.parseLong(rest.substring(0, Math.max(dash, 0)));
                } catch (NumberFormatException e) {
                    continue; // not named by this class
                }
                boolean alive = pid == ProcessHandle.current().pid()
                        || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
                if (!alive && Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
                    DurableFiles.deleteTree(d);
                }
            }
        } catch (Exception e) {
            log.debug("engine warm-up could not sweep old scratch directories in {}: {}", tmp, e.toString());
        }
    }

    /**
     * A first backup's and a first restore's blocking steps, in the order the jobs run them, on a scratch database
     * and a scratch repository under {@code dir} (never the configured ones): open (creating it) and seed a RocksDB
     * database, take a checkpoint, fingerprint its files and check the SSTs' block checksums, store them in a local
     * repository with its journal entry, publish the manifest (catalog, catalog cache), save and reload the
     * fingerprint cache, record the metrics on a private registry, then read the manifest back and write every file
     * out, hash-checked and fsynced, and open the result read-only. What it leaves is under {@code dir}, which the
     * caller removes.
     *
     * @return the files published and the sequence numbers of the checkpoint and of the restored copy
     */
    static Rehearsal rehearse(Path dir, Compression compression) throws Exception {
        String name = "warm-up";
        Path db = dir.resolve("db");
        Path checkpoint = dir.resolve("checkpoint");
        Path state = dir.resolve("state");
        Path restored = dir.resolve("restored");
        DatabaseLocation.of(db.getParent());
        long seq;
        try (LiveDatabase live = LiveDatabase.open(name, db, true)) {
            live.seedIfEmpty(REHEARSAL_KEYS);
            seq = live.checkpoint(checkpoint);
            live.estimatedKeys();
            live.liveSstBytes();
        }
        BackupId id = BackupId.generate(Instant.now(), new SplittableRandom());
        JobJournal journal = new JobJournal(state.resolve("journal"));
        journal.write(new JobJournal.Entry(id.value(), "backup", name, id.value(), "checkpoint", null, null, null,
                List.of(checkpoint.toString())), false);
        Metrics metrics = new Metrics();
        try (Repository repository = Repository.openFile(dir.resolve("repository"), compression, IoThrottle.UNLIMITED, state)) {
            FileFingerprints fingerprints = new FileFingerprints(state.resolve("fingerprints"));
            Map<String, FileFingerprints.Fingerprint> seen = new HashMap<>();
            List<FileEntry> files = new ArrayList<>();
            long bytes = 0;
            try (Repository.Ingest ingest = repository.beginIngest(id.value());
                    DirectoryStream<Path> listing = Files.newDirectoryStream(checkpoint)) {
                for (Path p : listing) {
                    String file = p.getFileName().toString();
                    if (!Files.isRegularFile(p) || file.equals("LOCK") || file.startsWith("LOG")) {
                        continue;
                    }
                    Optional<FileFingerprints.Fingerprint> fp = FileFingerprints.eligible(file)
                            ? FileFingerprints.of(p, null) : Optional.empty();
                    fp.flatMap(f -> fingerprints.lookup(name, file, f));
                    if (file.endsWith(".sst")) {
                        SstChecksum.corruption(p, file);
                    }
                    Repository.StoredFile stored = ingest.store(p, file, Progress.NONE, 0, Files.size(p));
                    files.add(stored.entry());
                    bytes += stored.entry().size();
                    fp.ifPresent(f -> seen.put(file, new FileFingerprints.Fingerprint(f.device(), f.inode(), f.size(),
                            f.mtimeNanos(), stored.entry())));
                }
                files.sort(Comparator.comparing(FileEntry::name));
                Instant now = Instant.now();
                ingest.publish(new Manifest(Manifest.FORMAT, id, name, BackupType.MANUAL, "", List.of(), now, now, 0, 0,
                        seq, null, null, bytes, bytes, files, null));
            }
            fingerprints.save(name, seen);
            new FileFingerprints(state.resolve("fingerprints")).lookup(name, "000000.sst",
                    new FileFingerprints.Fingerprint(0, 0, 0, 0, null));
            journal.delete(id.value());
            metrics.operation("backup", name, "manual", "ok", Duration.ofMillis(1));
            metrics.bytes("backup", name, "logical", bytes);
            metrics.backupSucceeded(name, Instant.now());

            journal.write(new JobJournal.Entry("restore-" + id.value(), "restore", name, id.value(), "staging", null,
                    null, null, List.of(restored.toString())), false);
            Manifest manifest = repository.readManifest(id);
            Files.createDirectories(restored);
            for (FileEntry f : manifest.files()) {
                Materializer.writeFile(repository, f, restored, Progress.NONE);
            }
            long restoredSeq = LiveDatabase.sequenceNumberOf(restored);
            journal.delete("restore-" + id.value());
            metrics.operation("restore", name, "manual", "ok", Duration.ofMillis(1));
            return new Rehearsal(manifest.files().size(), seq, restoredSeq);
        }
    }

    /** {@link #onePass} runs after the SIMD hashing is switched on (the first passes ran before, hashing scalar). */
    static final int HOT_PASSES = 4;
    /**
     * Rounds of a backup's JSON: sealing and writing a manifest, encoding a fingerprint cache. 300 rounds of
     * {@link #HOT_FILES} files take Jackson's per-file code past C2's thresholds and every record accessor past the
     * JDK's reflection inflation (the 16th call generates a class; before this, the first backups did it).
     */
    static final int HOT_ROUNDS = 300;
    /**
     * At most this long for {@link #hotRounds} within the warm-up (ms): 0.2-0.4 s on this 2-core machine at a load
     * average of 2-3, but 0.6-0.8 s at 6-7, which would make the start that much later; a loaded machine does fewer.
     */
    static final long HOT_MILLIS = 300;
    /** Files in each round's manifest and fingerprint cache, enough loop iterations for C2 to compile the loops. */
    private static final int HOT_FILES = 24;

    /**
     * The third part of the warm-up, after the rehearsals and once {@link Blake3Warmup} has switched the SIMD
     * hashing on: {@link #HOT_PASSES} more encoding passes over {@code sample} (the SIMD kernel's own call path, which
     * the scalar passes before never ran), then {@link #HOT_ROUNDS} rounds of the JSON every backup writes (manifest
     * sealed, then written; fingerprint cache), on synthetic entries in memory. Measured (2026-12-01, 2 cores): the
     * rehearsals leave this code on C1, where a cold incremental backup of a 64 MiB database spent 4-5 ms more in
     * its publish step than the next one in the same process. Writes nothing.
     *
     * @param deadline a {@link System#nanoTime} value after which no further pass or round starts
     * @return the JSON rounds completed
     * @throws InterruptedException when {@link #stop} interrupted it
     * @throws Exception what a pass or round threw
     */
    static int hotRounds(Path sample, Compression compression, long deadline) throws Exception {
        for (int i = 0; i < HOT_PASSES && System.nanoTime() < deadline; i++) {
            onePass(sample, compression);
            stopWhenInterrupted();
        }
        Hash hash = new Hash("af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
        List<FileEntry> files = new ArrayList<>();
        Map<String, FileFingerprints.Fingerprint> fingerprints = new HashMap<>();
        for (int i = 0; i < HOT_FILES; i++) {
            FileEntry e = new FileEntry(String.format("%06d.sst", i + 1), 64L << 20, hash, hash);
            files.add(e);
            fingerprints.put(e.name(), new FileFingerprints.Fingerprint(2049, 1_000 + i, e.size(),
                    1_764_000_000_000_000_000L + i, e));
        }
        Instant now = Instant.now();
        Manifest draft = new Manifest(Manifest.FORMAT, BackupId.parse("20261126T021948123Z-7f3a2c"), "warm-up",
                BackupType.MANUAL, "", List.of(), now, now, 0, 12, 99, null, BackupId.parse("20261126T021900000Z-1a2b3c"),
                HOT_FILES * (64L << 20), 4_096, files, null);
        int rounds = 0;
        while (rounds < HOT_ROUNDS && System.nanoTime() < deadline) {
            ManifestCodec.encode(ManifestCodec.seal(draft));
            FileFingerprints.encode(fingerprints);
            rounds++;
            if (rounds % 50 == 0) {
                stopWhenInterrupted();
            }
        }
        return rounds;
    }

    /** What {@link #rehearse} did: files published, the checkpoint's and the restored copy's sequence numbers. */
    record Rehearsal(int files, long sequenceNumber, long restoredSequenceNumber) {}

    /** Half random, half a repeated pattern, like the benchmark's values: compressible enough for zstd to be used. */
    static void writeSample(Path file) throws Exception {
        byte[] data = new byte[DATA_LEN];
        SplittableRandom random = new SplittableRandom(7);
        byte[] pattern = "meridian-warm-up".getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < DATA_LEN; i += 1024) {
            byte[] noise = new byte[512];
            random.nextBytes(noise);
            System.arraycopy(noise, 0, data, i, 512);
            for (int j = 512; j < 1024; j++) {
                data[i + j] = pattern[j % pattern.length];
            }
        }
        Files.write(file, data);
    }

    static void onePass(Path file, Compression compression) throws Exception {
        MemBlobStore store = new MemBlobStore();
        ObjectCodec.Encoded encoded;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ); PendingBlob blob = store.create()) {
            encoded = ObjectCodec.encode(ch, compression, blob, IoThrottle.UNLIMITED, Progress.NONE, 0, DATA_LEN);
            blob.commit("warm-up");
        }
        try (var in = store.open("warm-up")) {
            ObjectCodec.decode(in, DATA_LEN, encoded.hash(), Channels.newChannel(OutputStream.nullOutputStream()),
                    IoThrottle.UNLIMITED, Progress.NONE, 0, DATA_LEN);
        }
        List<FileEntry> files = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            files.add(new FileEntry(String.format("%06d.sst", i + 1), DATA_LEN, encoded.hash(), encoded.hash()));
        }
        Instant now = Instant.now();
        BackupId id = BackupId.parse("20261126T021948123Z-7f3a2c");
        Manifest m = ManifestCodec.seal(new Manifest(Manifest.FORMAT, id, "warm-up", BackupType.MANUAL, "", List.of("t"), now,
                now, 0, 0, 1, null, null, DATA_LEN, encoded.storedLength(), files, null));
        ManifestCodec.decode(ManifestCodec.key("warm-up", id), ManifestCodec.encode(m));
    }
}
