package dev.meridian.backup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.meridian.backup.Mounts;
import dev.meridian.backup.TestEnv;
import dev.meridian.backup.TestEnv.Reply;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Backups and in-place restores work where the database really lives (issue 7, item 4): through a symlink the
 * real directory is swapped and the link survives; a database directory that is a mount point keeps its
 * checkpoints on its own filesystem (hard links, stable fingerprints, no writable parent needed) and an in-place
 * restore of it is refused before anything is staged or backed up. The mount cases need root (CI runs as root).
 */
class DatabasePathTest {
    @TempDir
    Path dir;

    private TestEnv env;
    private final List<Path> mounts = new ArrayList<>();
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

    @BeforeEach
    void captureLogs() {
        logs.start();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
    }

    @AfterEach
    void cleanUp() throws Exception {
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
        if (env != null) {
            env.close();
        }
        for (int i = mounts.size() - 1; i >= 0; i--) {
            Mounts.unmount(mounts.get(i));
        }
    }

    // ---- symlinks ----

    @Test
    void aSymlinkedDatabaseIsRestoredIntoTheDirectoryTheLinkPointsAtAndTheLinkStays() throws Exception {
        // The input: app/orders -> vol/orders with 10k keys. Before the fix the link itself was renamed
        // away and replaced by a real directory, and the old data was orphaned on the volume.
        Path vol = Files.createDirectories(dir.resolve("vol").resolve("orders"));
        env = new TestEnv(dir, List.of("orders"), "meridian.backup.auto-verify = false");
        Path link = env.dbPath("orders");
        Files.createDirectories(link.getParent());
        Files.createSymbolicLink(link, Path.of("../vol/orders"));
        env.startServer();
        env.write("orders", "order:", 10_000, 100, 1);
        Map<String, String> atBackup = env.snapshot("orders");
        String backupId = backup("orders");
        env.write("orders", "later:", 500, 100, 2);

        Reply r = env.request("POST", "/api/v1/backups/" + backupId + "/restore", "{}");
        assertEquals(200, r.status(), r.raw().body());

        assertLinkIntact(link, Path.of("../vol/orders"));
        assertEquals(atBackup, env.snapshot("orders"), "the reopened database is the backed-up state");
        assertOnly(vol.getParent(), "orders");
        assertOnly(link.getParent(), "orders");
        env.stopServer();
        assertEquals(atBackup, TestEnv.readDirectory(vol), "the volume's directory holds the restored data");
    }

    @Test
    void aChainOfSymlinksIsFollowedAndTheRealPathAsTargetMeansTheDatabase() throws Exception {
        // Same kind, another shape: db/orders -> ../links/hop -> ../vol/data/orders, and the restore names the
        // database by its real path (before the fix: refused as "overlaps database").
        Path real = Files.createDirectories(dir.resolve("vol").resolve("data").resolve("orders"));
        Files.createDirectories(dir.resolve("links"));
        Files.createSymbolicLink(dir.resolve("links").resolve("hop"), Path.of("../vol/data/orders"));
        env = new TestEnv(dir, List.of("orders"), "meridian.backup.auto-verify = false");
        Path link = env.dbPath("orders");
        Files.createDirectories(link.getParent());
        Files.createSymbolicLink(link, Path.of("../links/hop"));
        env.startServer();
        env.write("orders", "order:", 2000, 200, 3);
        Map<String, String> atBackup = env.snapshot("orders");
        String backupId = backup("orders");
        env.write("orders", "order:", 2000, 200, 4); // overwrite every value

        Reply r = env.request("POST", "/api/v1/backups/" + backupId + "/restore",
                "{\"target\":\"" + real.toRealPath() + "\",\"create_safety_backup\":false}");
        assertEquals(200, r.status(), r.raw().body());

        assertLinkIntact(link, Path.of("../links/hop"));
        assertTrue(Files.isSymbolicLink(dir.resolve("links").resolve("hop")), "the inner link stays a link");
        assertEquals(atBackup, env.snapshot("orders"));
        assertOnly(real.getParent(), "orders");
        assertOnly(dir.resolve("links"), "hop");
    }

    // ---- mount points ----

    @Test
    void aMountPointDatabaseWithAReadOnlyParentIsBackedUpWithHardLinksAndReusedFiles() throws Exception {
        // The input: the database directory is a volume, its parent another filesystem (here read-only).
        // Before the fix every checkpoint went to the parent: "Read-only file system; check free space", and
        // with a writable parent every SST was copied and read again (reused_files=0).
        Path parent = Files.createDirectories(dir.resolve("db"));
        assumeTrue(mount(parent, () -> Mounts.tmpfs(parent, "1m")), "mounting needs root; run as root to test a mount point");
        Path vol = Files.createDirectories(parent.resolve("vol"));
        assumeTrue(mount(vol, () -> Mounts.tmpfs(vol, "64m")));
        env = TestEnv.start(dir, List.of("vol"), "meridian.backup.auto-verify = false");
        assumeTrue(Mounts.remountReadOnly(parent), "remount needs root");
        env.write("vol", "k", 4000, 1000, 5);

        backup("vol");
        backup("vol");

        assertTrue(reusedFiles("vol") > 0, "the unchanged SST is recognized by its fingerprint: " + publishedLines());
        assertTrue(lastBytesToRead("vol") < 1_000_000, "the second backup reads only small files: " + checkpointedLines());
        assertOnly(vol, names(vol).stream().filter(n -> !n.startsWith(".")).toArray(String[]::new));
        assertFalse(Files.exists(vol.resolve(".meridian")), "the scratch directory is removed after each backup");
    }

