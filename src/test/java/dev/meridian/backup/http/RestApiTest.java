package dev.meridian.backup.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.TestEnv;
import dev.meridian.backup.TestEnv.Reply;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The REST API end to end over a real socket; every bad input gets a clear error and changes nothing (invariant 7). */
class RestApiTest {
    @TempDir
    static Path dir;
    static TestEnv env;

    @BeforeAll
    static void start() throws Exception {
        env = TestEnv.start(dir, List.of("orders", "users"), "meridian.database.queue-size = 3");
    }

    @AfterAll
    static void stop() throws Exception {
        env.close();
    }

    static JsonNode ok(Reply r, int status) {
        assertEquals(status, r.status(), r.raw().body());
        return r.json();
    }

    static void assertError(Reply r, int status, String code, String... fragments) {
        assertEquals(status, r.status(), r.raw().body());
        assertEquals("application/json", r.raw().headers().firstValue("Content-Type").orElse(""));
        assertEquals(code, r.json().path("error").path("code").asText(), r.raw().body());
        String message = r.json().path("error").path("message").asText();
        for (String f : fragments) {
            assertTrue(message.contains(f), "'" + message + "' should mention '" + f + "'");
        }
        assertFalse(message.contains("Exception") || message.contains("\tat "), "no stack trace: " + message);
    }

