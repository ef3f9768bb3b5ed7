package dev.meridian.backup.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.meridian.backup.ChildServer;
import dev.meridian.backup.TestEnv;
import dev.meridian.backup.config.Settings;
import dev.meridian.backup.hash.Blake3Warmup;
import dev.meridian.backup.repository.Compression;
import dev.meridian.backup.runtime.JobContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The warm-up swallows its own failures (it only logs at debug level), so a pass that throws would silently warm
 * nothing: each pass must run the encode, decode and manifest paths to the end, for every compression mode, and the
 * rehearsal must run a whole backup and restore of its scratch database. Issue 7 item 8: {@code Server.start} waits
 * for the warm-up, which ends only once the SIMD hashing path is hot, and leaves no scratch directory behind.
 */
class EngineWarmupTest {
    @TempDir
    Path dir;

    @Test
    void aWarmUpPassRunsEveryPathToTheEnd() throws Exception {
        Path sample = dir.resolve("sample.bin");
        EngineWarmup.writeSample(sample);
        for (String mode : new String[] {"auto", "off", "zstd:3"}) {
            EngineWarmup.onePass(sample, Compression.parse(mode));
        }
    }

    /**
     * Issue 7 item 8 (2026-12-01): once the SIMD hashing is on, the warm-up encodes again and runs every round of a
     * backup's JSON (manifest sealed and written, fingerprint cache) on synthetic entries; a round that threw would
     * end it silently with the first backup's JSON still on C1 code.
     */
    @Test
    void theHotRoundsRunEveryPassAndJsonRoundToTheEnd() throws Exception {
        Path sample = dir.resolve("sample.bin");
        EngineWarmup.writeSample(sample);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        assertEquals(EngineWarmup.HOT_ROUNDS, EngineWarmup.hotRounds(sample, Compression.parse("auto"), deadline));
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(sample), left.toList(), "the rounds write nothing");
        }
        assertEquals(0, EngineWarmup.hotRounds(sample, Compression.parse("auto"), System.nanoTime()),
                "no round starts after the deadline");
    }

    /**
     * Issue 7 item 8 (2026-12-01): {@code Server.start} starts every thread of the I/O, RocksDB and hashing
     * dispatchers, and makes the I/O and hashing threads' encoding buffers, before the first operation; without it
     * each fixed pool starts one new thread per task, so each of the first operations' tasks began on a new thread.
     */
    @Test
    void everyThreadOfTheBlockingDispatchersIsStartedBeforeTheFirstOperation() throws Exception {
        ActorTestKit kit = ActorTestKit.create("blocking-threads", Settings.load(Optional.empty()));
        try {
            List<String> dispatchers = List.of(JobContext.IO_DISPATCHER, JobContext.ROCKSDB_DISPATCHER, JobContext.HASH_DISPATCHER);
            int total = dispatchers.stream().mapToInt(d -> poolSize(kit, d)).sum();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            assertEquals(total, EngineWarmup.prepareThreads(kit.system(), deadline).get(30, TimeUnit.SECONDS));
            for (String d : dispatchers) {
                assertTrue(poolSize(kit, d) > 1, d + " is a pool");
                assertEquals(poolSize(kit, d), threadsOf("blocking-threads", d),
                        "each task ran on a thread of its own, so every thread of " + d + " exists");
            }
        } finally {
            kit.shutdownTestKit();
        }
    }

    /**
     * Issue 7 item 8 (2026-12-01): the blocking dispatchers keep their threads when idle. Pekko's defaults shut a
     * dispatcher's executor down 1 s after its last task ({@code shutdown-timeout}) and end idle threads after 60 s
     * ({@code allow-core-timeout = on}), so a server that had been quiet for a second started every operation on new
     * threads again, as a cold one does. Here the keep-alive is 1 s too, and the threads are still there 2.5 s later.
     */
    @Test
    void theBlockingDispatchersKeepTheirThreadsWhenIdle() throws Exception {
        List<String> dispatchers = List.of(JobContext.IO_DISPATCHER, JobContext.ROCKSDB_DISPATCHER, JobContext.HASH_DISPATCHER,
                Replicator.DISPATCHER);
        Config shortKeepAlive = ConfigFactory.parseMap(dispatchers.stream().collect(
                Collectors.toMap(d -> d + ".thread-pool-executor.keep-alive-time", d -> "1s")));
        ActorTestKit kit = ActorTestKit.create("idle-threads", shortKeepAlive.withFallback(Settings.load(Optional.empty())));
        try {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            for (String d : dispatchers) {
                assertEquals(poolSize(kit, d), EngineWarmup.prepareThreads(kit.system(), d, () -> { }, until)
                        .get(30, TimeUnit.SECONDS), d + " started its threads");
            }
            Thread.sleep(2_500);
            for (String d : dispatchers) {
                assertEquals(poolSize(kit, d), threadsOf("idle-threads", d), d + " kept its threads past their keep-alive");
            }
        } finally {
            kit.shutdownTestKit();
        }
    }

    private static int poolSize(ActorTestKit kit, String dispatcher) {
        return kit.system().settings().config().getInt(dispatcher + ".thread-pool-executor.fixed-pool-size");
    }

    private static long threadsOf(String system, String dispatcher) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith(system + "-" + dispatcher + "-")).count();
    }

    @Test
    void theRehearsalBacksUpAndRestoresItsScratchDatabaseByteForByte() throws Exception {
        EngineWarmup.Rehearsal r = EngineWarmup.rehearse(dir.resolve("rehearsal"), Compression.parse("auto"));
        assertTrue(r.files() >= 4, "an SST, MANIFEST, CURRENT and OPTIONS at least: " + r.files());
        assertTrue(r.sequenceNumber() > 0, "the scratch database was seeded");
        assertEquals(r.sequenceNumber(), r.restoredSequenceNumber(), "the restored copy opens at the checkpoint's sequence number");
        Path checkpoint = dir.resolve("rehearsal/checkpoint");
        Path restored = dir.resolve("rehearsal/restored");
        try (Stream<Path> files = Files.list(restored)) {
            List<Path> written = files.filter(p -> !p.getFileName().toString().startsWith("LOG")
                    && !p.getFileName().toString().equals("LOCK")).toList();
            assertEquals(r.files(), written.size(), "every published file was written out: " + written);
            for (Path p : written) {
                assertArrayEquals(Files.readAllBytes(checkpoint.resolve(p.getFileName())), Files.readAllBytes(p), p.toString());
            }
        }
    }

    @Test
    void awaitReturnsOnceTheWarmUpHasEndedWithHotHashingAndNoScratchLeft() throws Exception {
        EngineWarmup.start(Compression.parse("auto"));
        assertTrue(EngineWarmup.await(60_000), "the warm-up ends within its bound");
        assertTrue(Blake3Warmup.vectorHot(), "the SIMD hashing path is switched on (or absent) when the warm-up ends");
        String mine = EngineWarmup.SCRATCH_PREFIX + ProcessHandle.current().pid() + "-";
        try (Stream<Path> tmp = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            assertFalse(tmp.anyMatch(p -> p.getFileName().toString().startsWith(mine)), "the scratch directory is removed");
        }
    }

    @Test
    void sweepingRemovesTheScratchOfEndedProcessesOnly() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        Path ended = Files.createDirectories(dir.resolve(EngineWarmup.SCRATCH_PREFIX + p.pid() + "-1/rehearsal/db"));
        Path alive = Files.createDirectories(dir.resolve(EngineWarmup.SCRATCH_PREFIX + ProcessHandle.current().pid() + "-2"));
        Path foreign = Files.createDirectories(dir.resolve(EngineWarmup.SCRATCH_PREFIX + "12345"));
        Path file = Files.writeString(dir.resolve(EngineWarmup.SCRATCH_PREFIX + "777.bin"), "x");
        EngineWarmup.sweepStale(dir);
        assertFalse(Files.exists(ended.getParent().getParent()), "an ended process's scratch is removed");
        assertTrue(Files.exists(alive), "a running process's scratch stays");
        assertTrue(Files.exists(foreign), "a name without a process id is not ours");
        assertTrue(Files.exists(file), "files are not swept");
    }

    /**
     * Review finding: a server stopped (SIGTERM) while its warm-up ran left the scratch directory behind, and a
     * closed engine left the warm-up's scratch engine running. Stopping now interrupts the warm-up, which shuts its
     * scratch engine down and removes its directory, from a JVM shutdown hook during start and from the server's
     * CoordinatedShutdown after it. A real child server, stopped once its scratch engine exists.
     */
    @Test
    void aServerStoppedWhileItsScratchEngineRunsLeavesNothingBehind() throws Exception {
        TestEnv env = new TestEnv(dir.resolve("env"), List.of("orders"), "");
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        Process p = ChildServer.launch(env.configFile, null, dir.resolve("server.log"), List.of("-Djava.io.tmpdir=" + tmp));
        try {
            String mine = EngineWarmup.SCRATCH_PREFIX + p.pid() + "-";
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            boolean engineRunning = false;
            while (!engineRunning && System.nanoTime() < deadline && p.isAlive()) {
                try (Stream<Path> listing = Files.list(tmp)) {
                    engineRunning = listing.anyMatch(d -> d.getFileName().toString().startsWith(mine)
                            && Files.isDirectory(d.resolve("engine/state")));
                }
                Thread.sleep(10);
            }
            assertTrue(engineRunning, "the scratch engine started: " + Files.readString(dir.resolve("server.log")));
            p.destroy();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            try (Stream<Path> listing = Files.list(tmp)) {
                List<Path> left = listing.filter(d -> d.getFileName().toString().startsWith(mine)).toList();
                assertEquals(List.of(), left, "the scratch directory is removed: " + Files.readString(dir.resolve("server.log")));
            }
        } finally {
            p.destroyForcibly();
        }
    }
}
