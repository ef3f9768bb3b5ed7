package dev.meridian.backup.backup;

import static dev.meridian.backup.TestEnv.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.backup.TestEnv;
import dev.meridian.backup.engine.Engine;
import dev.meridian.backup.model.BackupRequest;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.FileEntry;
import dev.meridian.backup.model.Manifest;
import dev.meridian.backup.model.ProgressUpdate;
import dev.meridian.backup.model.RetentionResult;
import dev.meridian.backup.store.BlockingGuard;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Backups share storage (invariant 5), retention deletes in two phases (invariant 6), verification runs after publishing. */
class BackupFeaturesTest {
    @TempDir
    static Path dir;
    static TestEnv env;
    static Engine engine;
    static long violationsBefore;

    @BeforeAll
    static void start() throws Exception {
        violationsBefore = BlockingGuard.violations();
        env = TestEnv.start(dir, List.of("ledger", "kept"), """
                meridian.databases = [
                  { name = "ledger", path = "%s", create-if-missing = true, seed-keys = 100, schedule = off,
                    retention { scheduled { keep-last = 2 } } }
                  { name = "kept", path = "%s", create-if-missing = true, seed-keys = 100, schedule = off }
                ]
                """.formatted(dir.resolve("db/ledger"), dir.resolve("db/kept")));
        engine = env.server.engine();
    }

    @AfterAll
    static void stop() throws Exception {
        env.close();
        assertEquals(violationsBefore, BlockingGuard.violations(), "no blocking call ran on a Pekko dispatcher (invariant 8)");
    }

    static BackupSummary backup(String db, BackupType type, boolean waitForVerify, ActorRef<ProgressUpdate> progress) throws Exception {
        return await(engine.createBackup(db, new BackupRequest(Engine.newRequestId(), type, "", List.of(), null, waitForVerify), progress));
    }

    @Test
    void anUnchangedSstIsNeitherReadNorStoredAgainButEveryManifestListsIt() throws Exception {
        env.write("kept", "sst", 20_000, 300, 1);
        List<ProgressUpdate> first = new CopyOnWriteArrayList<>();
        ActorRef<ProgressUpdate> l1 = engine.progressListener(first::add);
        BackupSummary a = backup("kept", BackupType.MANUAL, false, l1);
        List<ProgressUpdate> second = new CopyOnWriteArrayList<>();
        ActorRef<ProgressUpdate> l2 = engine.progressListener(second::add);
        BackupSummary b = backup("kept", BackupType.MANUAL, false, l2);
        // Every update a job sent before its reply is passed on before a listener stops.
        await(engine.stopListener(l1));
        await(engine.stopListener(l2));
        Manifest mb = await(engine.readManifest(b.backupId()));
        long sstBytes = mb.files().stream().filter(f -> f.name().endsWith(".sst")).mapToLong(FileEntry::size).sum();
        assertTrue(sstBytes > 1_000_000, "the database has real SSTs: " + sstBytes);
        long toReadFirst = checkpointedTotal(first);
        long toReadSecond = checkpointedTotal(second);
        assertTrue(toReadFirst >= sstBytes, "the first backup reads every SST");
        assertTrue(toReadSecond < sstBytes / 10, "the second reads no unchanged SST: " + toReadSecond);
        assertEquals(a.sizeBytes(), b.sizeBytes(), "the second backup still lists every file it needs");
        assertTrue(b.storedBytes() < 100_000, "and costs only the small files that changed: " + b.storedBytes());
    }

    static long checkpointedTotal(List<ProgressUpdate> updates) {
        return updates.stream().filter(u -> "checkpointed".equals(u.message())).findFirst().orElseThrow().total();
    }

    @Test
    void waitForVerifyReportsTheOutcomeAndAutoVerifyRecordsItShortlyAfter() throws Exception {
        BackupSummary waited = backup("kept", BackupType.MANUAL, true, null);
        assertEquals(Boolean.TRUE, waited.verified());
        BackupSummary auto = backup("kept", BackupType.MANUAL, false, null);
        assertNull(auto.verified());
        TestEnv.eventually(() -> engine.backup(auto.backupId()).verified() != null);
        assertEquals(Boolean.TRUE, engine.backup(auto.backupId()).verified());
    }

    @Test
    void retentionKeepsTheNewestScheduledBackupsLeavesOtherTypesAndCollectsTheirObjects() throws Exception {
        BackupSummary manual = backup("ledger", BackupType.MANUAL, false, null);
        List<BackupSummary> scheduled = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            env.write("ledger", "round" + i, 3000, 200, 10 + i);
            scheduled.add(backup("ledger", BackupType.SCHEDULED, false, null));
        }
        RetentionResult dry = await(engine.applyRetention("ledger", true, Engine.newRequestId()));
        assertEquals(List.of(scheduled.get(0).backupId(), scheduled.get(1).backupId()), dry.deleted());
        assertEquals(5, engine.catalog().ofDatabase("ledger").size(), "a dry run deletes nothing");

        long objectsBefore = env.objectFiles().size();
        RetentionResult real = await(engine.applyRetention("ledger", false, Engine.newRequestId()));
        assertEquals(dry.deleted(), real.deleted());
        assertTrue(engine.catalog().get(manual.backupId()).isPresent(), "manual backups are kept until deleted");
        assertEquals(3, engine.catalog().ofDatabase("ledger").size());
        TestEnv.eventually(() -> env.objectCount() < objectsBefore);
        assertTrue(env.objectFiles().size() < objectsBefore, "objects only the deleted backups used are collected");
        for (BackupSummary keep : List.of(manual, scheduled.get(2), scheduled.get(3))) {
            assertTrue(await(engine.verify(keep.backupId(), Engine.newRequestId(), null)).valid(), "kept backups stay whole");
        }
    }

    @Test
    void aVerificationCancelledWhileItLoadsLetsTheBackupsObjectsBeCollected() throws Exception {
        // Cancel reaches the verification while it is still reading and pinning the manifest. Its pin must not
        // outlive it, or the objects of the backup stay uncollectable after the backup is deleted.
        env.write("ledger", "cancelled-verify", 3000, 300, 77);
        BackupSummary b = backup("ledger", BackupType.MANUAL, true, null);
        Manifest m = await(engine.readManifest(b.backupId()));
        FileEntry newest = m.files().stream().filter(f -> f.name().endsWith(".sst"))
                .max(Comparator.comparing(FileEntry::name)).orElseThrow();
        Path object = env.objectFile(newest.object().hex());
        assertTrue(Files.exists(object));

        String requestId = Engine.newRequestId();
        var verify = engine.verify(b.backupId(), requestId, null).toCompletableFuture();
        engine.cancel(requestId);
        try {
            verify.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException cancelled) {
            // the expected outcome; a verification that won the race and finished is fine too
        }
        await(engine.delete(b.backupId(), Engine.newRequestId()));
        assertTrue(TestEnv.eventually(() -> !Files.exists(object)),
                "the deleted backup's new SST object is collected; nothing still pins it");
    }
}
