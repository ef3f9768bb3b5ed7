package dev.meridian.backup.store.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.meridian.backup.Mounts;
import dev.meridian.backup.TestEnv;
import dev.meridian.backup.TestEnv.Reply;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Filesystems that refuse directory fsync (issue 7, item 5): EINVAL or ENOTSUP from fsync of a directory is
 * accepted with one warning per filesystem, as restic, borg and syncthing do; any other failure reaches the user
 * with the operation and the directory named. The seam tests inject the error; the FUSE test runs the whole
 * service on a real filesystem that answers EINVAL (needs root, /dev/fuse and python3-fusepy, as CI has).
 */
class DirectoryFsyncTest {
    @TempDir
    Path dir;

    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

    @BeforeEach
    void captureWarnings() {
        DurableFiles.forgetRefusedFilesystems();
        logs.start();
        ((Logger) LoggerFactory.getLogger(DurableFiles.class)).addAppender(logs);
    }

    @AfterEach
    void stopCapturing() {
        ((Logger) LoggerFactory.getLogger(DurableFiles.class)).detachAppender(logs);
    }

    private List<String> refusalWarnings() {
        return logs.list.stream().map(ILoggingEvent::getFormattedMessage)
                .filter(m -> m.contains("does not support fsync of a directory")).toList();
    }

    @Test
    void einvalFromADirectoryFsyncContinuesWithOneWarningPerFilesystem() throws Exception {
        Path a = Files.createDirectories(dir.resolve("a"));
        Path b = Files.createDirectories(dir.resolve("b"));
        DurableFiles.DirectorySync refuses = d -> {
            throw new IOException("Invalid argument"); // what FileChannel.force reports for EINVAL
        };
        DurableFiles.fsyncDirectory(a, refuses);
        DurableFiles.fsyncDirectory(b, refuses);
        DurableFiles.fsyncDirectory(a, refuses);
        List<String> warnings = refusalWarnings();
        assertEquals(1, warnings.size(), "one warning for the filesystem, not one per call: " + warnings);
        assertTrue(warnings.get(0).contains(a.toString()) && warnings.get(0).contains("Invalid argument"), warnings.get(0));
    }

    @Test
    void enotsupFromADirectoryFsyncAlsoContinues() throws Exception {
        DurableFiles.fsyncDirectory(dir, d -> {
            throw new IOException("Operation not supported");
        });
        assertEquals(1, refusalWarnings().size());
    }

    @Test
    void anyOtherFailureNamesTheOperationAndTheDirectory() {
        IOException eio = new IOException("Input/output error");
        IOException e = assertThrows(IOException.class, () -> DurableFiles.fsyncDirectory(dir, d -> {
            throw eio;
        }));
        assertEquals("fsync of directory " + dir + " failed: Input/output error", e.getMessage());
        assertSame(eio, e.getCause());
        assertEquals(List.of(), refusalWarnings(), "a real I/O error is not mistaken for an unsupported fsync");
    }

    @Test
    void aMissingDirectoryIsNamedWithTheReasonTheJdkLeavesOut() {
        // The JDK's NoSuchFileException message is the bare path; the user must read what went wrong.
        Path missing = dir.resolve("gone");
        IOException e = assertThrows(IOException.class, () -> DurableFiles.fsyncDirectory(missing));
        assertTrue(e.getMessage().startsWith("fsync of directory " + missing + " failed: ")
                && e.getMessage().endsWith("No such file or directory"), e.getMessage());
    }

    @Test
    void theServiceBacksUpAndRestoresWithItsRepositoryOnAFilesystemThatRefusesDirectoryFsync() throws Exception {
        // The input: before the fix `serve` died with "error: Invalid argument", and backup and restore
        // answered 500 "...: Invalid argument".
        Path backing = Files.createDirectories(dir.resolve("backing"));
        Path repo = Files.createDirectories(dir.resolve("repo"));
        Process fuse = Mounts.fuseRefusingDirectoryFsync(backing, repo);
        assumeTrue(fuse != null, "needs root, /dev/fuse and python3-fusepy (apt-get install python3-fusepy; .ci/run does)");
        TestEnv env = null;
        try {
            env = TestEnv.start(dir, List.of("fusedb"), "");
            env.write("fusedb", "k", 2000, 200, 1);
            Map<String, String> atBackup = env.snapshot("fusedb");
            Reply b = env.request("POST", "/api/v1/databases/fusedb/backups", "{}");
            assertEquals(201, b.status(), b.raw().body());
            String id = b.json().path("backup_id").asText();
            env.write("fusedb", "later", 100, 200, 2);

            Reply restored = env.request("POST", "/api/v1/backups/" + id + "/restore", "{}");
            assertEquals(200, restored.status(), restored.raw().body());
            assertEquals(atBackup, env.snapshot("fusedb"));
            Reply verified = env.request("POST", "/api/v1/backups/" + id + "/verify", null);
            assertTrue(verified.json().path("valid").asBoolean(), verified.raw().body());

            List<String> warnings = refusalWarnings();
            assertEquals(1, warnings.size(), "warned once for the repository's filesystem: " + warnings);
            assertTrue(warnings.get(0).contains(repo.toString()), warnings.get(0));
        } finally {
            if (env != null) {
                env.close();
            }
            Mounts.unmount(repo);
            fuse.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            fuse.destroyForcibly();
        }
    }
}
