package dev.meridian.backup.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.Mounts;
import dev.meridian.backup.TestEnv;
import dev.meridian.backup.TestEnv.Reply;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real full disk: the repository and the restore root are small tmpfs mounts, so writes fail with the kernel's
 * ENOSPC. A backup or restore that runs out of space fails with {@code insufficient_storage} (507), publishes
 * nothing, leaves no partial file behind, gives its space back, and the repository keeps working.
 * Mounting needs root (CI runs as root); elsewhere the test is skipped and says why.
 */
class DiskFullTest {
    @TempDir
    static Path dir;
    static TestEnv env;
    static boolean repoMounted;
    static boolean restoreMounted;

    @BeforeAll
    static void start() throws Exception {
        Path repo = Files.createDirectories(dir.resolve("repo"));
        Path restore = Files.createDirectories(dir.resolve("restore"));
        repoMounted = Mounts.tmpfs(repo, "6m");
        assumeTrue(repoMounted, "mounting a tmpfs needs root; run as root to test a full disk");
        restoreMounted = Mounts.tmpfs(restore, "2m");
        assumeTrue(restoreMounted, "mounting a tmpfs needs root");
        env = TestEnv.start(dir, List.of("big", "small"), "meridian.backup.auto-verify = false");
    }

    @AfterAll
    static void stop() throws Exception {
        if (env != null) {
            env.close();
        }
        if (repoMounted) {
            Mounts.unmount(dir.resolve("repo"));
        }
        if (restoreMounted) {
            Mounts.unmount(dir.resolve("restore"));
        }
    }

    static String backup(String db, int expectStatus) throws Exception {
        Reply r = env.request("POST", "/api/v1/databases/" + db + "/backups", "{\"description\":\"disk full test\"}");
        assertEquals(expectStatus, r.status(), r.raw().body());
        return r.json().path("backup_id").asText();
    }

    static void assertInsufficientStorage(Reply r) {
        assertEquals(507, r.status(), r.raw().body());
        JsonNode error = r.json().path("error");
        assertEquals("insufficient_storage", error.path("code").asText(), r.raw().body());
        String message = error.path("message").asText();
        assertTrue(message.contains("No space left on device") && message.contains("free space"), message);
        assertFalse(message.contains("Exception") || message.contains("\tat "), "no stack trace: " + message);
    }

    static List<Path> filesUnder(Path p) throws IOException {
        if (!Files.exists(p)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(p)) {
            return walk.filter(Files::isRegularFile).toList();
        }
    }

    @Test
    void runningOutOfSpaceFailsCleanlyAndTheRepositoryKeepsWorking() throws Exception {
        // 3 MB of random values fits the 6 MiB repository; 4 MB more does not.
        env.write("big", "first", 3000, 1000, 1);
        String fits = backup("big", 201);
        long objectsAfterFirst = env.objectFiles().size();
        env.write("big", "second", 4000, 1000, 2);

        Reply full = env.request("POST", "/api/v1/databases/big/backups", "{\"description\":\"does not fit\"}");
        assertInsufficientStorage(full);
        JsonNode listed = env.request("GET", "/api/v1/backups?database=big", null).json();
        assertEquals(1, listed.path("total_count").asInt(), "the failed backup published nothing: " + listed);
        assertEquals(fits, listed.path("backups").path(0).path("backup_id").asText());
        assertEquals(List.of(), filesUnder(env.repository.resolve("tmp")), "no partial object is left in tmp/");
        try (Stream<Path> siblings = Files.list(env.dbPath("big").getParent())) {
            assertEquals(List.of(), siblings.filter(p -> p.getFileName().toString().contains("meridian-checkpoint")).toList(),
                    "the checkpoint is removed");
        }
        TestEnv.eventually(() -> env.objectCount() == objectsAfterFirst);
        assertEquals(objectsAfterFirst, env.objectCount(),
                "objects the failed backup wrote are collected, so its space comes back");

        // The repository and the database still work: the earlier backup verifies, a small one fits.
        JsonNode verified = env.request("POST", "/api/v1/backups/" + fits + "/verify", null).json();
        assertTrue(verified.path("valid").asBoolean(), verified.toString());
        backup("small", 201);
        env.write("big", "third", 10, 100, 3);

        // A restore into a directory on a full disk fails the same way and leaves nothing in the restore root.
        Path target = env.restoreRoot.resolve("big-copy");
        Reply restore = env.request("POST", "/api/v1/backups/" + fits + "/restore", "{\"target\":\"" + target + "\"}");
        assertInsufficientStorage(restore);
        assertEquals(List.of(), filesUnder(env.restoreRoot), "no half-restored file is left in the restore root");
        assertFalse(Files.exists(target));
    }
}
