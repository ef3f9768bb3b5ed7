package dev.meridian.backup.engine;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.meridian.backup.config.Settings;
import dev.meridian.backup.model.BackupRequest;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.RestoreResult;
import dev.meridian.backup.model.VerifyResult;
import dev.meridian.backup.repository.Compression;
import dev.meridian.backup.repository.FileFingerprints;
import dev.meridian.backup.repository.IoThrottle;
import dev.meridian.backup.repository.JobJournal;
import dev.meridian.backup.repository.Repository;
import dev.meridian.backup.runtime.Blocking;
import dev.meridian.backup.runtime.JobContext;
import dev.meridian.backup.runtime.Metrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The second half of the start-up warm-up: a first backup, a second with nothing new (every file reused), up to
 * {@link #INCREMENTALS} incrementals in at most about {@link #INCREMENTALS_MILLIS} ms (each a few new keys, so a new SST
 * beside the reused files), a restore and a verification, each sent
 * through a whole scratch engine (its own actor system, {@link Guardian}, database actor, jobs, verifier) exactly as
 * a client's first operation goes. {@link EngineWarmup#rehearse} runs the jobs' blocking
 * steps directly; what it cannot reach is the first trip through the actors: about 170 classes and lambda forms
 * (job messages, behaviors, string concatenations, reflective accessors) loaded and linked on the first backup, 60-90
 * ms of a 20 ms incremental backup on a 2-core machine (measured with {@code -Xlog:class+load} around the timed
 * operation of {@code bench --cold}).
 *
 * <p>Nothing of it is shared with the configured engine: the actor system is {@link #SYSTEM_NAME} (daemon threads,
 * no dead-letter logging), its configuration is the built-in defaults (never the operator's file or {@code -D}
 * settings, so no replica, schedule or S3 repository can be reached), its repository, journal, fingerprint cache,
 * metrics registry, restore root and database are under the scratch directory; its databases take their own share
 * of the process's open-file limit and give it back. Its log lines are dropped by {@link RehearsalLogFilter}: they
 * would name a database nobody configured. {@link EngineWarmup#stop} interrupts it (the engine is then shut down).
 * A process armed with a crash point ({@code meridian.test.crash-at}) skips it, since the rehearsal would reach the
 * point first.
 */
final class EngineRehearsal {
    /** The scratch actor system's name; its threads' names start with it and a dash. */
    static final String SYSTEM_NAME = "meridian-rehearsal";
    private static final String DATABASE = "warm-up";
    /**
     * Incrementals after the first two backups, each after {@link #CHANGE_KEYS} new keys, at most this many. A JVM's
     * incrementals of a 64 MiB database got faster over its first 30-40 (2026-12-01, four fresh JVMs of 40 each:
     * 24-31 ms first, about 20 ms by the tenth, 12-15 ms by the last, as the JIT compiled the whole path). With 3
     * here, the first real incremental after start took a median 24.5 ms (10 fresh JVMs); with 30, 18 ms; 45, 60 and
     * 100 were no better than 30 (19, 16.5, 18.5 ms). 30 take about 1.1 s on this machine (2 cores).
     */
    static final int INCREMENTALS = 30;
    /** At least this many incrementals, whatever {@link #INCREMENTALS_MILLIS} says. */
    static final int MIN_INCREMENTALS = 3;
    /** No incremental starts after the incrementals have run this long (ms), so a slow machine's start is not held up. */
    static final long INCREMENTALS_MILLIS = 1_500;
    private static final int CHANGE_KEYS = 200;

    private EngineRehearsal() {}

    /**
     * What the rehearsal did: the first backup, the last of the incrementals after it (each stored a new SST beside
     * the files it reused), how many incrementals ran, the restore of the last one, and its verification.
     */
    record Result(BackupSummary first, BackupSummary last, int incrementals, RestoreResult restore, VerifyResult verify) {}

    /** Whether this process may run it: not when a crash test armed a crash point, which the rehearsal would reach. */
    static boolean allowed() {
        return System.getProperty("meridian.test.crash-at", "").isEmpty();
    }

    /**
     * Runs the operations on the closed RocksDB database {@code db} through a scratch engine whose files are
     * all under {@code dir}, and shuts the engine down; the caller removes {@code dir}.
     *
     * @param deadline a {@link System#nanoTime} value; each operation waits for its answer until then
     * @throws TimeoutException when the deadline passes first (the engine is still shut down)
     * @throws Exception what the engine answered, for a failed operation
     */
    static Result run(Path dir, Path db, Compression compression, long deadline) throws Exception {
        Path restoreRoot = Files.createDirectories(dir.resolve("restore"));
        Path state = dir.resolve("state");
        Settings settings = Settings.from(config(dir.resolve("repository"), state, restoreRoot, db, compression));
        try (Repository repository = Repository.openFile(settings.repositoryPath(), compression, IoThrottle.UNLIMITED, state)) {
            JobContext jobs = new JobContext(repository, new JobJournal(repository.stateDirectory().journal()),
                    new FileFingerprints(repository.stateDirectory().fingerprints()), new Metrics(), Clock.systemUTC());
            CompletableFuture<Engine> ready = new CompletableFuture<>();
            ActorSystem<Void> system = ActorSystem.create(Guardian.create(settings, jobs, ready), SYSTEM_NAME, settings.config());
            try {
                Engine engine = await(ready, deadline);
                BackupSummary first = await(engine.createBackup(DATABASE, request(), null), deadline);
                BackupSummary last = await(engine.createBackup(DATABASE, request(), null), deadline); // nothing new
                int incrementals = 0;
                long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(INCREMENTALS_MILLIS);
                while (incrementals < INCREMENTALS && (incrementals < MIN_INCREMENTALS || System.nanoTime() < until)) {
                    int round = incrementals++;
                    // A few new keys, which the incremental's checkpoint flushes into a new SST.
                    await(engine.withDatabase(DATABASE, live -> {
                        live.writeDemoKeys("rehearsal:" + round + ":", CHANGE_KEYS, round);
                        return null;
                    }), deadline);
                    last = await(engine.createBackup(DATABASE, request(), null), deadline);
                }
                RestoreResult restore = await(engine.restore(last.backupId(), restoreRoot.resolve("restored").toString(),
                        false, Engine.newRequestId(), null), deadline);
                VerifyResult verify = await(engine.verify(last.backupId(), Engine.newRequestId(), null), deadline);
                await(engine.closeDatabases(Duration.ofMillis(remaining(deadline))), deadline);
                return new Result(first, last, incrementals, restore, verify);
            } finally {
                system.terminate();
                system.getWhenTerminated().toCompletableFuture().get(Math.max(remaining(deadline), 5_000), TimeUnit.MILLISECONDS);
            }
        }
    }

    /**
     * The built-in defaults (conf/application.conf and the libraries' reference.conf, without {@code -D} system
     * properties) with one database, no replica, no auto-verify, and every path under the scratch directory.
     */
    private static Config config(Path repository, Path state, Path restoreRoot, Path db, Compression compression) {
        Config scratch = ConfigFactory.parseMap(Map.of(
                "meridian.repository.path", repository.toString(),
                "meridian.repository.compression", compression.toString(),
                "meridian.state-dir", state.toString(),
                "meridian.restore-roots", List.of(restoreRoot.toString()),
                "meridian.backup.auto-verify", false,
                "meridian.databases", List.of(Map.of("name", DATABASE, "path", db.toString(), "create-if-missing", false)),
                "pekko.daemonic", "on",
                "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook", "off",
                "pekko.log-dead-letters", "off",
                "pekko.log-dead-letters-during-shutdown", "off"));
        // defaultReference() would lay -D system properties over the libraries' reference.conf (a host's
        // -Dpekko.actor.provider=cluster, its ports and seed nodes); the unresolved one does not.
        return scratch.withFallback(ConfigFactory.parseResources("application.conf"))
                .withFallback(ConfigFactory.defaultReferenceUnresolved()).resolve();
    }

    private static BackupRequest request() {
        return new BackupRequest(Engine.newRequestId(), BackupType.MANUAL, "start-up rehearsal", List.of(), null, false);
    }

    private static long remaining(long deadline) {
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    }

    private static <T> T await(CompletionStage<T> stage, long deadline) throws Exception {
        return Blocking.await(stage, remaining(deadline));
    }
}
