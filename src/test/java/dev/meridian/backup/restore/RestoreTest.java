package dev.meridian.backup.restore;

import static dev.meridian.backup.TestEnv.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.backup.TestEnv;
import dev.meridian.backup.engine.Engine;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupRequest;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.model.Manifest;
import dev.meridian.backup.model.RestoreResult;
import dev.meridian.backup.runtime.Blocking;
import dev.meridian.backup.store.file.DurableFiles;
import dev.meridian.backup.store.file.FileBlobStore;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Invariant 4: restore never edits a live database in place; the result equals the source at backup time. */
class RestoreTest {
    @TempDir
    static Path dir;
    static TestEnv env;
    static Engine engine;

    @BeforeAll
    static void start() throws Exception {
        env = TestEnv.start(dir, List.of("app", "other"), "");
        engine = env.server.engine();
    }

    @AfterAll
    static void stop() throws Exception {
        env.close();
    }

    static BackupSummary backup(String db, String description) throws Exception {
        return await(engine.createBackup(db, new BackupRequest(Engine.newRequestId(), BackupType.MANUAL, description,
                List.of(), null, false), null));
    }

    static BackupException failure(java.util.concurrent.CompletionStage<?> stage) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> await(stage));
        return (BackupException) Blocking.cause(e);
    }

    @Test
    void restoreReplacesTheDatabaseWithExactlyTheBackedUpStateAfterASafetyBackup() throws Exception {
        env.write("app", "k", 3000, 700, 1);
        Map<String, String> atBackup = env.snapshot("app");
        BackupSummary b = backup("app", "before changes");
        env.write("app", "k", 1500, 700, 2);  // overwrite half
        env.write("app", "extra", 500, 100, 3);
        Map<String, String> beforeRestore = env.snapshot("app");
        assertNotEquals(atBackup, beforeRestore);

        RestoreResult r = await(engine.restore(b.backupId(), null, true, Engine.newRequestId(), null));
        assertEquals(env.dbPath("app").toString(), r.target());
        assertNotNull(r.safetyBackupId(), "a safety backup is taken before the swap");
        assertEquals(atBackup, env.snapshot("app"), "every key/value equals the source at backup time");
        await(engine.withDatabase("app", live -> {
            live.verifyChecksum();
            return null;
        }));

        // The safety backup holds the state just before the restore, and can itself be restored.
        BackupSummary safety = engine.backup(r.safetyBackupId());
        assertTrue(safety.tags().contains("safety"));
        assertEquals(BackupType.MANUAL, safety.type());
        await(engine.restore(safety.backupId(), null, false, Engine.newRequestId(), null));
        assertEquals(beforeRestore, env.snapshot("app"));
        assertNoScratchBeside(env.dbPath("app"));
    }

    @Test
    void aRestoreWhoseHousekeepingFailsAfterTheSwapIsStillASuccessAndTheDatabaseStaysOpen() throws Exception {
        // Forgetting the fingerprint cache is the first step after the restored database is open; make it fail
        // (a directory where its file belongs) and the restore must still report success on a working database.
        env.write("other", "hk", 1000, 300, 31);
        Map<String, String> atBackup = env.snapshot("other");
        BackupSummary b = backup("other", "housekeeping");
        env.write("other", "hk-later", 500, 300, 32);
        Path blocker = env.repositoryState().resolve("fingerprints").resolve("other.json");
        Files.deleteIfExists(blocker);
        Files.createDirectories(blocker.resolve("in-the-way"));
        try {
            RestoreResult r = await(engine.restore(b.backupId(), null, false, Engine.newRequestId(), null));
            assertEquals(b.backupId(), r.backupId());
            assertEquals(atBackup, env.snapshot("other"), "the restored state is live");
            assertEquals("ready", await(engine.databases()).stream().filter(d -> d.name().equals("other")).findFirst()
                    .orElseThrow().state(), "and the database is open, not marked unavailable");
        } finally {
            DurableFiles.deleteTree(blocker);
        }
        assertNoScratchBeside(env.dbPath("other"));
    }

    @Test
    void restoreWithoutSafetyBackupTakesNone() throws Exception {
        BackupSummary b = backup("other", "x");
        int before = engine.catalog().size();
        RestoreResult r = await(engine.restore(b.backupId(), null, false, Engine.newRequestId(), null));
        assertNull(r.safetyBackupId());
        assertEquals(before, engine.catalog().size());
    }

    @Test
    void restoreIntoADirectoryLeavesTheDatabaseAlone() throws Exception {
        env.write("other", "d", 1000, 300, 9);
        Map<String, String> atBackup = env.snapshot("other");
        BackupSummary b = backup("other", "for copy");
        env.write("other", "later", 10, 10, 10);
        Map<String, String> live = env.snapshot("other");
        Path target = env.restoreRoot.resolve("copies").resolve("other-copy");
        RestoreResult r = await(engine.restore(b.backupId(), target.toString(), true, Engine.newRequestId(), null));
        assertNull(r.safetyBackupId(), "the live database is not touched, so no safety backup is needed");
        assertEquals(live, env.snapshot("other"));
        assertEquals(atBackup, TestEnv.readDirectory(target));
        assertNoScratchBeside(target);
    }

    @Test
    void restoreTargetsOutsideTheRestoreRootsAreRefusedAndChangeNothing() throws Exception {
        BackupSummary b = backup("other", "targets");
        for (String bad : new String[] {"/etc/meridian-x", dir.resolve("elsewhere").toString(), "relative/path",
                env.restoreRoot.resolve("../escape").toString(), env.restoreRoot.toString(), env.repository.resolve("x").toString()}) {
            BackupException e = failure(engine.restore(b.backupId(), bad, true, Engine.newRequestId(), null));
            assertTrue(e.code() == ErrorCode.FORBIDDEN || e.code() == ErrorCode.INVALID_ARGUMENT, bad + ": " + e.getMessage());
        }
        assertFalse(Files.exists(dir.resolve("elsewhere")));
        BackupException nul = failure(engine.restore(b.backupId(), env.restoreRoot + "/a\0b", true, Engine.newRequestId(), null));
        assertEquals(ErrorCode.INVALID_ARGUMENT, nul.code());
    }

    @Test
    void aSymlinkUnderTheRestoreRootCannotLeadOutOfIt() throws Exception {
        BackupSummary b = backup("other", "symlink");
        Path outside = Files.createDirectories(dir.resolve("outside-target"));
        Path link = env.restoreRoot.resolve("sneaky");
        Files.createSymbolicLink(link, outside);
        BackupException e = failure(engine.restore(b.backupId(), link.resolve("db").toString(), true, Engine.newRequestId(), null));
        assertEquals(ErrorCode.FORBIDDEN, e.code());
        try (var s = Files.list(outside)) {
            assertEquals(0, s.count());
        }
    }

    @Test
    void aNonEmptyTargetIsRefused() throws Exception {
        BackupSummary b = backup("other", "non-empty");
        Path target = Files.createDirectories(env.restoreRoot.resolve("busy"));
        Files.writeString(target.resolve("keep.txt"), "mine");
        BackupException e = failure(engine.restore(b.backupId(), target.toString(), true, Engine.newRequestId(), null));
        assertEquals(ErrorCode.CONFLICT, e.code());
        assertEquals("mine", Files.readString(target.resolve("keep.txt")));
    }

    @Test
    void aCorruptedObjectStopsTheRestoreBeforeTheDatabaseIsTouched() throws Exception {
        env.write("app", "c", 2000, 500, 21);
        BackupSummary b = backup("app", "to corrupt");
        Manifest m = await(engine.readManifest(b.backupId()));
        var sst = m.files().stream().filter(f -> f.name().endsWith(".sst")).max((x, y) -> Long.compare(x.size(), y.size())).orElseThrow();
        Path object = env.objectFile(sst.object().hex());
        byte original;
        try (RandomAccessFile raf = new RandomAccessFile(object.toFile(), "rw")) {
            raf.seek(raf.length() / 2);
            original = raf.readByte();
            raf.seek(raf.length() / 2);
            raf.writeByte(original ^ 0x01);
        }
        try {
            env.write("app", "after", 10, 10, 22);
            Map<String, String> live = env.snapshot("app");
            int backups = engine.catalog().size();
            BackupException e = failure(engine.restore(b.backupId(), null, true, Engine.newRequestId(), null));
            assertEquals(ErrorCode.VERIFICATION_FAILED, e.code());
            assertTrue(e.getMessage().contains(sst.name()), e.getMessage());
            assertEquals(live, env.snapshot("app"), "the live database is unchanged");
            assertEquals(backups, engine.catalog().size(), "no safety backup was needed: staging failed first");
            assertNoScratchBeside(env.dbPath("app"));
        } finally {
            try (RandomAccessFile raf = new RandomAccessFile(object.toFile(), "rw")) {
                raf.seek(raf.length() / 2);
                raf.writeByte(original);
            }
        }
    }

    @Test
    void restoringAnUnknownBackupIsNotFound() {
        BackupException e = failure(engine.restore(dev.meridian.backup.model.BackupId.parse("20200101T000000000Z-abcdef"),
                null, true, Engine.newRequestId(), null));
        assertEquals(ErrorCode.NOT_FOUND, e.code());
    }

    static void assertNoScratchBeside(Path p) throws Exception {
        try (var s = Files.list(p.getParent())) {
            List<String> left = s.map(x -> x.getFileName().toString()).filter(n -> n.contains(".meridian-")).toList();
            assertEquals(List.of(), left, "no staging, old or checkpoint directory is left");
        }
    }
}
