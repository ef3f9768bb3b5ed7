package dev.meridian.backup.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.TestEnv;
import dev.meridian.backup.model.Manifest;
import dev.meridian.backup.repository.ManifestCodec;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Invariant 1 under load from many agents at once: 200 clients, each in its own MCP session, mix list, stats and
 * create across three databases, while some clients create through REST. Every call is answered, the only error
 * is the documented [busy], and the manifests show that backups of one database never overlapped in time.
 */
class McpConcurrencyTest {
    static final int CLIENTS = 200;
    static final List<String> DATABASES = List.of("alpha", "beta", "gamma");

    @RegisterExtension
    static final McpTestServer server = new McpTestServer("meridian.database.queue-size = 64\nmeridian.backup.auto-verify = false\n"
                + "meridian.mcp.max-sessions = 400", DATABASES.toArray(String[]::new));
    static final RawMcp mcp = server.mcp();

    @Test
    void twoHundredClientsAreAllAnsweredAndBackupsOfADatabaseNeverOverlap() throws Exception {
        Map<String, AtomicInteger> created = new ConcurrentHashMap<>();
        DATABASES.forEach(db -> created.put(db, new AtomicInteger()));
        AtomicInteger answered = new AtomicInteger();
        AtomicInteger busy = new AtomicInteger();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        long started = System.nanoTime();
        for (int i = 0; i < CLIENTS; i++) {
            int client = i;
            pool.execute(() -> {
                try {
                    go.await();
                    runClient(client, created, answered, busy, failures);
                } catch (Exception | AssertionError e) {
                    failures.add("client " + client + ": " + e);
                }
            });
        }
        go.countDown();
        pool.shutdown();
        assertTrue(pool.awaitTermination(3, TimeUnit.MINUTES), "every client finished");
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        System.out.println("concurrency: " + CLIENTS + " clients, " + answered.get() + " calls answered in " + ms + " ms, "
                + created + " backups created, " + busy.get() + " busy");

        assertTrue(failures.isEmpty(), String.join("\n", failures));
        assertEquals(CLIENTS * 3 + CLIENTS / 10 + creatingMcpClients(), answered.get(), "every call answered");
        assertEquals(0, server.route().sessionCount(), "every session ended by DELETE is gone");
        for (String db : DATABASES) {
            List<Manifest> manifests = manifests(db);
            assertEquals(created.get(db).get(), manifests.size(), db + ": one manifest per successful create");
            assertTrue(manifests.size() > 0, db + " got backups");
            for (int i = 1; i < manifests.size(); i++) {
                Manifest before = manifests.get(i - 1);
                Manifest next = manifests.get(i);
                assertTrue(!before.completedAt().isAfter(next.createdAt()), db + ": backup " + next.id() + " started at "
                        + next.createdAt() + " while " + before.id() + " ran until " + before.completedAt());
            }
        }
    }

    static int creatingMcpClients() {
        int n = 0;
        for (int i = 0; i < CLIENTS; i++) {
            n += i % 10 != 0 && i % 4 == 1 ? 1 : 0;
        }
        return n;
    }

    /** One agent: open a session, maybe create (over MCP, or REST for every tenth), list, stats, end the session. */
    static void runClient(int client, Map<String, AtomicInteger> created, AtomicInteger answered, AtomicInteger busy,
            ConcurrentLinkedQueue<String> failures) throws Exception {
        String db = DATABASES.get(client % DATABASES.size());
        String session = mcp.open("2025-11-25");
        answered.incrementAndGet();
        if (client % 10 == 0) {
            TestEnv.Reply r = server.env.request("POST", "/api/v1/databases/" + db + "/backups", "{}");
            answered.incrementAndGet();
            if (r.status() == 201) {
                created.get(db).incrementAndGet();
            } else if (r.status() == 503 && r.json().path("error").path("code").asText().equals("busy")) {
                busy.incrementAndGet();
            } else {
                failures.add("client " + client + " REST create: " + r.status() + " " + r.raw().body());
            }
        } else if (client % 4 == 1) {
            JsonNode result = toolCall(session, client, "backup.create", "{\"database\":\"" + db + "\",\"tags\":[\"load\"]}", failures);
            answered.incrementAndGet();
            if (result != null && !result.path("isError").asBoolean()) {
                created.get(db).incrementAndGet();
            } else if (result != null && result.path("content").get(0).path("text").asText().startsWith("[busy]")) {
                busy.incrementAndGet();
            } else if (result != null) {
                failures.add("client " + client + " create: " + result);
            }
        }
        check(toolCall(session, client, "backup.list", "{\"database\":\"" + db + "\",\"limit\":5}", failures), client, failures);
        answered.incrementAndGet();
        check(toolCall(session, client, "backup.get_stats", "{\"database\":\"" + db + "\"}", failures), client, failures);
        answered.incrementAndGet();
        HttpResponse<String> end = mcp.send(mcp.request("Mcp-Session-Id", session).DELETE().build());
        if (end.statusCode() != 204) {
            failures.add("client " + client + " DELETE: " + end.statusCode());
        }
    }

    static JsonNode toolCall(String session, int client, String tool, String args, ConcurrentLinkedQueue<String> failures) {
        HttpResponse<String> r = mcp.post(session, RawMcp.call(client, tool, args));
        if (r.statusCode() != 200) {
            failures.add("client " + client + " " + tool + ": HTTP " + r.statusCode() + " " + r.body());
            return null;
        }
        JsonNode body = RawMcp.json(r);
        if (body.path("id").asInt(-1) != client || !body.has("result")) {
            failures.add("client " + client + " " + tool + ": " + body);
            return null;
        }
        return body.path("result");
    }

    static void check(JsonNode result, int client, ConcurrentLinkedQueue<String> failures) {
        if (result != null && result.path("isError").asBoolean()) {
            failures.add("client " + client + ": " + result);
        }
    }

    static List<Manifest> manifests(String db) throws Exception {
        Path root = server.env.repository;
        List<Manifest> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(root.resolve("manifests").resolve(db))) {
            for (Path f : files.toList()) {
                out.add(ManifestCodec.decode(root.relativize(f).toString(), Files.readAllBytes(f)));
            }
        }
        out.sort(Comparator.comparing(Manifest::createdAt));
        return out;
    }
}
