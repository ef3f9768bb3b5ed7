package dev.meridian.backup.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.model.Json;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The stateless revision 2026-07-28 beside the session-based ones, on one /mcp endpoint (real HTTP) and on stdio
 * (McpStdio with the real engine): server/discover, caching hints, tools/call with progress, the header and _meta
 * checks, 404 for removed methods, cancellation by closing the stream (HTTP) or notifications/cancelled (stdio),
 * and a 2025-11-25 session working in between. I/O is rate-limited so that a backup of "alpha" (about 4 MB) runs
 * for seconds and can be cancelled mid-copy (gamma too, for stdio: a database already backed up would be copied again
 * in no time, its files being stored already); "beta" is small.
 */
class McpStatelessTest {
    static final String REVISION = "2026-07-28";

    @RegisterExtension
    static final McpTestServer server = new McpTestServer("meridian.io.rate-limit = 1MiB\n"
            + "meridian.backup.auto-verify = false", "alpha", "beta", "gamma", "delta");
    static final RawMcp mcp = server.mcp();

    @BeforeAll
    static void prepare() throws Exception {
        server.env.write("alpha", "big", 4000, 1024, 1);
        server.env.write("beta", "small", 50, 100, 2);
        server.env.write("gamma", "big", 4000, 1024, 3);
        server.env.write("delta", "big", 8000, 1024, 4);
    }

    /** The per-request _meta of this revision, optionally with more members (JSON text without braces). */
    static String meta(String extra) {
        return "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"" + REVISION + "\","
                + "\"io.modelcontextprotocol/clientInfo\":{\"name\":\"stateless-test\",\"version\":\"1\"},"
                + "\"io.modelcontextprotocol/clientCapabilities\":{}" + (extra.isEmpty() ? "" : "," + extra) + "}";
    }

