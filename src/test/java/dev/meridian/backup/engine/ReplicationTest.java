package dev.meridian.backup.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.backup.CliRun;
import dev.meridian.backup.TestEnv;
import dev.meridian.backup.repository.RepositoryLock;
import dev.meridian.backup.store.s3.S3TestServer;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * meridian.repository.replicas against a real S3 server (S3Proxy on 127.0.0.1): every backup the primary publishes
 * (manual, pre_migration, a restore's safety backup) reaches an encrypted S3 replica and the lag gauges return to 0;
 * the replica alone, with the primary deleted, restores the database with {@code --repo} and the password; an
 * unreachable replica shows lag and failures while backups still succeed, and what it missed is copied after a restart.
 */
class ReplicationTest {
    static final String PASSWORD = "replica-pa55word-never-logged";
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

    static String replicaConfig(String url, String endpoint, Path pw) {
        return "meridian.repository.replicas = [ { name = \"offsite\", url = \"" + url + "\", s3 { endpoint = \"" + endpoint
                + "\", path-style = true, lock-ttl = 3s }, encryption = \"aes-256-gcm\", password-file = \"" + pw + "\" } ]\n";
    }

    static String[] offline(String url, Path pw, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--repo", url, "--s3-endpoint", s3.endpoint(), "--password-file", pw.toString()));
        return all.toArray(String[]::new);
    }

    static String create(TestEnv env, String body) throws Exception {
        TestEnv.Reply r = env.request("POST", "/api/v1/databases/shop/backups", body);
        assertEquals(201, r.status(), r.raw().body());
        return r.json().path("backup_id").asText();
    }

    static String scrape(TestEnv env) throws Exception {
        return env.request("GET", "/metrics", null).raw().body();
    }

    /** The value of {@code metric{replica="offsite"}} in a Prometheus scrape, if present. */
    static OptionalDouble value(String scrape, String metric) {
        Matcher m = Pattern.compile("(?m)^" + metric + "\\{replica=\"offsite\"[^}]*} (\\S+)$").matcher(scrape);
        return m.find() ? OptionalDouble.of(Double.parseDouble(m.group(1))) : OptionalDouble.empty();
    }

    static double metric(TestEnv env, String metric) {
        try {
            return value(scrape(env), metric).orElseThrow();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static Set<String> replicaIds(String url, Path pw) throws Exception {
        CliRun list = cli(offline(url, pw, "list", "--json", "--limit", "100"));
        assertEquals(0, list.code(), list.err());
        Set<String> ids = new TreeSet<>();
        list.json().path("backups").forEach(b -> ids.add(b.path("backup_id").asText()));
        return ids;
    }

    static Path prefixDir(String url) {
        return s3.bucketDir().resolve(url.substring(("s3://" + S3TestServer.BUCKET + "/").length()));
    }

    @Test
    void everyBackupReachesTheEncryptedS3ReplicaAndTheReplicaAloneRestoresTheDatabase() throws Exception {
        String url = s3.newUrl();
        Path pw = Files.writeString(dir.resolve("offsite.password"), PASSWORD + "\n");
        TestEnv env = TestEnv.start(dir.resolve("env"), List.of("shop"), replicaConfig(url, s3.endpoint(), pw));
        String manual;
        String preMigration;
        String safety;
        Map<String, String> atPreMigration;
        try {
            env.write("shop", "a-", 2000, 200, 1);
            manual = create(env, "{}");
            env.write("shop", "b-", 500, 200, 2);
            preMigration = create(env, "{\"type\":\"pre_migration\",\"schema_version\":\"v2\"}");
            atPreMigration = env.snapshot("shop");
            // A restore in place takes a safety backup first: it is replicated too.
            TestEnv.Reply restored = env.request("POST", "/api/v1/backups/" + manual + "/restore", "{}");
            assertEquals(200, restored.status(), restored.raw().body());
            safety = restored.json().path("safety_backup_id").asText();
            assertFalse(safety.isEmpty(), restored.raw().body());

            assertTrue(TestEnv.eventually(() -> metric(env, "meridian_replica_lag_backups") == 0
                    && metric(env, "meridian_replica_last_success_timestamp_seconds") > 0), scrape(env));
            String caughtUp = scrape(env);
            assertEquals(0.0, value(caughtUp, "meridian_replica_lag_seconds").orElseThrow(), caughtUp);
            assertEquals(0.0, value(caughtUp, "meridian_replica_copy_failures_total").orElseThrow(), caughtUp);
            assertTrue(!caughtUp.contains(PASSWORD), "the password is in no metric");
            assertTrue(Files.exists(prefixDir(url).resolve(RepositoryLock.KEY)), "the server holds the replica's lock object");
        } finally {
            env.close();
        }
        assertFalse(Files.exists(prefixDir(url).resolve(RepositoryLock.KEY)), "the replica's lock object is released");
        assertEquals(new TreeSet<>(Set.of(manual, preMigration, safety)), replicaIds(url, pw));

        // Disaster: the primary repository and the local state are gone; the replica and its password are enough.
        TestEnv.deleteTree(env.repository);
        TestEnv.deleteTree(env.stateDir);
        Path target = dir.resolve("recovered");
        CliRun restore = cli(offline(url, pw, "restore", preMigration, "--target", target.toString()));
        assertEquals(0, restore.code(), restore.out() + restore.err());
        assertEquals(atPreMigration, TestEnv.readDirectory(target), "the replica alone restores the same data");
        CliRun show = cli(offline(url, pw, "show", preMigration, "--json"));
        assertEquals("pre_migration", show.json().path("type").asText(), show.out());
        assertEquals("v2", show.json().path("schema_version").asText(), show.out());
    }

    @Test
    void anUnreachableReplicaShowsLagWhileBackupsSucceedAndCatchesUpAfterARestart() throws Exception {
        int closedPort;
        try (ServerSocket probe = new ServerSocket(0)) {
            closedPort = probe.getLocalPort();
        }
        String url = s3.newUrl();
        Path pw = Files.writeString(dir.resolve("offsite.password"), PASSWORD + "\n");
        String wrong = "http://127.0.0.1:" + closedPort;
        TestEnv env = new TestEnv(dir.resolve("env"), List.of("shop"), replicaConfig(url, wrong, pw));
        String first;
        String second;
        try {
            env.startServer();
            env.write("shop", "a-", 1000, 200, 1);
            first = create(env, "{}");
            env.write("shop", "b-", 300, 200, 2);
            second = create(env, "{}");
            assertTrue(TestEnv.eventually(() -> metric(env, "meridian_replica_copy_failures_total") >= 1
                    && metric(env, "meridian_replica_lag_seconds") >= 1), scrape(env));
            String lagging = scrape(env);
            assertEquals(2.0, value(lagging, "meridian_replica_lag_backups").orElseThrow(), lagging);
            assertEquals(0.0, value(lagging, "meridian_replica_last_success_timestamp_seconds").orElseThrow(), lagging);
            assertEquals(200, env.request("GET", "/healthz", null).status());
        } finally {
            env.close();
        }
        assertFalse(Files.exists(prefixDir(url)), "nothing reached the replica");

        // The endpoint fixed, a restart copies what the replica missed, oldest first.
        Files.writeString(env.configFile, Files.readString(env.configFile).replace(wrong, s3.endpoint()));
        try {
            env.startServer();
            assertTrue(TestEnv.eventually(() -> metric(env, "meridian_replica_lag_backups") == 0), scrape(env));
            String caughtUp = scrape(env);
            assertEquals(0.0, value(caughtUp, "meridian_replica_lag_seconds").orElseThrow(), caughtUp);
            assertEquals(0.0, value(caughtUp, "meridian_replica_copy_failures_total").orElseThrow(), "a new process counts anew");
        } finally {
            env.close();
        }
        assertEquals(new TreeSet<>(Set.of(first, second)), replicaIds(url, pw));
    }
}
