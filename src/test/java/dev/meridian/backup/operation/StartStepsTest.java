package dev.meridian.backup.operation;

import static dev.meridian.backup.TestEnv.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.backup.TestEnv;
import dev.meridian.backup.engine.Engine;
import dev.meridian.backup.model.BackupRequest;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.ProgressUpdate;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each job says it has started before its first byte: a backup "checkpoint", a restore "staging" and a verify
 * "verifying", the last two with their total already known. Without these a slow restore or verify showed as queued
 * (an MCP task's phase, a REST progress stream) until its first block was done, seconds or minutes later.
 */
class StartStepsTest {
    @TempDir
    static Path dir;
    static TestEnv env;
    static Engine engine;

    @BeforeAll
    static void start() throws Exception {
        env = TestEnv.start(dir, List.of("app"), "meridian.backup.auto-verify = false");
        engine = env.server.engine();
        env.write("app", "rows", 2000, 1000, 1);
    }

    @AfterAll
    static void stop() throws Exception {
        env.close();
    }

    @Test
    void backupRestoreAndVerifyEachAnnounceTheirStartBeforeAnyByte() throws Exception {
        List<ProgressUpdate> backup = new CopyOnWriteArrayList<>();
        BackupSummary b = run(backup, l -> engine.createBackup("app", new BackupRequest(Engine.newRequestId(),
                BackupType.MANUAL, "", List.of(), null, false), l));
        assertStartsWith(backup, "backup", "checkpoint", false);

        List<ProgressUpdate> verify = new CopyOnWriteArrayList<>();
        run(verify, l -> engine.verify(b.backupId(), Engine.newRequestId(), l));
        assertStartsWith(verify, "verify", "verifying", true);

        List<ProgressUpdate> restore = new CopyOnWriteArrayList<>();
        run(restore, l -> engine.restore(b.backupId(), env.restoreRoot.resolve("copy").toString(), false,
                Engine.newRequestId(), l));
        assertStartsWith(restore, "restore", "staging", true);
    }

    private static <T> T run(List<ProgressUpdate> into, java.util.function.Function<ActorRef<ProgressUpdate>,
            java.util.concurrent.CompletionStage<T>> op) throws Exception {
        ActorRef<ProgressUpdate> listener = engine.progressListener(into::add);
        try {
            return await(op.apply(listener));
        } finally {
            await(engine.stopListener(listener));
        }
    }

    /** The job's first update (queue positions aside) is {@code step}, with no byte done yet. */
    private static void assertStartsWith(List<ProgressUpdate> updates, String operation, String step, boolean totalKnown) {
        ProgressUpdate first = updates.stream()
                .filter(u -> u.operation().equals(operation) && (u.message() == null || !u.message().startsWith("queued")))
                .findFirst().orElseThrow(() -> new AssertionError("no update from the " + operation + ": " + updates));
        assertEquals(step, first.message(), updates.toString());
        assertEquals(0, first.done(), updates.toString());
        if (totalKnown) {
            assertTrue(first.total() > 0, "the total is known when the " + operation + " starts: " + updates);
        }
        assertTrue(updates.stream().anyMatch(u -> u.operation().equals(operation) && u.done() > 0),
                "the " + operation + " then reported bytes: " + updates);
    }
}
