package dev.meridian.backup.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 11's load test: 500 clients at once on one /mcp endpoint, half in 2025-11-25 sessions and half stateless
 * (2026-07-28), listing, reading stats and some creating backups. Every call is answered, or refused with one of
 * the documented errors: HTTP 503 with JSON-RPC -32000 when {@code meridian.mcp.max-sessions} sessions are open, and
 * a {@code [busy]} tool error when a database's queue is full. Afterwards no session is left and the server's heap
 * (this JVM's, after a GC) has not grown by more than {@link #HEAP_GROWTH_LIMIT} bytes.
 */
class McpMixedRevisionLoadTest {
    static final int CLIENTS = 500;
    static final int MAX_SESSIONS = 40;
    static final long HEAP_GROWTH_LIMIT = 96L << 20;
    static final List<String> DATABASES = List.of("alpha", "beta");
    static final String STATELESS = "2026-07-28";

    @RegisterExtension
    static final McpTestServer server = new McpTestServer("meridian.database.queue-size = 4\n"
            + "meridian.backup.auto-verify = false\nmeridian.mcp.max-sessions = " + MAX_SESSIONS, DATABASES.toArray(String[]::new));
    static final RawMcp mcp = server.mcp();

    /** What happened to the calls, by kind: "answered", "refused-sessions", "busy". */
    final Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
    final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

    @Test
    void fiveHundredClientsOfBothRevisionsAreAnsweredOrRefusedAsDocumentedWithBoundedMemory() throws Exception {
        // One warm-up client of each kind, so the heap baseline includes what any first call loads.
        sessionClient(0);
        statelessClient(1);
        long heapBefore = usedHeapAfterGc();
        outcomes.clear();

        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        for (int i = 0; i < CLIENTS; i++) {
            int client = i;
            pool.execute(() -> {
                try {
                    go.await();
                    if (client % 2 == 0) {
                        sessionClient(client);
                    } else {
                        statelessClient(client);
                    }
                } catch (Exception | AssertionError e) {
                    failures.add("client " + client + ": " + e);
                }
            });
        }
        long started = System.nanoTime();
        go.countDown();
        pool.shutdown();
        assertTrue(pool.awaitTermination(4, TimeUnit.MINUTES), "every client finished");
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        long heapAfter = usedHeapAfterGc();
        System.out.println("mixed-revision load: " + CLIENTS + " clients in " + ms + " ms; " + outcomes + "; heap "
                + (heapBefore >> 20) + " MiB before, " + (heapAfter >> 20) + " MiB after");

        assertTrue(failures.isEmpty(), failures.size() + " calls neither answered nor refused as documented:\n"
                + String.join("\n", new ArrayList<>(failures).subList(0, Math.min(20, failures.size()))));
        assertTrue(count("answered") >= CLIENTS * 2, "most calls were answered: " + outcomes);
        assertEquals(0, server.route().sessionCount(), "every session was ended or never opened");
        assertTrue(heapAfter - heapBefore < HEAP_GROWTH_LIMIT, "heap grew by " + ((heapAfter - heapBefore) >> 20) + " MiB");
    }

    int count(String outcome) {
        return outcomes.getOrDefault(outcome, new AtomicInteger()).get();
    }

    void note(String outcome) {
        outcomes.computeIfAbsent(outcome, k -> new AtomicInteger()).incrementAndGet();
    }

    static String database(int client) {
        return DATABASES.get((client / 2) % DATABASES.size());
    }

    /** 2025-11-25: initialize (or the documented refusal), list, stats, every 16th a create, then DELETE. */
    void sessionClient(int client) {
        HttpResponse<String> init = mcp.post("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{"
                + "\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"load\",\"version\":\"1\"}}}");
        if (init.statusCode() == 503) {
            JsonNode refused = RawMcp.json(init);
            if (refused.path("error").path("code").asInt() == JsonRpcException.SERVER_BUSY
                    && refused.path("error").path("message").asText().contains("meridian.mcp.max-sessions")) {
                note("refused-sessions");
            } else {
                failures.add("client " + client + " initialize: 503 " + init.body());
            }
            return;
        }
        if (init.statusCode() != 200) {
            failures.add("client " + client + " initialize: " + init.statusCode() + " " + init.body());
            return;
        }
        note("answered");
        String session = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
        mcp.post("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", "Mcp-Session-Id", session,
                "MCP-Protocol-Version", "2025-11-25");
        String db = database(client);
        if (client % 16 == 0) {
            tool(client, "backup.create", db, mcp.post(session, RawMcp.call(client, "backup.create", args(db))));
        }
        tool(client, "backup.list", db, mcp.post(session, RawMcp.call(client, "backup.list", args(db))));
        tool(client, "backup.get_stats", db, mcp.post(session, RawMcp.call(client, "backup.get_stats", args(db))));
        HttpResponse<String> end = mcp.send(mcp.request("Mcp-Session-Id", session).DELETE().build());
        if (end.statusCode() != 204) {
            failures.add("client " + client + " DELETE: " + end.statusCode());
        }
    }

    /** 2026-07-28: tools/list, list, stats, every 16th a create; each request carries its own _meta, no session. */
    void statelessClient(int client) {
        String db = database(client);
        HttpResponse<String> list = stateless(client, "tools/list", null, null, "");
        if (list.statusCode() != 200 || !RawMcp.json(list).path("result").has("tools")) {
            failures.add("client " + client + " tools/list: " + list.statusCode() + " " + list.body());
        } else {
            note("answered");
        }
        if (client % 16 == 1) {
            tool(client, "backup.create", db, stateless(client, "tools/call", "backup.create", db, args(db)));
        }
        tool(client, "backup.list", db, stateless(client, "tools/call", "backup.list", db, args(db)));
        tool(client, "backup.get_stats", db, stateless(client, "tools/call", "backup.get_stats", db, args(db)));
    }

    static String args(String db) {
        return "{\"database\":\"" + db + "\"}";
    }

    /** A stateless request with this revision's _meta and headers (Mcp-Method, Mcp-Name, Mcp-Param-Database). */
    static HttpResponse<String> stateless(int client, String method, String tool, String db, String arguments) {
        String meta = "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"" + STATELESS + "\","
                + "\"io.modelcontextprotocol/clientInfo\":{\"name\":\"load\",\"version\":\"1\"},"
                + "\"io.modelcontextprotocol/clientCapabilities\":{}}";
        String params = tool == null ? meta : "\"name\":\"" + tool + "\",\"arguments\":" + arguments + "," + meta;
        List<String> headers = new ArrayList<>(List.of("MCP-Protocol-Version", STATELESS, "Mcp-Method", method));
        if (tool != null) {
            headers.addAll(List.of("Mcp-Name", tool, "Mcp-Param-Database", db));
        }
        return mcp.post("{\"jsonrpc\":\"2.0\",\"id\":" + client + ",\"method\":\"" + method + "\",\"params\":{" + params + "}}",
                headers.toArray(String[]::new));
    }

    /** A tools/call answer (plain JSON or one SSE stream): a result, or the documented [busy] of a full queue. */
    void tool(int client, String tool, String db, HttpResponse<String> r) {
        if (r.statusCode() != 200) {
            failures.add("client " + client + " " + tool + " " + db + ": HTTP " + r.statusCode() + " " + r.body());
            return;
        }
        JsonNode answer = null;
        for (JsonNode m : messages(r)) {
            if (m.path("id").asInt(-1) == client) {
                answer = m;
            }
        }
        if (answer == null || !answer.has("result")) {
            failures.add("client " + client + " " + tool + ": " + r.body());
            return;
        }
        JsonNode result = answer.path("result");
        if (!result.path("isError").asBoolean()) {
            note("answered");
        } else if (result.path("content").path(0).path("text").asText().startsWith("[busy]")) {
            note("busy");
        } else {
            failures.add("client " + client + " " + tool + ": " + result);
        }
    }

    static List<JsonNode> messages(HttpResponse<String> r) {
        List<JsonNode> out = new ArrayList<>();
        try {
            if (r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream")) {
                for (String line : r.body().split("\n")) {
                    if (line.startsWith("data: ")) {
                        out.add(dev.meridian.backup.model.Json.MAPPER.readTree(line.substring(6)));
                    }
                }
            } else {
                out.add(dev.meridian.backup.model.Json.MAPPER.readTree(r.body()));
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out;
    }

    static long usedHeapAfterGc() throws InterruptedException {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return memory.getHeapMemoryUsage().getUsed();
    }
}
