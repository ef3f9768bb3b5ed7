package dev.meridian.backup.rocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.meridian.backup.Mounts;
import dev.meridian.backup.TestEnv;
import dev.meridian.backup.model.BackupException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.Checkpoint;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

/**
 * Where a database really lives: scratch directories (checkpoints, restore staging, the old copy) must be made on
 * the database's own filesystem, and a swap must rename the real directory, never a symlink to it.
 */
class DatabaseLocationTest {
    @TempDir
    Path dir;

    @Test
    void aSymlinkedDatabasePathResolvesToTheDirectoryItPointsAt() throws Exception {
        Path real = Files.createDirectories(dir.resolve("vol").resolve("orders"));
        Path app = Files.createDirectories(dir.resolve("app"));
        Files.createSymbolicLink(app.resolve("orders"), Path.of("../vol/orders"));
        DatabaseLocation where = DatabaseLocation.of(app.resolve("orders"));
        assertEquals(real.toRealPath(), where.real());
        assertFalse(where.mountPoint());
        assertEquals(real.toRealPath().resolveSibling(".orders.meridian-checkpoint-b1"), where.checkpoint("b1"),
                "the checkpoint goes beside the real directory, on its filesystem");
    }

    @Test
    void aChainOfRelativeSymlinksAndASymlinkedParentResolveFully() throws Exception {
        Path real = Files.createDirectories(dir.resolve("vol").resolve("data").resolve("orders"));
        Files.createDirectories(dir.resolve("links"));
        Files.createSymbolicLink(dir.resolve("links").resolve("hop"), Path.of("../vol/data/./orders"));
        Files.createSymbolicLink(dir.resolve("app"), dir.resolve("links")); // the parent is a symlink too
        Files.createSymbolicLink(dir.resolve("links").resolve("orders"), Path.of("hop"));
        assertEquals(real.toRealPath(), DatabaseLocation.of(dir.resolve("app").resolve("orders")).real());
    }

    @Test
    void aDanglingSymlinkStillResolvesToWhereTheDatabaseBelongs() throws Exception {
        // A crash between the two renames of a swap leaves the link pointing at nothing; recovery must still
        // know which directory to put back.
        Files.createDirectories(dir.resolve("vol"));
        Files.createSymbolicLink(dir.resolve("orders"), Path.of("vol/orders"));
        assertEquals(dir.toRealPath().resolve("vol").resolve("orders"), DatabaseLocation.of(dir.resolve("orders")).real());
    }

    @Test
    void aSymlinkLoopIsReportedNotFollowedForever() throws Exception {
        Files.createSymbolicLink(dir.resolve("a"), Path.of("b"));
        Files.createSymbolicLink(dir.resolve("b"), Path.of("a"));
        IOException e = assertThrows(IOException.class, () -> DatabaseLocation.of(dir.resolve("a")));
        assertTrue(e.getMessage().contains("symlink loop"), e.getMessage());
    }

    @Test
    void mountinfoEscapesAreDecoded() {
        assertEquals("/mnt/my data\\x", DatabaseLocation.unescape("/mnt/my\\040data\\134x"));
        assertEquals("/a\\04", DatabaseLocation.unescape("/a\\04"));
    }

    @Test
    void aTmpfsMountAndABindMountAreMountPoints() throws Exception {
        Path tmpfs = Files.createDirectories(dir.resolve("tmpfs"));
        Path source = Files.createDirectories(dir.resolve("source"));
        Path bound = Files.createDirectories(dir.resolve("bound"));
        assumeTrue(Mounts.tmpfs(tmpfs, "4m"), "mounting needs root; run as root to test mount points");
        try {
            assumeTrue(Mounts.bind(source, bound), "bind mount needs root");
            try {
                DatabaseLocation t = DatabaseLocation.of(tmpfs);
                assertTrue(t.mountPoint(), "a tmpfs has its own device");
                assertEquals(tmpfs.toRealPath().resolve(".meridian").resolve("checkpoint-b1"), t.checkpoint("b1"),
                        "the checkpoint goes inside the mount, on its filesystem");
                assertTrue(DatabaseLocation.of(bound).mountPoint(), "a bind mount keeps the device but is a mount point");
                assertFalse(DatabaseLocation.of(source).mountPoint());
            } finally {
                Mounts.unmount(bound);
            }
        } finally {
            Mounts.unmount(tmpfs);
        }
    }

