package dev.meridian.backup.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.meridian.backup.Mounts;
import dev.meridian.backup.TestEnv;
import dev.meridian.backup.engine.StartupRecovery;
import dev.meridian.backup.repository.JobJournal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The start-up safety net (no journal entry, e.g. a backup's non-durable one was lost) finds scratch where this
 * version puts it: beside the real directory of a symlinked database, and inside a mount-point database.
 */
class StartupRecoveryPathsTest {
    @TempDir
    Path dir;

    @Test
    void anOrphanedOldCopyBesideTheRealDirectoryIsPutBackBehindADanglingSymlink() throws Exception {
        TestEnv env = new TestEnv(dir, List.of("orders"), "");
        Path vol = Files.createDirectories(dir.resolve("vol"));
        Files.createDirectories(env.dbPath("orders").getParent());
        Files.createSymbolicLink(env.dbPath("orders"), Path.of("../vol/orders"));
        Path old = Files.createDirectories(vol.resolve(".orders.meridian-old-restore-x"));
        Files.writeString(old.resolve("CURRENT"), "MANIFEST-000001\n");
        Files.createDirectories(vol.resolve(".orders.meridian-checkpoint-b1"));

        List<String> done = StartupRecovery.run(env.settings(), new JobJournal(dir.resolve("journal")));

        assertTrue(Files.isRegularFile(vol.resolve("orders").resolve("CURRENT")), "the only copy is back: " + done);
        assertTrue(Files.isSymbolicLink(env.dbPath("orders")), "the link is untouched");
        assertEquals(List.of("orders"), names(vol), "the checkpoint beside the real directory is removed");
    }

    @Test
    void aLeftoverCheckpointInsideAMountPointIsRemovedAndTheDatabaseFilesAreNot() throws Exception {
        TestEnv env = new TestEnv(dir, List.of("vol"), "");
        Path db = Files.createDirectories(env.dbPath("vol"));
        assumeTrue(Mounts.tmpfs(db, "4m"), "mounting needs root; run as root to test a mount point");
        try {
            Files.writeString(db.resolve("CURRENT"), "MANIFEST-000001\n");
            Path leftover = Files.createDirectories(db.resolve(".meridian").resolve("checkpoint-b1"));
            Files.writeString(leftover.resolve("000007.sst"), "x");
            Files.createDirectories(db.resolve(".meridian").resolve("checkpoint-b2.tmp"));

            List<String> done = StartupRecovery.run(env.settings(), new JobJournal(dir.resolve("journal")));

            assertFalse(Files.exists(db.resolve(".meridian")), "the reserved directory is gone: " + done);
            assertEquals(List.of("CURRENT"), names(db), "the database's own files are untouched");
            assertEquals(List.of("vol"), names(db.getParent()));
        } finally {
            Mounts.unmount(db);
        }
    }

    private static List<String> names(Path p) throws Exception {
        try (Stream<Path> s = Files.list(p)) {
            return s.map(x -> x.getFileName().toString()).sorted().toList();
        }
    }
}
