package dev.meridian.backup.store.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.backup.CliRun;
import dev.meridian.backup.TestEnv;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.Json;
import dev.meridian.backup.repository.RepositoryLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole service on an S3 repository (S3Proxy on 127.0.0.1): backups of a real RocksDB database listed, verified
 * and restored through the server and with {@code --repo s3://...}; the lock object; and the faults of issue 10.
 */
class S3RepositoryTest {
    static S3TestServer s3;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        s3 = S3TestServer.shared();
    }

    static CliRun cli(String... args) {
        return CliRun.of(args);
    }

    static String s3Config(String url, String endpoint) {
        return "meridian.repository { url = \"" + url + "\", s3 { endpoint = \"" + endpoint
                + "\", path-style = true, lock-ttl = 3s } }";
    }

    static String[] args(TestEnv env, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--server");
        all.add(env.baseUrl());
        return all.toArray(String[]::new);
    }

    static String[] offline(String url, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--repo", url, "--s3-endpoint", s3.endpoint()));
        return all.toArray(String[]::new);
    }

    /** Every object under the prefix, as the backend holds it (directory markers left out). */
    List<String> keysUnder(String url) throws Exception {
        Path base = s3.bucketDir().resolve(url.substring(("s3://" + S3TestServer.BUCKET + "/").length()));
        if (!Files.isDirectory(base)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(base)) {
            return walk.filter(Files::isRegularFile).map(p -> base.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void aBackupOnS3IsListedVerifiedAndRestoredThroughTheServerAndWithRepoAlone() throws Exception {
        String url = s3.newUrl();
        try (TestEnv env = TestEnv.start(dir, List.of("shop"), s3Config(url, s3.endpoint()))) {
            env.write("shop", "k", 3000, 300, 1);
            Map<String, String> original = env.snapshot("shop");
            CliRun created = cli(args(env, "create", "--json"));
            assertEquals(0, created.code(), created.err());
            String id = created.json().path("backup_id").asText();
            assertEquals(0, cli(args(env, "verify", id, "--json")).code());
            assertTrue(keysUnder(url).contains(RepositoryLock.KEY), "the lock object is there while the server runs");
            assertTrue(keysUnder(url).stream().anyMatch(k -> k.startsWith("manifests/shop/")), keysUnder(url).toString());

            // Read-only --repo work needs no lock: it runs while the server holds it.
            CliRun list = cli(offline(url, "list", "--json"));
            assertEquals(0, list.code(), list.err());
            assertEquals(id, list.json().path("backups").get(0).path("backup_id").asText());
            CliRun verify = cli(offline(url, "verify", id, "--json"));
            assertEquals(0, verify.code(), verify.err() + verify.out());
            Path target = dir.resolve("restored");
            CliRun restore = cli(offline(url, "restore", id, "--target", target.toString(), "--json"));
            assertEquals(0, restore.code(), restore.err());
            assertEquals(original, TestEnv.readDirectory(target));

            // unlock refuses a live lock and names its holder.
            CliRun unlock = cli(offline(url, "unlock"));
            assertEquals(1, unlock.code());
            assertTrue(unlock.err().contains("is locked by host ") && unlock.err().contains("pid " + ProcessHandle.current().pid()),
                    unlock.err());
        }
        assertFalse(keysUnder(url).contains(RepositoryLock.KEY), "a clean stop deletes the lock object");
        assertTrue(keysUnder(url).stream().noneMatch(k -> k.contains("spool") || k.endsWith(".part")));
    }

    @Test
    void aSecondServerOnTheSameBucketRefusesNamingTheHolder() throws Exception {
        String url = s3.newUrl();
        try (TestEnv first = TestEnv.start(dir.resolve("one"), List.of("a"), s3Config(url, s3.endpoint()))) {
            TestEnv second = new TestEnv(dir.resolve("two"), List.of("b"), s3Config(url, s3.endpoint()));
            BackupException e = assertThrows(BackupException.class, second::startServer);
            assertTrue(e.getMessage().contains("is locked by another Meridian server (host ")
                    && e.getMessage().contains("pid " + ProcessHandle.current().pid()) && e.getMessage().contains("since "),
                    e.getMessage());
            CliRun serve = cli("serve", "--config", second.configFile.toString());
            assertEquals(1, serve.code());
            assertTrue(serve.err().startsWith("error: repository " + url + " is locked by another Meridian server"), serve.err());
            assertFalse(serve.err().contains("\tat "), serve.err());
            // The holder keeps refreshing its lock past the 3 s TTL, so it stays live.
            Thread.sleep(3500);
            assertThrows(BackupException.class, second::startServer);
            CliRun c = cli(args(first, "create", "--json"));
            assertEquals(0, c.code());
            CliRun v = cli(args(first, "verify", c.json().path("backup_id").asText(), "--json"));
            assertEquals(0, v.code(), v.out() + v.err());
        }
    }

    @Test
    void aStaleLockRefusesStartUntilUnlockBreaksIt() throws Exception {
        String url = s3.newUrl();
        try (S3BlobStore store = S3BlobStore.open(s3.location(url), dir.resolve("spool"), S3BlobStore.Tuning.DEFAULT)) {
            Instant then = Instant.parse("2026-01-01T00:00:00Z");
            store.write(RepositoryLock.KEY, Json.MAPPER.writeValueAsBytes(
                    new RepositoryLock.Holder("dead", "gone-host", 4242, then, then.plus(Duration.ofMinutes(1)))));
        }
        TestEnv env = new TestEnv(dir, List.of("shop"), s3Config(url, s3.endpoint()));
        BackupException e = assertThrows(BackupException.class, env::startServer);
        // The hint is a command that runs as printed: it names the endpoint the repository is reached at.
        String hint = "bin/meridian-backup unlock --repo " + url + " --s3-endpoint " + s3.endpoint();
        assertTrue(e.getMessage().contains("stale lock from host gone-host, pid 4242, since 2026-01-01T00:00:00Z")
                && e.getMessage().endsWith(hint), e.getMessage());
        CliRun unlock = cli(hint.substring("bin/meridian-backup ".length()).split(" "));
        assertEquals(0, unlock.code(), unlock.err());
        assertTrue(unlock.out().contains("removed the lock of repository " + url + " held by host gone-host, pid 4242"), unlock.out());
        CliRun again = cli(offline(url, "unlock", "--json"));
        assertEquals(0, again.code(), "unlocking an unlocked repository is a no-op: " + again.err());
        assertFalse(again.json().path("removed").asBoolean(), again.out());
        env.startServer();
        env.close();
    }

    @Test
    void unlockOfALocalRepositoryOnlySaysWhetherAProcessHoldsItsOsLock() throws Exception {
        try (TestEnv env = TestEnv.start(dir, List.of("shop"), "")) {
            CliRun held = cli("unlock", "--repo", env.repository.toString());
            assertEquals(1, held.code());
            assertTrue(held.err().contains("is in use by another Meridian process"), held.err());
        }
        CliRun free = cli("unlock", "--repo", dir.resolve("repo").toString());
        assertEquals(0, free.code(), free.err());
        assertTrue(free.out().contains("is not locked"), free.out());
    }

    @Test
    void aMissingBucketAWrongEndpointAndRefusedCredentialsAreOneLineErrorsAndChangeNothing() throws Exception {
        List<String> before;
        try (Stream<Path> walk = Files.walk(s3.bucketDir().getParent())) {
            before = walk.map(Path::toString).sorted().toList();
        }
        int closedPort;
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        try (S3TestServer other = S3TestServer.withOtherCredentials()) {
            Map<String, String[]> cases = Map.of(
                    "does not exist; create the bucket", new String[] {"s3://no-such-bucket/x", s3.endpoint()},
                    "cannot reach S3 bucket", new String[] {"s3://" + S3TestServer.BUCKET + "/x", "http://127.0.0.1:" + closedPort},
                    "refused the credentials", new String[] {"s3://" + S3TestServer.BUCKET + "/x", other.endpoint()});
            for (var c : cases.entrySet()) {
                Path conf = dir.resolve("c" + Math.abs(c.getKey().hashCode()) + ".conf");
                Files.writeString(conf, "meridian { http { host = \"127.0.0.1\", port = 0 }\n  repository.path = \""
                        + dir.resolve("local") + "\"\n  databases = []\n}\n" + s3Config(c.getValue()[0], c.getValue()[1]));
                // A bucket that does not exist is invalid input (exit 2); the others are failures (exit 1).
                int expected = c.getKey().startsWith("does not exist") ? 2 : 1;
                CliRun serve = cli("serve", "--config", conf.toString());
                assertEquals(expected, serve.code(), serve.err());
                assertTrue(serve.err().startsWith("error: ") && serve.err().contains(c.getKey())
                        && serve.err().contains(c.getValue()[1]), serve.err());
                assertEquals(1, serve.err().strip().lines().count(), "one line, no stack trace: " + serve.err());
                CliRun list = cli("list", "--repo", c.getValue()[0], "--s3-endpoint", c.getValue()[1]);
                assertEquals(expected, list.code(), list.err());
                assertTrue(list.err().contains(c.getKey()), list.err());
                assertEquals(1, list.err().strip().lines().count(), list.err());
            }
        }
        List<String> after;
        try (Stream<Path> walk = Files.walk(s3.bucketDir().getParent())) {
            after = walk.map(Path::toString).sorted().toList();
        }
        assertEquals(before, after, "nothing was written to any bucket");
    }

    @Test
    void aBackupCompletesThroughErrorsAndSlowDownsAndADroppedUpload() throws Exception {
        String url = s3.newUrl();
        try (FaultyS3Front front = new FaultyS3Front(s3.port());
                TestEnv env = TestEnv.start(dir, List.of("shop"), s3Config(url, front.endpoint()))) {
            env.write("shop", "k", 2000, 300, 2);
            Map<String, String> original = env.snapshot("shop");
            front.failNext(4);
            front.dropNextUploads(2);
            CliRun created = cli(args(env, "create", "--json"));
            assertEquals(0, created.code(), created.err());
            assertEquals(4, front.errorsAnswered());
            assertEquals(2, front.uploadsDropped());
            String id = created.json().path("backup_id").asText();
            Path target = dir.resolve("restored");
            CliRun restore = cli(offline(url, "restore", id, "--target", target.toString()));
            assertEquals(0, restore.code(), restore.err());
            assertEquals(original, TestEnv.readDirectory(target));
        }
    }

    @Test
    void aBackupWhoseUploadsKeepFailingFailsAndLeavesNoBackupVisible() throws Exception {
        String url = s3.newUrl();
        try (FaultyS3Front front = new FaultyS3Front(s3.port());
                TestEnv env = TestEnv.start(dir, List.of("shop"), s3Config(url, front.endpoint()))) {
            env.write("shop", "k", 500, 300, 3);
            front.dropNextUploads(1_000_000);
            CliRun created = cli(args(env, "create", "--json"));
            assertNotEquals(0, created.code(), created.out());
            assertTrue(created.err().contains("S3 PUT of " + url), created.err());
            front.dropNextUploads(0);
            CliRun list = cli(offline(url, "list", "--json"));
            assertEquals(0, list.code(), list.err());
            assertEquals(0, list.json().path("backups").size(), list.out());
            assertTrue(keysUnder(url).stream().noneMatch(k -> k.startsWith("manifests/")), keysUnder(url).toString());
        }
    }
}