    static String request(Object id, String method, String params) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + Json.MAPPER.valueToTree(id) + ",\"method\":\"" + method + "\",\"params\":{"
                + params + "}}";
    }

    static String call(Object id, String tool, String arguments, String metaExtra) {
        return request(id, "tools/call", "\"name\":\"" + tool + "\",\"arguments\":" + arguments + "," + meta(metaExtra));
    }

    /** POSTs with the standard headers of this revision (Mcp-Name when given) plus {@code extra} (name, value pairs). */
    static HttpResponse<String> post(String body, String method, String name, String... extra) {
        List<String> h = new ArrayList<>(List.of("MCP-Protocol-Version", REVISION, "Mcp-Method", method));
        if (name != null) {
            h.addAll(List.of("Mcp-Name", name));
        }
        h.addAll(List.of(extra));
        return mcp.post(body, h.toArray(String[]::new));
    }

    /** The JSON-RPC messages of an answer: the body, or each data line of an SSE stream. */
    static List<JsonNode> messages(HttpResponse<String> r) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        if (r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream")) {
            for (String line : r.body().split("\n")) {
                if (line.startsWith("data: ")) {
                    out.add(Json.MAPPER.readTree(line.substring(6)));
                }
            }
        } else {
            out.add(Json.MAPPER.readTree(r.body()));
        }
        return out;
    }

    static JsonNode answer(List<JsonNode> messages, Object id) {
        return messages.stream().filter(m -> m.has("id") && m.get("id").equals(Json.MAPPER.valueToTree(id))).findFirst()
                .orElseThrow(() -> new AssertionError("no answer to " + id + " in " + messages));
    }

    static int backups(String database) {
        HttpResponse<String> r = post(call(90, "backup.list", "{\"database\":\"" + database + "\"}", ""), "tools/call",
                "backup.list", "Mcp-Param-Database", database);
        assertEquals(200, r.statusCode(), r.body());
        return RawMcp.json(r).path("result").path("structuredContent").path("total_count").asInt();
    }

    /**
     * The destructive-tool policy (default confirm) holds in this revision too: a stateless backup.delete returns a
     * plan and deletes nothing; the plan's one-time token, sent back in a later stateless request, carries it out.
     */
    @Test
    void aStatelessDeleteReturnsAPlanAndOnlyItsTokenDeletes() throws Exception {
        JsonNode made = answer(messages(post(call(40, "backup.create", "{\"database\":\"beta\"}", ""), "tools/call",
                "backup.create", "Mcp-Param-Database", "beta")), 40);
        String id = made.path("result").path("structuredContent").path("backup_id").asText();
        int before = backups("beta");
        String args = "{\"backup_id\":\"" + id + "\"}";
        JsonNode plan = answer(messages(post(call(41, "backup.delete", args, ""), "tools/call", "backup.delete")), 41)
                .path("result");
        assertEquals("confirmation_required", plan.path("structuredContent").path("status").asText(), plan.toString());
        assertEquals(before, backups("beta"), "the plan deleted nothing");
        String token = plan.path("structuredContent").path("confirmation").path("token").asText();
        assertFalse(token.isEmpty(), plan.toString());
        int at = "mcf1.".length() + 5; // inside the payload, where every bit of a base64url character counts
        String tampered = token.substring(0, at) + (token.charAt(at) == 'A' ? 'B' : 'A') + token.substring(at + 1);
        JsonNode refused = answer(messages(post(call(44, "backup.delete", "{\"backup_id\":\"" + id
                + "\",\"confirmation\":\"" + tampered + "\"}", ""), "tools/call", "backup.delete")), 44);
        assertTrue(refused.path("result").path("isError").asBoolean(), refused.toString());
        assertEquals(before, backups("beta"), "a tampered token deleted something");
        String confirmed = "{\"backup_id\":\"" + id + "\",\"confirmation\":\"" + token + "\"}";
        JsonNode done = answer(messages(post(call(42, "backup.delete", confirmed, ""), "tools/call", "backup.delete")), 42);
        assertFalse(done.path("result").path("isError").asBoolean(), done.toString());
        assertEquals(before - 1, backups("beta"));
        JsonNode replay = answer(messages(post(call(43, "backup.delete", confirmed, ""), "tools/call", "backup.delete")), 43);
        assertTrue(replay.path("result").path("isError").asBoolean(), replay.toString());
    }

    @Test
    void discoverAndToolsListCarryTheRevisionsFieldsAndNoSession() throws Exception {
        HttpResponse<String> d = post(request("d-1", "server/discover", meta("")), "server/discover", null);
        assertEquals(200, d.statusCode(), d.body());
        assertTrue(d.headers().firstValue("Mcp-Session-Id").isEmpty(), "no session in this revision");
        JsonNode discover = RawMcp.json(d).path("result");
        assertEquals("complete", discover.path("resultType").asText());
        assertTrue(discover.path("supportedVersions").toString().contains("\"2026-07-28\""), discover.toString());
        assertTrue(discover.path("supportedVersions").toString().contains("\"2025-11-25\""), discover.toString());
        assertTrue(discover.path("capabilities").has("tools"), discover.toString());
        assertEquals("meridian-backup", discover.path("_meta").path("io.modelcontextprotocol/serverInfo").path("name").asText());
        assertTrue(discover.path("instructions").asText().contains("alpha"), discover.toString());
        assertEquals("public", discover.path("cacheScope").asText());

        HttpResponse<String> l = post(request(2, "tools/list", meta("")), "tools/list", null);
        JsonNode list = RawMcp.json(l).path("result");
        assertEquals(McpStateless.LIST_TTL_MS, list.path("ttlMs").asLong(), list.toString());
        assertEquals("public", list.path("cacheScope").asText());
        assertEquals("complete", list.path("resultType").asText());
        assertEquals(8, list.path("tools").size());
        JsonNode create = list.path("tools").get(0);
        assertEquals("backup_create", create.path("name").asText(), "the default tool-name-style");
        assertEquals("Database", create.path("inputSchema").path("properties").path("database").path("x-mcp-header").asText());
    }

    @Test
    void toolsCallOfListAndCreateWithProgressAndNoUnaskedLogs() throws Exception {
        int before = backups("beta");
        HttpResponse<String> r = post(call(3, "backup.create", "{\"database\":\"beta\"}", "\"progressToken\":\"p-3\""),
                "tools/call", "backup.create", "Mcp-Param-Database", "beta");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"), r.headers().toString());
        List<JsonNode> m = messages(r);
        assertTrue(m.stream().anyMatch(n -> n.path("method").asText().equals("notifications/progress")
                && n.path("params").path("progressToken").asText().equals("p-3")), m.toString());
        assertFalse(m.stream().anyMatch(n -> n.path("method").asText().equals("notifications/message")),
                "no log messages without io.modelcontextprotocol/logLevel: " + m);
        JsonNode result = answer(m, 3).path("result");
        assertFalse(result.path("isError").asBoolean(), result.toString());
        assertEquals("complete", result.path("resultType").asText());
        assertEquals("beta", result.path("structuredContent").path("database").asText());
        assertEquals(before + 1, backups("beta"));

        // Asked for: log messages at info come on the call's own stream.
        HttpResponse<String> logged = post(call(4, "backup.create", "{\"database\":\"beta\"}",
                "\"io.modelcontextprotocol/logLevel\":\"info\""), "tools/call", "backup.create", "Mcp-Param-Database", "beta");
        assertTrue(messages(logged).stream().anyMatch(n -> n.path("method").asText().equals("notifications/message")),
                logged.body());
    }

    @Test
    void headerMismatchIsRefusedWith32020AndChangesNothing() throws Exception {
        int before = backups("beta");
        String create = call(5, "backup.create", "{\"database\":\"beta\"}", "");
        // Mcp-Name names another tool than the body.
        JsonNode e = RawMcp.rpcError(post(create, "tools/call", "backup.list", "Mcp-Param-Database", "beta"), 400, -32020);
        assertEquals(5, e.path("id").asInt(), "the error carries the request's id");
        // Mcp-Method missing.
        RawMcp.rpcError(mcp.post(create, "MCP-Protocol-Version", REVISION, "Mcp-Name", "backup.create",
                "Mcp-Param-Database", "beta"), 400, -32020);
        // MCP-Protocol-Version header differs from _meta.
        RawMcp.rpcError(mcp.post(create, "MCP-Protocol-Version", "2025-11-25", "Mcp-Method", "tools/call",
                "Mcp-Name", "backup.create", "Mcp-Param-Database", "beta"), 400, -32020);
        // The database header routes to alpha while the body names beta; and a missing database header.
        RawMcp.rpcError(post(create, "tools/call", "backup.create", "Mcp-Param-Database", "alpha"), 400, -32020);
        RawMcp.rpcError(post(create, "tools/call", "backup.create"), 400, -32020);
        // Badly padded Base64 is refused; well-formed Base64 of the same value is accepted (backup.list, read-only).
        RawMcp.rpcError(post(create, "tools/call", "backup.create", "Mcp-Param-Database", "=?base64?YmV0YQ?="), 400, -32020);
        HttpResponse<String> ok = post(call(6, "backup.list", "{\"database\":\"beta\"}", ""), "tools/call",
                "=?base64?" + Base64.getEncoder().encodeToString("backup.list".getBytes(StandardCharsets.UTF_8)) + "?=",
                "Mcp-Param-Database", "=?base64?YmV0YQ==?=");
        assertEquals(200, ok.statusCode(), ok.body());
        assertEquals(before, backups("beta"), "no refused request created a backup");
    }

    @Test
    void missingOrWrongMetaIsRefused() throws Exception {
        JsonNode noMeta = RawMcp.rpcError(post(request(7, "tools/list", "\"cursor\":null"), "tools/list", null), 400, -32602);
        assertEquals(7, noMeta.path("id").asInt());
        assertTrue(noMeta.path("error").path("message").asText().contains("io.modelcontextprotocol/protocolVersion"), noMeta.toString());
        RawMcp.rpcError(post(request(8, "tools/list", "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"" + REVISION
                + "\"}"), "tools/list", null), 400, -32602);
        JsonNode unsupported = RawMcp.rpcError(mcp.post(request(9, "tools/list", meta("").replace(REVISION, "2099-01-01")),
                "MCP-Protocol-Version", "2099-01-01", "Mcp-Method", "tools/list"), 400, -32022);
        assertEquals("2099-01-01", unsupported.path("error").path("data").path("requested").asText());
        assertTrue(unsupported.path("error").path("data").path("supported").toString().contains(REVISION), unsupported.toString());
    }

    @Test
    void removedAndUnknownMethodsAre404() throws Exception {
        for (String method : List.of("initialize", "ping", "logging/setLevel", "resources/subscribe", "no/such")) {
            JsonNode e = RawMcp.rpcError(post(request("m-" + method, method, meta("")), method, null), 404, -32601);
            assertEquals("m-" + method, e.path("id").asText(), e.toString());
        }
    }

    @Test
    void aSessionOfAnOlderRevisionStillWorksOnTheSameEndpoint() throws Exception {
        String session = mcp.open("2025-11-25");
        HttpResponse<String> stateless = post(request(10, "tools/list", meta("")), "tools/list", null);
        assertEquals(200, stateless.statusCode());
        JsonNode list = RawMcp.json(mcp.post(session, "{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"tools/list\"}")).path("result");
        assertEquals(8, list.path("tools").size());
        assertFalse(list.has("resultType") || list.has("ttlMs"), "2025-11-25 results have neither: " + list);
        assertFalse(list.path("tools").get(0).path("inputSchema").path("properties").path("database").has("x-mcp-header"), list.toString());
        assertEquals(200, mcp.post(session, "{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"ping\"}").statusCode());
        JsonNode call = RawMcp.json(mcp.post(session, RawMcp.call(13, "backup.list", "{\"database\":\"beta\"}"))).path("result");
        assertFalse(call.path("isError").asBoolean(), call.toString());
        // Without the session id (and without _meta) the old rules still apply.
        assertEquals(400, mcp.post("{\"jsonrpc\":\"2.0\",\"id\":14,\"method\":\"tools/list\"}", "MCP-Protocol-Version",
                "2025-11-25").statusCode());
    }

    /** Over HTTP a stateless call is cancelled by closing its response stream (there is no notifications/cancelled). */
    @Test
    void closingTheStreamCancelsAStatelessBackup() throws Exception {
        int before = backups("alpha");
        HttpRequest create = mcp.request("MCP-Protocol-Version", REVISION, "Mcp-Method", "tools/call", "Mcp-Name", "backup.create",
                        "Mcp-Param-Database", "alpha", "Content-Type", "application/json", "Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(call(20, "backup.create", "{\"database\":\"alpha\"}",
                        "\"progressToken\":\"slow\""))).build();
        HttpResponse<InputStream> stream = RawMcp.HTTP.send(create, HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, stream.statusCode());
        InputStream body = stream.body();
        StringBuilder seen = new StringBuilder();
        int b;
        while (!seen.toString().contains("notifications/progress") && (b = body.read()) != -1) {
            seen.append((char) b);
        }
        assertTrue(seen.toString().contains("notifications/progress"), "the backup is running: " + seen);
        body.close();
        // The database runs one operation at a time: this second backup starts once the first has ended, cancelled
        // (one new backup in all) or completed (two).
        HttpResponse<String> second = post(call(21, "backup.create", "{\"database\":\"alpha\"}", ""), "tools/call",
                "backup.create", "Mcp-Param-Database", "alpha");
        assertFalse(answer(messages(second), 21).path("result").path("isError").asBoolean(), second.body());
        assertEquals(before + 1, backups("alpha"), "the backup whose stream was closed was cancelled");
    }

    /**
     * A call without a progressToken sends nothing until its result, so only the server's own writes can find the
     * closed connection: it probes every second, and the backup (8 MB at 1 MiB/s) is cancelled long before its end.
     */
    @Test
    void closingTheStreamOfACallWithoutProgressCancelsItWithinSeconds() throws Exception {
        int before = backups("delta");
        HttpRequest create = mcp.request("MCP-Protocol-Version", REVISION, "Mcp-Method", "tools/call", "Mcp-Name", "backup.create",
                        "Mcp-Param-Database", "delta", "Content-Type", "application/json", "Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(call(22, "backup.create", "{\"database\":\"delta\"}", ""))).build();
        HttpResponse<InputStream> stream = RawMcp.HTTP.send(create, HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, stream.statusCode());
        assertTrue(stream.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"), stream.headers().toString());
        Thread.sleep(500);
        stream.body().close();
        HttpResponse<String> second = post(call(23, "backup.create", "{\"database\":\"delta\"}", ""), "tools/call",
                "backup.create", "Mcp-Param-Database", "delta");
        assertFalse(answer(messages(second), 23).path("result").path("isError").asBoolean(), second.body());
        assertEquals(before + 1, backups("delta"), "the backup whose stream was closed was cancelled, not finished");
    }

    // ---- stdio ----

    /** McpStdio on pipes with the real engine: lines go in one by one, and every line it writes is collected. */
    static final class StdioPeer implements AutoCloseable {
        final PipedOutputStream in = new PipedOutputStream();
        final LinkedBlockingQueue<JsonNode> out = new LinkedBlockingQueue<>();
        final McpStdio stdio;
        final Thread reader;

        StdioPeer() throws Exception {
            McpSettings settings = McpSettings.from(server.engine().settings().config());
            OutputStream lines = new OutputStream() {
                final ByteArrayOutputStream line = new ByteArrayOutputStream();

                @Override
                public void write(int b) {
                    if (b != '\n') {
                        line.write(b);
                        return;
                    }
                    try {
                        out.add(Json.MAPPER.readTree(line.toString(StandardCharsets.UTF_8)));
                    } catch (Exception e) {
                        throw new AssertionError("stdout carried a line that is not JSON: " + line, e);
                    }
                    line.reset();
                }
            };
            stdio = new McpStdio(new McpServer(server.engine(), settings), settings, new PipedInputStream(in, 1 << 16), lines);
            reader = new Thread(() -> {
                try {
                    stdio.run();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            reader.start();
        }

        void send(String line) throws Exception {
            in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
        }

        JsonNode next() throws InterruptedException {
            JsonNode m = out.poll(60, TimeUnit.SECONDS);
            assertNotNull(m, "no message within 60 s");
            return m;
        }

        /** Reads messages until the answer to {@code id}; returns all read. */
        List<JsonNode> until(Object id) throws InterruptedException {
            List<JsonNode> read = new ArrayList<>();
            JsonNode want = Json.MAPPER.valueToTree(id);
            while (true) {
                JsonNode m = next();
                read.add(m);
                if (want.equals(m.get("id"))) {
                    return read;
                }
            }
        }

        @Override
        public void close() throws Exception {
            in.close();
            reader.join(60_000);
            stdio.awaitCalls(Duration.ofSeconds(60));
            stdio.close();
        }
    }

    @Test
    void stdioServesStatelessRequestsBesideASession() throws Exception {
        try (StdioPeer p = new StdioPeer()) {
            p.send(request(1, "server/discover", meta("")));
            JsonNode discover = p.until(1).get(0).path("result");
            assertTrue(discover.path("supportedVersions").toString().contains(REVISION), discover.toString());
            // The stdio probe without _meta gets a modern error, not "send initialize first".
            p.send(request(2, "server/discover", "\"cursor\":null"));
            assertEquals(-32602, p.until(2).get(0).path("error").path("code").asInt());
            p.send(request(3, "ping", meta("")));
            assertEquals(-32601, p.until(3).get(0).path("error").path("code").asInt(), "ping is gone in " + REVISION);
            p.send(McpVersionNegotiationTest.initialize("2025-11-25").replace("\"id\":1", "\"id\":4"));
            assertEquals("2025-11-25", p.until(4).get(0).path("result").path("protocolVersion").asText());
            p.send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
            p.send("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/list\"}");
            JsonNode legacy = p.until(5).get(0).path("result");
            assertFalse(legacy.has("ttlMs"), legacy.toString());
            p.send(request(6, "tools/list", meta("")));
            assertEquals(McpStateless.LIST_TTL_MS, p.until(6).get(0).path("result").path("ttlMs").asLong());
            p.send(call(7, "backup.create", "{\"database\":\"beta\"}", "\"progressToken\":7"));
            List<JsonNode> m = p.until(7);
            assertTrue(m.stream().anyMatch(n -> n.path("params").path("progressToken").asInt() == 7), m.toString());
            assertFalse(m.stream().anyMatch(n -> n.path("method").asText().equals("notifications/message")), m.toString());
            JsonNode result = m.get(m.size() - 1).path("result");
            assertFalse(result.path("isError").asBoolean(), result.toString());
            assertEquals("complete", result.path("resultType").asText());
        }
    }

    @Test
    void stdioNotificationsCancelledStopsAStatelessBackup() throws Exception {
        int before = backups("gamma");
        try (StdioPeer p = new StdioPeer()) {
            p.send(call("c-1", "backup.create", "{\"database\":\"gamma\"}", "\"progressToken\":\"c\""));
            JsonNode first = p.next();
            assertEquals("notifications/progress", first.path("method").asText(), "the backup is running: " + first);
            p.send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":\"c-1\","
                    + "\"reason\":\"test\"}}");
            p.send(call("c-2", "backup.create", "{\"database\":\"gamma\"}", ""));
            List<JsonNode> rest = p.until("c-2");
            assertFalse(rest.stream().anyMatch(n -> "c-1".equals(n.path("id").asText(null))), "a cancelled call is not answered: " + rest);
            assertFalse(rest.get(rest.size() - 1).path("result").path("isError").asBoolean(true), rest.toString());
        }
        assertEquals(before + 1, backups("gamma"), "the cancelled backup was not published");
    }
}