    @Test
    void aBindMountedDatabaseKeepsItsCheckpointOnItsOwnMount() throws Exception {
        // Same kind, another shape: a bind mount keeps the device number but hard links still cannot cross it,
        // so a checkpoint beside it was a full copy.
        Path source = Files.createDirectories(dir.resolve("volumes").resolve("vol"));
        Path vol = Files.createDirectories(dir.resolve("db").resolve("vol"));
        assumeTrue(mount(vol, () -> Mounts.bind(source, vol)), "bind mounts need root; run as root to test a mount point");
        env = TestEnv.start(dir, List.of("vol"), "meridian.backup.auto-verify = false");
        env.write("vol", "k", 4000, 1000, 6);

        backup("vol");
        backup("vol");

        assertTrue(reusedFiles("vol") > 0, "hard-linked SSTs keep their fingerprint: " + publishedLines());
        assertOnly(dir.resolve("db"), "vol");
    }

    @Test
    void anInPlaceRestoreOfAMountPointIsRefusedBeforeStagingOrASafetyBackup() throws Exception {
        Path vol = Files.createDirectories(dir.resolve("db").resolve("vol"));
        assumeTrue(mount(vol, () -> Mounts.tmpfs(vol, "64m")), "mounting needs root; run as root to test a mount point");
        env = TestEnv.start(dir, List.of("vol"), "meridian.backup.auto-verify = false");
        env.write("vol", "k", 1000, 500, 7);
        Map<String, String> atBackup = env.snapshot("vol");
        String backupId = backup("vol");
        env.write("vol", "later:", 100, 100, 8);
        Map<String, String> current = env.snapshot("vol");

        Reply r = env.request("POST", "/api/v1/backups/" + backupId + "/restore", "{}");

        assertEquals(409, r.status(), r.raw().body());
        String message = r.json().path("error").path("message").asText();
        assertTrue(message.contains("is a mount point") && message.contains("Nothing was changed")
                && message.contains("--target"), message);
        assertEquals(1, env.request("GET", "/api/v1/backups?database=vol", null).json().path("total_count").asInt(),
                "no safety backup was taken");
        assertFalse(Files.exists(vol.resolve(".meridian")), "nothing was staged inside the mount");
        assertOnly(dir.resolve("db"), "vol");
        assertEquals(current, env.snapshot("vol"), "the database is unchanged and still open");

        // What the message recommends works: a restore into a directory.
        Path target = env.restoreRoot.resolve("vol-copy");
        Reply copy = env.request("POST", "/api/v1/backups/" + backupId + "/restore", "{\"target\":\"" + target + "\"}");
        assertEquals(200, copy.status(), copy.raw().body());
        assertEquals(atBackup, TestEnv.readDirectory(target));
    }

    // ---- helpers ----

    private interface MountStep {
        boolean run() throws Exception;
    }

    private boolean mount(Path at, MountStep step) throws Exception {
        boolean ok = step.run();
        if (ok) {
            mounts.add(at);
        }
        return ok;
    }

    private String backup(String db) throws Exception {
        Reply r = env.request("POST", "/api/v1/databases/" + db + "/backups", "{}");
        assertEquals(201, r.status(), r.raw().body());
        return r.json().path("backup_id").asText();
    }

    private static void assertLinkIntact(Path link, Path target) throws Exception {
        assertTrue(Files.isSymbolicLink(link), link + " is still a symlink");
        assertEquals(target, Files.readSymbolicLink(link), "and points where it did");
    }

    private static List<String> names(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /**
     * A backup's reply comes before its job has removed the checkpoint (the job lives on briefly to do it), so the
     * directory is awaited to settle before it is compared.
     */
    private static void assertOnly(Path dir, String... expected) throws Exception {
        TestEnv.eventually(() -> {
            try {
                return names(dir).equals(List.of(expected));
            } catch (Exception e) {
                return false;
            }
        });
        assertEquals(List.of(expected), names(dir), "no checkpoint, staging or old directory is left in " + dir);
    }

    private List<String> lines(String event) {
        return logs.list.stream().map(ILoggingEvent::getFormattedMessage).filter(m -> m.startsWith("[" + event + "]")).toList();
    }

    private List<String> publishedLines() {
        return lines("published");
    }

    private List<String> checkpointedLines() {
        return lines("checkpointed");
    }

    private long reusedFiles(String db) {
        return lastField(publishedLines(), db, "reused_files=(\\d+)");
    }

    private long lastBytesToRead(String db) {
        return lastField(checkpointedLines(), db, "; (\\d+) bytes to read");
    }

    private static long lastField(List<String> lines, String db, String regex) {
        Pattern p = Pattern.compile(regex);
        long value = -1;
        for (String line : lines) {
            Matcher m = p.matcher(line);
            if (line.contains("database=" + db) && m.find()) {
                value = Long.parseLong(m.group(1));
            }
        }
        return value;
    }
}
