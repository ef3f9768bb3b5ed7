package dev.meridian.backup.restore;

import static dev.meridian.backup.TestEnv.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.backup.TestEnv;
import dev.meridian.backup.engine.Engine;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupRequest;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.model.ProgressUpdate;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cancelling a restore while its safety backup runs stops the safety backup too: nothing is published, the
 * database is unchanged. I/O is rate-limited so the safety backup takes long enough to be cancelled in the middle.
 */
class RestoreCancelTest {
    @TempDir
    static Path dir;
    static TestEnv env;
    static Engine engine;

    @BeforeAll
    static void start() throws Exception {
        env = TestEnv.start(dir, List.of("app"), "meridian.io.rate-limit = 2MiB\nmeridian.backup.auto-verify = false");
        engine = env.server.engine();
    }

    @AfterAll
    static void stop() throws Exception {
        env.close();
    }

    @Test
    void cancellingDuringTheSafetyBackupStopsItAndPublishesNothing() throws Exception {
        env.write("app", "first", 3000, 1000, 1);
        BackupSummary b = await(engine.createBackup("app", new BackupRequest(Engine.newRequestId(), BackupType.MANUAL, "",
                List.of(), null, false), null));
        env.write("app", "second", 3000, 1000, 2); // a new SST the safety backup has to read, at 2 MiB/s
        Map<String, String> beforeRestore = env.snapshot("app");
        int backupsBefore = engine.catalog().size();

        String requestId = Engine.newRequestId();
        AtomicBoolean cancelled = new AtomicBoolean();
        ActorRef<ProgressUpdate> listener = engine.progressListener(u -> {
            if ("safety backup".equals(u.message()) && cancelled.compareAndSet(false, true)) {
                engine.cancel(requestId);
            }
        });
        var restore = engine.restore(b.backupId(), null, true, requestId, listener).toCompletableFuture();
        BackupException e = RestoreTest.failure(restore);
        await(engine.stopListener(listener));

        assertTrue(cancelled.get(), "the safety backup started");
        assertEquals(ErrorCode.CONFLICT, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains("cancelled"), e.getMessage());
        assertEquals(backupsBefore, engine.catalog().size(), "the cancelled safety backup published nothing: " + e.getMessage());
        assertEquals(beforeRestore, env.snapshot("app"), "the database was not changed");
    }
}