    @Test
    void rocksDbIgnoresTheReservedScratchDirectoryInsideItsDirectory() throws Exception {
        // The fallback for a mount point puts checkpoints under <db>/.meridian/: RocksDB must neither trip over
        // it nor delete what is inside it, and a checkpoint of the database must not contain it.
        Path db = dir.resolve("db");
        RocksDB.loadLibrary();
        Map<String, String> written;
        try (Options o = new Options().setCreateIfMissing(true); RocksDB rdb = RocksDB.open(o, db.toString())) {
            TestEnv.writeTo(rdb, "k", 2000, 100, 1);
            Files.createDirectories(db.resolve(".meridian"));
            try (Checkpoint cp = Checkpoint.create(rdb)) {
                cp.createCheckpoint(db.resolve(".meridian").resolve("checkpoint-x").toString());
            }
            TestEnv.writeTo(rdb, "later", 2000, 100, 2);
            rdb.compactRange(); // makes the first SSTs obsolete: RocksDB's scan for obsolete files runs
            written = TestEnv.readAll(rdb);
        }
        try (Options o = new Options(); RocksDB rdb = RocksDB.open(o, db.toString())) {
            assertEquals(written, TestEnv.readAll(rdb), "reopens with the scratch directory present");
        }
        Path inside = db.resolve(".meridian").resolve("checkpoint-x");
        assertEquals(2000, TestEnv.readDirectory(inside).size(), "the checkpoint inside is untouched and opens");
        Path copy = dir.resolve("copy");
        try (Options o = new Options(); RocksDB rdb = RocksDB.open(o, db.toString()); Checkpoint cp = Checkpoint.create(rdb)) {
            cp.createCheckpoint(copy.toString());
        }
        try (Stream<Path> files = Files.list(copy)) {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().equals(".meridian")), "a checkpoint leaves it out");
        }
    }

    @Test
    void aCheckpointOnAReadOnlyFilesystemSaysReadOnlyNotFreeSpace() throws Exception {
        // The "Permission denied; check free space": the hint must follow the real cause.
        Path ro = Files.createDirectories(dir.resolve("ro"));
        assumeTrue(Mounts.tmpfs(ro, "4m"), "mounting needs root; run as root to test a read-only filesystem");
        try {
            assumeTrue(Mounts.remountReadOnly(ro), "remount needs root");
            try (LiveDatabase live = openOnIoThread(dir.resolve("db"))) {
                BackupException e = assertThrows(BackupException.class, () -> live.checkpoint(ro.resolve("cp")));
                assertTrue(e.getMessage().contains("Read-only file system") && e.getMessage().contains("mounted read-only"),
                        e.getMessage());
                assertFalse(e.getMessage().contains("free space"), e.getMessage());
            }
        } finally {
            Mounts.unmount(ro);
        }
    }

    private static LiveDatabase openOnIoThread(Path db) {
        return LiveDatabase.open("db", db, true);
    }

    /**
     * A backup's clean-up (after its reply) must not remove the reserved directory of a mount point while the next
     * backup has placed its checkpoint there but RocksDB has not created it yet (CI saw "While mkdir: ... .meridian/
     * checkpoint-....tmp: No such file or directory").
     */
    @Test
    void removingOneCheckpointKeepsTheReservedDirectoryWhileTheNextIsPlacedThere() throws Exception {
        Path db = Files.createDirectories(dir.resolve("mounted"));
        DatabaseLocation mount = new DatabaseLocation(db, db, true);
        Path first = mount.newCheckpoint("first");
        Files.createDirectory(first); // RocksDB's checkpoint
        Path second = mount.newCheckpoint("second"); // placed; RocksDB has not made it yet
        DatabaseLocation.removeScratch(first);
        assertTrue(Files.isDirectory(db.resolve(DatabaseLocation.SCRATCH)), "the next checkpoint's parent is kept");
        Files.createDirectory(second);
        DatabaseLocation.removeScratch(second);
        assertFalse(Files.exists(db.resolve(DatabaseLocation.SCRATCH)), "removed once no checkpoint is placed there");
    }
}