    /** Occupies {@code db}'s queue with direct work that ends when {@code release} opens. */
    static CompletableFuture<Object> holdQueue(String db, java.util.concurrent.CountDownLatch release) {
        return env.server.engine().withDatabase(db, live -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        }).toCompletableFuture();
    }

    String create(String db, String body) throws Exception {
        return ok(env.request("POST", "/api/v1/databases/" + db + "/backups", body), 201).path("backup_id").asText();
    }

    @Test
    void theBackupLifecycleOverRest() throws Exception {
        Reply created = env.request("POST", "/api/v1/databases/orders/backups",
                "{\"type\":\"pre_migration\",\"schema_version\":\"v42\",\"description\":\"before v42\",\"tags\":[\"release\"]}");
        JsonNode b = ok(created, 201);
        String id = b.path("backup_id").asText();
        assertEquals("/api/v1/backups/" + id, created.raw().headers().firstValue("Location").orElse(""));
        for (String field : List.of("backup_id", "database", "type", "description", "tags", "created_at", "completed_at",
                "queued_ms", "duration_ms", "size_bytes", "stored_bytes", "file_count", "sequence_number", "schema_version",
                "parent", "verified")) {
            assertTrue(b.has(field), "metadata has " + field + ": " + b);
        }
        assertEquals("pre_migration", b.path("type").asText());
        assertEquals("v42", b.path("schema_version").asText());
        assertTrue(b.path("created_at").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"));
        assertTrue(b.path("size_bytes").asLong() > 0 && b.path("file_count").asInt() >= 3);

        String inc = create("orders", "{\"type\":\"incremental\"}");
        JsonNode incremental = ok(env.request("GET", "/api/v1/backups/" + inc, null), 200);
        assertEquals(id, incremental.path("parent").asText(), "an incremental backup records its parent");
        assertEquals(0, incremental.path("stored_bytes").asLong(), "nothing changed, nothing new is stored");

        JsonNode list = ok(env.request("GET", "/api/v1/databases/orders/backups?tag=release", null), 200);
        assertEquals(1, list.path("total_count").asInt());
        JsonNode verify = ok(env.request("POST", "/api/v1/backups/" + id + "/verify", null), 200);
        assertTrue(verify.path("valid").asBoolean());
        assertEquals(b.path("file_count").asInt(), verify.path("files_checked").asInt());
        assertFalse(verify.path("deep").asBoolean());
        JsonNode deep = ok(env.request("POST", "/api/v1/backups/" + id + "/verify", "{\"deep\":true}"), 200);
        assertTrue(deep.path("valid").asBoolean() && deep.path("deep").asBoolean(), deep.toString());
        JsonNode manifest = ok(env.request("GET", "/api/v1/backups/" + id + "/manifest", null), 200);
        assertEquals(b.path("file_count").asInt(), manifest.path("files").size());
        assertNotNull(manifest.path("manifest_hash").asText(null));

        JsonNode stats = ok(env.request("GET", "/api/v1/stats", null), 200);
        assertTrue(stats.path("by_database").has("orders"));
        assertTrue(stats.path("total").path("dedup_ratio").asDouble() > 1.5, "two backups of the same data share storage");

        JsonNode restored = ok(env.request("POST", "/api/v1/backups/" + id + "/restore",
                "{\"target\":\"" + env.restoreRoot.resolve("orders-copy") + "\"}"), 200);
        assertEquals(id, restored.path("backup_id").asText());
        assertTrue(Files.isRegularFile(env.restoreRoot.resolve("orders-copy/CURRENT")));

        JsonNode deleted = ok(env.request("DELETE", "/api/v1/backups/" + inc, null), 200);
        assertTrue(deleted.path("deleted").asBoolean());
        assertError(env.request("GET", "/api/v1/backups/" + inc, null), 404, "not_found", inc);
        assertEquals(200, env.request("GET", "/healthz", null).status());
        assertTrue(env.request("GET", "/metrics", null).raw().body().contains("meridian_operation_duration"));
    }

    @ParameterizedTest(name = "{0} {1} -> {3}")
    @CsvSource(delimiter = '|', value = {
        "GET|/api/v1/databases/nope/backups||404|not_found|nope",
        "POST|/api/v1/databases/nope/backups|{}|404|not_found|nope",
        "GET|/api/v1/backups/20200101T000000000Z-abcdef||404|not_found|20200101T000000000Z-abcdef",
        "GET|/api/v1/backups/not-an-id||400|invalid_argument|not-an-id",
        "GET|/api/v1/backups/..%2F..%2Fetc%2Fpasswd||400|invalid_argument|invalid backup id",
        "GET|/api/v1/backups/a%00b||400|invalid_argument|invalid backup id",
        "DELETE|/api/v1/backups/%2E%2E||404|not_found|no endpoint",
        "GET|/api/v1/databases/..%2Fx/backups||400|invalid_argument|invalid database name",
        "POST|/api/v1/databases/orders/backups|{\"type\":\"weekly\"}|400|invalid_argument|unknown backup type",
        "POST|/api/v1/databases/orders/backups|{\"tags\":\"x\"}|400|invalid_argument|tags",
        "POST|/api/v1/databases/orders/backups|{\"description\":5}|400|invalid_argument|description",
        "POST|/api/v1/databases/orders/backups|{\"wait_for_verify\":\"yes\"}|400|invalid_argument|wait_for_verify",
        "POST|/api/v1/databases/orders/backups|{\"colour\":\"red\"}|400|invalid_argument|unknown field 'colour'",
        "POST|/api/v1/databases/orders/backups|{\"tags\":[\"a/b\"]}|400|invalid_argument|invalid tag",
        "POST|/api/v1/databases/orders/backups|{\"type\":\"pre_migration\"}|400|invalid_argument|schema_version",
        "POST|/api/v1/databases/orders/backups|{\"tags\":[|400|invalid_argument|not valid JSON",
        "POST|/api/v1/databases/orders/backups|[1,2]|400|invalid_argument|JSON object",
        "POST|/api/v1/databases/orders/backups|{} trailing|400|invalid_argument|JSON",
        "GET|/api/v1/backups?limit=-1||400|invalid_argument|limit",
        "GET|/api/v1/backups?limit=0||400|invalid_argument|limit",
        "GET|/api/v1/backups?limit=99999999999||400|invalid_argument|limit",
        "GET|/api/v1/backups?limit=abc||400|invalid_argument|limit",
        "GET|/api/v1/backups?type=hourly||400|invalid_argument|unknown backup type",
        "GET|/api/v1/backups?cursor=zzz||400|invalid_argument|cursor",
        "GET|/api/v1/backups?cursor=YWZ0ZXI6eA||400|invalid_argument|invalid cursor",
        "POST|/api/v1/databases/orders/backups|null|400|invalid_argument|got null",
        "POST|/api/v1/databases/orders/retention/apply|null|400|invalid_argument|got null",
        "POST|/api/v1/databases/orders/backups|{\"description\":\"a\",\"description\":\"b\"}|400|invalid_argument|Duplicate field 'description'",
        "POST|/api/v1/databases/orders/retention/apply|{\"dry_run\":1}|400|invalid_argument|dry_run",
        "POST|/api/v1/backups/20200101T000000000Z-abcdef/verify|{\"x\":1}|400|invalid_argument|allowed fields: deep",
        "POST|/api/v1/backups/20200101T000000000Z-abcdef/verify|{\"deep\":\"yes\"}|400|invalid_argument|deep",
        "PUT|/api/v1/stats||405|invalid_argument|GET",
        "GET|/api/v1/nothing-here||404|not_found|no endpoint",
    })
    void badInputGetsAClearErrorAndChangesNothing(String method, String path, String body, int status, String code,
            String fragment) throws Exception {
        int before = env.server.engine().catalog().size();
        assertError(env.request(method, path, body == null || body.isEmpty() ? null : body), status, code, fragment);
        assertEquals(before, env.server.engine().catalog().size());
    }

    @Test
    void oversizedAndUnparseableRequestsGetJsonErrorsToo() throws Exception {
        int before = env.server.engine().catalog().size();
        assertError(env.request("POST", "/api/v1/databases/orders/backups", "{\"description\":\"" + "x".repeat(70_000) + "\"}"),
                413, "invalid_argument", "larger than 65536 bytes");
        // Too malformed to reach a route (the JDK client will not even send it): Pekko's parser answers, in JSON.
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", env.server.address().getPort())) {
            s.getOutputStream().write("GET /api/v1/backups/%zz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            String response = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(response.startsWith("HTTP/1.1 400"), response);
            assertTrue(response.contains("Content-Type: application/json"), response);
            assertTrue(response.contains("{\"error\":{\"code\":\"invalid_argument\"") && response.contains("could not be parsed"), response);
        }
        assertEquals(before, env.server.engine().catalog().size());
    }

    @Test
    void restoreTargetsAreCheckedBeforeAnythingHappens() throws Exception {
        String id = create("users", "{}");
        assertError(env.request("POST", "/api/v1/backups/" + id + "/restore", "{\"target\":\"/etc/evil\"}"), 403, "forbidden", "restore root");
        assertError(env.request("POST", "/api/v1/backups/" + id + "/restore", "{\"target\":\"rel/dir\"}"), 400, "invalid_argument", "relative");
        assertError(env.request("POST", "/api/v1/backups/" + id + "/restore", "{\"target\":\"" + env.restoreRoot + "/../x\"}"), 403, "forbidden");
        assertError(env.request("POST", "/api/v1/backups/" + id + "/restore", "{\"create_safety_backup\":\"no\"}"), 400, "invalid_argument", "create_safety_backup");
        assertFalse(Files.exists(Path.of("/etc/evil")));
    }

    @Test
    void aRestoreRacingBackupsOfTheSameDatabaseIsSerializedWithThem() throws Exception {
        String base = create("users", "{\"description\":\"base\"}");
        List<CompletableFuture<Reply>> calls = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            boolean restore = i == 1;
            calls.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return restore
                            ? env.request("POST", "/api/v1/backups/" + base + "/restore", "{\"create_safety_backup\":true}")
                            : env.request("POST", "/api/v1/databases/users/backups", "{}");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        for (CompletableFuture<Reply> c : calls) {
            int status = c.get().status();
            assertTrue(status == 200 || status == 201 || status == 503, c.get().raw().body());
        }
        // Whatever ran, no two operations on 'users' overlapped in time (safety backups included).
        List<JsonNode> users = new ArrayList<>();
        ok(env.request("GET", "/api/v1/databases/users/backups?limit=1000", null), 200).path("backups").forEach(users::add);
        users.sort((a, b) -> a.path("created_at").asText().compareTo(b.path("created_at").asText()));
        for (int i = 1; i < users.size(); i++) {
            Instant prevEnd = Instant.parse(users.get(i - 1).path("completed_at").asText());
            Instant start = Instant.parse(users.get(i).path("created_at").asText());
            assertFalse(start.isBefore(prevEnd), "backups of one database never overlap: " + users.get(i - 1) + " / " + users.get(i));
        }
    }

    @Test
    void aFullQueueAnswersBusyWith503AndRetryAfter() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        CompletableFuture<Object> blocker = holdQueue("orders", release);
        List<CompletableFuture<Reply>> queued = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            queued.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return env.request("POST", "/api/v1/databases/orders/backups", "{}");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        long deadline = System.currentTimeMillis() + 20_000;
        Reply busy;
        do {
            Thread.sleep(100);
            busy = env.request("POST", "/api/v1/databases/orders/backups", "{}");
        } while (busy.status() != 503 && System.currentTimeMillis() < deadline);
        assertError(busy, 503, "busy", "orders", "queue");
        assertEquals("5", busy.raw().headers().firstValue("Retry-After").orElse(""));
        release.countDown();
        blocker.get();
        for (CompletableFuture<Reply> q : queued) {
            assertEquals(201, q.get().status(), q.get().raw().body());
        }
    }

    /** DELETE /operations/{id} cancels a queued operation (202), and says 404 for an id nothing has (not 202). */
    @Test
    void cancellingAnOperationAnswers202ForAQueuedOneAnd404ForAnUnknownId() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        CompletableFuture<Object> blocker = holdQueue("users", release);
        try {
            var http = java.net.http.HttpClient.newHttpClient();
            var post = java.net.http.HttpRequest.newBuilder(java.net.URI.create(env.baseUrl() + "/api/v1/databases/users/backups"))
                    .header("Content-Type", "application/json").header("X-Request-Id", "to-cancel-1")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}")).build();
            CompletableFuture<java.net.http.HttpResponse<String>> queued = http.sendAsync(post,
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            Reply cancel;
            long deadline = System.currentTimeMillis() + 20_000;
            do { // until the backup has reached the queue
                Thread.sleep(50);
                cancel = env.request("DELETE", "/api/v1/operations/to-cancel-1", null);
            } while (cancel.status() == 404 && System.currentTimeMillis() < deadline);
            assertEquals(202, cancel.status(), cancel.raw().body());
            assertEquals("to-cancel-1", cancel.json().path("request_id").asText());
            release.countDown();
            java.net.http.HttpResponse<String> answered = queued.get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(409, answered.statusCode(), answered.body());
            assertTrue(answered.body().contains("cancelled"), answered.body());
        } finally {
            release.countDown();
            blocker.get();
        }
        assertError(env.request("DELETE", "/api/v1/operations/no-such-request", null), 404, "not_found", "no-such-request",
                "finished");
    }

    @Test
    void progressCanBeFollowedAsServerSentEvents() throws Exception {
        var req = java.net.http.HttpRequest.newBuilder(java.net.URI.create(env.baseUrl() + "/api/v1/databases/users/backups"))
                .header("Accept", "text/event-stream").header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}")).build();
        // Repeated backups of an unchanged database take milliseconds: the last progress step ("published", sent
        // before the job answers) must still reach the stream before the result, every time.
        var client = java.net.http.HttpClient.newHttpClient();
        for (int i = 0; i < 20; i++) {
            String body = client.send(req, java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            int published = body.indexOf("\"message\":\"published\"");
            int result = body.indexOf("event:result");
            assertTrue(body.matches("(?s).*event: ?progress.*"), body);
            assertTrue(published >= 0 && result > published, "run " + i + ": progress up to 'published', then the result: " + body);
            assertTrue(body.contains("\"backup_id\""), body);
        }
    }
}
