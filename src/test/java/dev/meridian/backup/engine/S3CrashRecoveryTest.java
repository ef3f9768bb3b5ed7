package dev.meridian.backup.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.ChildServer;
import dev.meridian.backup.TestEnv;
import dev.meridian.backup.cli.Main;
import dev.meridian.backup.model.Json;
import dev.meridian.backup.store.s3.S3Location;
import dev.meridian.backup.store.s3.S3TestServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * SIGKILL of a server on an S3 repository while a multipart upload is in flight (issue 10, "Faults"): no half backup
 * is listed, the killed server's lock is stale once its TTL passes and {@code unlock} breaks it, the next start
 * aborts the abandoned multipart uploads, sweeps the local spool and collects the orphaned objects, and every listed
 * backup verifies; the earlier complete backup still restores.
 */
class S3CrashRecoveryTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    @Test
    void aServerKilledMidMultipartUploadLeavesNoHalfBackupAndRecovers() throws Exception {
        S3TestServer s3 = S3TestServer.shared();
        String url = s3.newUrl();
        S3Location location = s3.location(url);
        String prefix = location.prefix();
        List<String> credentials = List.of("-Daws.accessKeyId=" + S3TestServer.ACCESS_KEY,
                "-Daws.secretAccessKey=" + S3TestServer.SECRET_KEY);
        TestEnv env = new TestEnv(dir, List.of("crashdb"), "meridian.repository { url = \"" + url + "\", s3 { endpoint = \""
                + s3.endpoint() + "\", path-style = true, lock-ttl = 2s } }");
        Path db = env.dbPath("crashdb");
        Files.createDirectories(db);
        RocksDB.loadLibrary();
        Map<String, String> firstState;
        try (Options o = new Options().setCreateIfMissing(true); RocksDB rdb = RocksDB.open(o, db.toString())) {
            TestEnv.writeTo(rdb, "small", 2000, 200, 3);
            firstState = TestEnv.readAll(rdb);
        }

        String first;
        try (ChildServer s = ChildServer.start(env.configFile, null, dir.resolve("server-1.log"), credentials)) {
            first = call(s, "POST", "/api/v1/databases/crashdb/backups", "{}").path("backup_id").asText();
            assertFalse(first.isEmpty(), s.output());
            s.stop();
        }
        // 48 MiB of incompressible values: one SST well above the 16 MiB multipart threshold.
        try (Options o = new Options(); RocksDB rdb = RocksDB.open(o, db.toString())) {
            TestEnv.writeTo(rdb, "big", 12_000, 4096, 4);
        }
        try (Stream<Path> files = Files.list(db)) {
            assertTrue(files.anyMatch(p -> p.toString().endsWith(".sst") && p.toFile().length() > 20L << 20),
                    "the database has an SST that needs a multipart upload");
        }

        try (S3Client raw = S3Client.builder().endpointOverride(URI.create(s3.endpoint())).region(Region.US_EAST_1)
                .forcePathStyle(true).build()) {
            try (ChildServer s = ChildServer.start(env.configFile, null, dir.resolve("server-2.log"), credentials)) {
                CompletableFuture<HttpResponse<String>> backup = HTTP.sendAsync(post(s, "/api/v1/databases/crashdb/backups"),
                        HttpResponse.BodyHandlers.ofString());
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (uploads(raw, location) == 0) {
                    assertFalse(backup.isDone(), "the backup ended before a multipart upload was seen");
                    assertTrue(System.nanoTime() < deadline, "no multipart upload started within 60 s:\n" + s.output());
                    Thread.sleep(5);
                }
                s.process.destroyForcibly(); // SIGKILL while the upload is in flight
                assertTrue(s.waitForExit(30));
            }
            int openUploads = uploads(raw, location);
            long spooled = spoolFiles(env);
            assertTrue(openUploads > 0, "the killed server left its multipart upload open");
            assertTrue(spooled > 0, "the killed server left spool files");
            assertEquals(List.of(prefix + "manifests/crashdb/" + first + ".json"), keys(raw, location, "manifests/"),
                    "only the complete backup has a manifest");

            // The lock of the killed server stays until its TTL passes; then a start is refused as stale, naming unlock.
            Thread.sleep(2_500);
            IllegalStateException refused = assertThrows(IllegalStateException.class,
                    () -> ChildServer.start(env.configFile, null, dir.resolve("server-3.log"), credentials));
            assertTrue(refused.getMessage().contains("stale lock") && refused.getMessage().contains("unlock --repo " + url),
                    refused.getMessage());
            String unlocked = cli("unlock", "--repo", url, "--s3-endpoint", s3.endpoint());
            assertTrue(unlocked.contains("removed the lock of repository " + url), unlocked);

            try (ChildServer s = ChildServer.start(env.configFile, null, dir.resolve("server-4.log"), credentials)) {
                assertEquals(0, uploads(raw, location), "the start aborted the abandoned multipart uploads");
                assertEquals(0, spoolFiles(env), "the start swept the spool");
                assertTrue(s.output().contains("[recovery] removed " + (openUploads + spooled) + " unfinished writes"), s.output());
                JsonNode backups = call(s, "GET", "/api/v1/backups?limit=1000", null);
                assertEquals(1, backups.path("total_count").asInt(), backups.toString());
                Set<String> referenced = new HashSet<>();
                for (JsonNode b : backups.path("backups")) {
                    String id = b.path("backup_id").asText();
                    JsonNode v = call(s, "POST", "/api/v1/backups/" + id + "/verify", "{}");
                    assertTrue(v.path("valid").asBoolean(), "backup " + id + " verifies after the kill: " + v);
                    for (JsonNode f : call(s, "GET", "/api/v1/backups/" + id + "/manifest", null).path("files")) {
                        referenced.add(prefix + "objects/" + f.path("object").asText().substring(0, 2) + "/"
                                + f.path("object").asText());
                    }
                }
                assertTrue(TestEnv.eventually(() -> Set.copyOf(keys(raw, location, "objects/")).equals(referenced)),
                        "objects the killed backup uploaded are collected: " + keys(raw, location, "objects/"));

                Path target = env.restoreRoot.resolve("first");
                JsonNode restored = call(s, "POST", "/api/v1/backups/" + first + "/restore",
                        "{\"target\":\"" + target + "\"}");
                assertEquals(first, restored.path("backup_id").asText(), restored.toString());
                s.stop();
                try (Options o = new Options(); RocksDB rdb = RocksDB.openReadOnly(o, target.toString())) {
                    assertEquals(firstState, TestEnv.readAll(rdb), "the earlier backup restores what it held");
                }
            }
        }
    }

    private static int uploads(S3Client raw, S3Location location) {
        return raw.listMultipartUploads(b -> b.bucket(location.bucket()).prefix(location.prefix())).uploads().size();
    }

    private static List<String> keys(S3Client raw, S3Location location, String under) {
        return raw.listObjectsV2Paginator(b -> b.bucket(location.bucket()).prefix(location.prefix() + under)).contents()
                .stream().map(S3Object::key).filter(k -> !k.endsWith("/")).sorted().toList(); // S3Proxy's directory markers
    }

    private static long spoolFiles(TestEnv env) throws IOException {
        Path spool = env.stateDir.resolve("s3-spool");
        if (!Files.isDirectory(spool)) {
            return 0;
        }
        try (Stream<Path> walk = Files.walk(spool)) {
            return walk.filter(p -> p.toString().endsWith(".part")).count();
        }
    }

    private static HttpRequest post(ChildServer s, String path) {
        return HttpRequest.newBuilder(URI.create(s.url() + path)).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build();
    }

    private static JsonNode call(ChildServer s, String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.url() + path)).timeout(Duration.ofSeconds(120))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return Json.MAPPER.readTree(HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString()).body());
    }

    /** Runs the CLI in this JVM (whose AWS credentials match the test server); returns stdout and stderr. */
    private static synchronized String cli(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            PrintStream both = new PrintStream(out, true, StandardCharsets.UTF_8);
            System.setOut(both);
            System.setErr(both);
            int code = Main.run(args);
            assertEquals(0, code, out.toString(StandardCharsets.UTF_8));
            return out.toString(StandardCharsets.UTF_8);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }
}
