package dev.meridian.backup.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;

/**
 * Error texts name the real cause (issue 7, item 4): "Permission denied" must not be told to free space. As root
 * the tests cannot provoke EACCES on a real file, so the JDK's and RocksDB's wordings are given here; read-only and
 * full filesystems are real mounts in DatabaseLocationTest, ServeRepositoryErrorTest and DiskFullTest.
 */
class OsErrorTest {
    @Test
    void eachErrnoWordingMapsToItsKind() {
        assertEquals(OsError.Kind.PERMISSION, OsError.kindOf(new IOException(
                "IO error: While mkdir if missing: /data/.orders.meridian-checkpoint-1.tmp: Permission denied")));
        assertEquals(OsError.Kind.PERMISSION, OsError.kindOf(new IOException("Operation not permitted")));
        assertEquals(OsError.Kind.PERMISSION, OsError.kindOf(new AccessDeniedException("/data/x")));
        assertEquals(OsError.Kind.READ_ONLY, OsError.kindOf(new FileSystemException("/data/x", null, "Read-only file system")));
        assertEquals(OsError.Kind.NO_SPACE, OsError.kindOf(new IOException("outer", new IOException("No space left on device"))));
        assertEquals(OsError.Kind.NO_SPACE, OsError.kindOf(new IOException("Disk quota exceeded")));
        assertEquals(OsError.Kind.OTHER, OsError.kindOf(new IOException("Input/output error")));
    }

    @Test
    void aPermissionErrorIsNeverToldToFreeSpace() {
        BackupException e = BackupException.from(new AccessDeniedException("/srv/backups/objects/ab"), "backup b1 of orders failed");
        assertEquals(ErrorCode.INTERNAL, e.code());
        assertEquals("backup b1 of orders failed: /srv/backups/objects/ab: Permission denied", e.getMessage());
        assertFalse(OsError.advice(OsError.Kind.PERMISSION, "the repository").contains("free space"));
        assertFalse(OsError.advice(OsError.Kind.READ_ONLY, "the repository").contains("free space"));
        assertTrue(OsError.advice(OsError.Kind.NO_SPACE, "the repository").contains("free space"));
    }

    @Test
    void theJdksBarePathMessagesGetTheirReasonBack() {
        assertEquals("/a: Permission denied", OsError.describe(new AccessDeniedException("/a")));
        assertEquals("/a: No such file or directory", OsError.describe(new NoSuchFileException("/a")));
        assertEquals("/a -> /b: Permission denied", OsError.describe(new AccessDeniedException("/a", "/b", null)));
        assertEquals("/a: Read-only file system", OsError.describe(new FileSystemException("/a", null, "Read-only file system")));
        assertEquals("Invalid argument", OsError.describe(new IOException("Invalid argument")));
    }
}
