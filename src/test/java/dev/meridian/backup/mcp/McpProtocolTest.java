package dev.meridian.backup.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Streamable HTTP rules and JSON-RPC edge cases, sent by hand with java.net.http (and a raw socket for Host). */
class McpProtocolTest {
    static final String PING = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}";
    static final int MAX_SESSIONS = 40;

    @RegisterExtension
    static final McpTestServer server = new McpTestServer("meridian.mcp { tools-page-size = 3, max-sessions = " + MAX_SESSIONS
                + ", max-request-size = 16KiB }", "alpha");
    static final RawMcp mcp = server.mcp();

    @Test
    void requestWithoutSessionIdIs400() {
        HttpResponse<String> r = mcp.post(PING);
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("missing Mcp-Session-Id"), r.body());
    }

    @Test
    void unknownSessionIdIs404() {
        HttpResponse<String> r = mcp.post("no-such-session", PING);
        assertEquals(404, r.statusCode());
        assertTrue(r.body().contains("send initialize"), r.body());
    }

    @Test
    void unsupportedProtocolVersionHeaderIs400() {
        String session = mcp.open("2025-11-25");
        HttpResponse<String> r = mcp.post(PING, "Mcp-Session-Id", session, "MCP-Protocol-Version", "2099-01-01");
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("2025-11-25, 2025-06-18, 2025-03-26"), r.body());
        // Any supported revision is accepted in the header, as the conformance suite's clients send 2025-03-26.
        assertEquals(200, mcp.post(PING, "Mcp-Session-Id", session, "MCP-Protocol-Version", "2025-03-26").statusCode());
    }

    /** DNS rebinding: a page on another origin must not reach the local server, while loopback pages may. */
    @Test
    void foreignOriginIs403AndLoopbackOriginsGetCors() {
        HttpResponse<String> r = mcp.post(initialize("2025-11-25"), "Origin", "http://evil.example.com");
        assertEquals(403, r.statusCode());
        assertTrue(r.body().contains("allowed-origins"), r.body());
        assertEquals(403, mcp.post(initialize("2025-11-25"), "Origin", "null").statusCode());
        HttpResponse<String> ok = mcp.post(initialize("2025-11-25"), "Origin", "http://localhost:6274");
        assertEquals(200, ok.statusCode(), ok.body());
        assertEquals("http://localhost:6274", ok.headers().firstValue("Access-Control-Allow-Origin").orElse(""));
        assertTrue(ok.headers().firstValue("Access-Control-Expose-Headers").orElse("").contains("Mcp-Session-Id"));
    }

    /** DNS rebinding: the attacker's name in Host is refused even when the request reaches 127.0.0.1. */
    @Test
    void foreignHostIs403() throws Exception {
        assertTrue(rawPost("evil.example.com:" + server.port()).startsWith("HTTP/1.1 403"));
        assertTrue(rawPost("localhost:" + server.port()).startsWith("HTTP/1.1 200"));
        assertTrue(rawPost("127.0.0.1").startsWith("HTTP/1.1 200"));
    }

    @Test
    void jsonArrayBodyIsInvalidRequestFrom2025_06_18On() {
        for (String version : List.of("2025-06-18", "2025-11-25")) {
            String session = mcp.open(version);
            HttpResponse<String> r = mcp.post("[" + PING + "]", "Mcp-Session-Id", session, "MCP-Protocol-Version", version);
            assertTrue(RawMcp.rpcError(r, 400, -32600).path("error").path("message").asText().contains("batches"), r.body());
        }
    }

    @Test
    void batchesStillWorkIn2025_03_26() {
        String session = mcp.open("2025-03-26");
        HttpResponse<String> r = mcp.post("[" + PING + ",{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"},"
                + "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"},{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"initialize\"}]",
                "Mcp-Session-Id", session, "MCP-Protocol-Version", "2025-03-26");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode answers = RawMcp.json(r);
        assertEquals(3, answers.size(), r.body());
        assertEquals(1, answers.get(0).path("id").asInt());
        assertEquals(3, answers.get(1).path("result").path("tools").size());
        assertEquals(-32600, answers.get(2).path("error").path("code").asInt(), "initialize may not be batched");
        HttpResponse<String> onlyNotifications = mcp.post("[{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}]",
                "Mcp-Session-Id", session, "MCP-Protocol-Version", "2025-03-26");
        assertEquals(202, onlyNotifications.statusCode());
        assertEquals(400, mcp.post("[]", "Mcp-Session-Id", session, "MCP-Protocol-Version", "2025-03-26").statusCode());
    }

    @Test
    void malformedJsonIsParseError() {
        String session = mcp.open("2025-11-25");
        assertTrue(RawMcp.rpcError(mcp.post(session, "{\"jsonrpc\": \"2.0\", \"id\": 1, "), 400, -32700).path("id").isNull());
        // Trailing content after the message is not one JSON value either.
        RawMcp.rpcError(mcp.post(session, PING + " {}"), 400, -32700);
    }

    @Test
    void invalidJsonRpcEnvelopeIsInvalidRequest() {
        String session = mcp.open("2025-11-25");
        for (String bad : List.of("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}", "{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"ping\"}",
                "{\"jsonrpc\":\"2.0\",\"id\":1}", "42")) {
            RawMcp.rpcError(mcp.post(session, bad), 400, -32600);
        }
        JsonNode positional = RawMcp.rpcError(mcp.post(session, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\",\"params\":[1]}"), 200, -32602);
        assertEquals(5, positional.path("id").asInt());
    }

    @Test
    void unknownMethodIsMethodNotFound() {
        String session = mcp.open("2025-11-25");
        JsonNode body = RawMcp.rpcError(mcp.post(session, "{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"method\":\"resources/list\"}"), 200, -32601);
        assertEquals("abc", body.path("id").asText());
    }

    @Test
    void notificationsAndRepliesGet202WithNoBody() {
        String session = mcp.open("2025-11-25");
        HttpResponse<String> n = mcp.post(session, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":99}}");
        assertEquals(202, n.statusCode());
        assertEquals("", n.body());
        assertEquals(202, mcp.post(session, "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{}}").statusCode());
    }

    @Test
    void deleteEndsTheSession() {
        String session = mcp.open("2025-11-25");
        assertEquals(204, mcp.send(mcp.request("Mcp-Session-Id", session).DELETE().build()).statusCode());
        assertEquals(404, mcp.post(session, PING).statusCode());
        assertEquals(404, mcp.send(mcp.request("Mcp-Session-Id", session).DELETE().build()).statusCode());
        assertEquals(400, mcp.send(mcp.request().DELETE().build()).statusCode());
    }

    @Test
    void getOffersNoStandaloneStream() {
        String session = mcp.open("2025-11-25");
        HttpResponse<String> r = mcp.send(mcp.request("Mcp-Session-Id", session, "Accept", "text/event-stream").GET().build());
        assertEquals(405, r.statusCode());
        assertTrue(r.headers().firstValue("Allow").orElse("").contains("POST"));
    }

    @Test
    void initializeNegotiatesTheVersion() {
        assertEquals("2025-06-18", RawMcp.json(mcp.post(initialize("2025-06-18"))).path("result").path("protocolVersion").asText());
        assertEquals("2025-03-26", RawMcp.json(mcp.post(initialize("2025-03-26"))).path("result").path("protocolVersion").asText());
        assertEquals("2024-11-05", RawMcp.json(mcp.post(initialize("2024-11-05"))).path("result").path("protocolVersion").asText(),
                "a client that POSTs initialize speaks Streamable HTTP; agreeing on its revision keeps it connected");
        HttpResponse<String> old = mcp.post(initialize("2024-10-07"));
        assertEquals("2025-11-25", RawMcp.json(old).path("result").path("protocolVersion").asText(), "unsupported: offer the newest");
        assertTrue(old.headers().firstValue("Mcp-Session-Id").orElse("").matches("[A-Za-z0-9_-]{43}"), "256-bit random id");
        RawMcp.rpcError(mcp.post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{}}"), 200, -32602);
        String session = mcp.open("2025-11-25");
        assertEquals(400, mcp.post(initialize("2025-11-25"), "Mcp-Session-Id", session).statusCode());
    }

    @Test
    void toolsListIsPaginatedWithOpaqueCursors() {
        String session = mcp.open("2025-11-25");
        List<String> names = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            String params = cursor == null ? "{}" : "{\"cursor\":\"" + cursor + "\"}";
            JsonNode result = RawMcp.json(mcp.post(session, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":" + params + "}"))
                    .path("result");
            result.path("tools").forEach(t -> names.add(t.path("name").asText()));
            cursor = result.has("nextCursor") ? result.path("nextCursor").asText() : null;
            pages++;
        } while (cursor != null);
        assertEquals(3, pages);
        assertEquals(8, names.size());
        assertEquals(8, names.stream().distinct().count());
        RawMcp.rpcError(mcp.post(session, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{\"cursor\":\"bogus\"}}"), 200, -32602);
    }

    /** A tools/call that does not fit CallToolRequest is a protocol error; argument values are tool errors. */
    @Test
    void malformedToolCallsAreInvalidParams() {
        String session = mcp.open("2025-11-25");
        for (String params : List.of("{\"name\":\"backup.list\",\"arguments\":[1]}", "{\"arguments\":{}}",
                "{\"name\":\"backup.list\",\"_meta\":{\"progressToken\":{\"a\":1}}}", "{\"name\":\"backup:list\"}")) {
            RawMcp.rpcError(mcp.post(session, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":" + params + "}"), 200, -32602);
        }
        JsonNode valueError = RawMcp.json(mcp.post(session, RawMcp.call(2, "backup.list", "{\"type\":\"weekly\"}"))).path("result");
        assertTrue(valueError.path("isError").asBoolean());
        assertTrue(valueError.path("content").get(0).path("text").asText().contains("unknown backup type 'weekly'"));
        RawMcp.rpcError(mcp.post(session, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"logging/setLevel\",\"params\":{\"level\":\"loud\"}}"), 200, -32602);
    }

    /** Calls with a progressToken answer as an SSE stream: notifications first, the result last, then the end. */
    @Test
    void longCallWithProgressTokenAnswersWithAnEventStream() {
        String session = mcp.open("2025-11-25");
        HttpResponse<String> r = mcp.post(session, "{\"jsonrpc\":\"2.0\",\"id\":42,\"method\":\"tools/call\",\"params\":"
                + "{\"name\":\"backup.create\",\"arguments\":{},\"_meta\":{\"progressToken\":7}}}");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<JsonNode> events = new ArrayList<>();
        for (String block : r.body().split("\n\n")) {
            if (block.startsWith("event: message\ndata: ")) {
                events.add(readJson(block.substring("event: message\ndata: ".length())));
            }
        }
        assertTrue(events.size() >= 2, r.body());
        JsonNode last = events.get(events.size() - 1);
        assertEquals(42, last.path("id").asInt());
        assertFalse(last.path("result").path("isError").asBoolean(), r.body());
        for (JsonNode e : events.subList(0, events.size() - 1)) {
            assertEquals("notifications/progress", e.path("method").asText());
            assertEquals(7, e.path("params").path("progressToken").asInt());
        }
        // Without a token the same call is plain JSON.
        HttpResponse<String> plain = mcp.post(session, RawMcp.call(43, "backup.create", "{}"));
        assertEquals(43, RawMcp.json(plain).path("id").asInt());
    }

    @Test
    void wrongContentTypeIs415AndOversizedBodyIs413() {
        HttpResponse<String> text = mcp.send(mcp.request("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString(PING)).build());
        assertEquals(415, text.statusCode());
        String session = mcp.open("2025-11-25");
        String big = RawMcp.call(1, "backup.create", "{\"description\":\"" + "x".repeat(20_000) + "\"}");
        assertEquals(413, mcp.post(session, big).statusCode());
        // The same body sent chunked (no Content-Length) runs past the limit while it is read: also 413.
        HttpResponse<String> chunked = mcp.send(mcp.request("Mcp-Session-Id", session, "MCP-Protocol-Version", "2025-11-25")
                .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(
                        big.getBytes(StandardCharsets.UTF_8)))).build());
        assertEquals(413, chunked.statusCode(), chunked.body());
    }

    @Test
    void sessionRulesComeFirstEvenWhenParamsAreMalformed() {
        String badParams = "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":\"x\"}";
        assertEquals(404, mcp.post("no-such-session", badParams).statusCode());
        assertEquals(400, mcp.post(badParams).statusCode());
        String session = mcp.open("2025-11-25");
        RawMcp.rpcError(mcp.post(session, badParams), 200, -32602);
    }

    /** Sessions are bounded: past the limit initialize is refused with 503 until sessions end. */
    @Test
    void sessionsAreBounded() {
        List<String> opened = new ArrayList<>();
        HttpResponse<String> r;
        while ((r = mcp.post(initialize("2025-11-25"))).statusCode() == 200) {
            opened.add(r.headers().firstValue("Mcp-Session-Id").orElseThrow());
            assertTrue(opened.size() <= MAX_SESSIONS, "more sessions than meridian.mcp.max-sessions");
        }
        assertEquals(503, r.statusCode());
        assertTrue(r.headers().firstValue("Retry-After").isPresent());
        assertEquals(MAX_SESSIONS, server.route().sessionCount());
        for (String s : opened) {
            mcp.send(mcp.request("Mcp-Session-Id", s).DELETE().build());
        }
        assertEquals(200, mcp.post(initialize("2025-11-25")).statusCode());
    }

    static String initialize(String version) {
        return "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"" + version
                + "\",\"capabilities\":{},\"clientInfo\":{\"name\":\"edge\",\"version\":\"1\"}}}";
    }

    static JsonNode readJson(String s) {
        try {
            return dev.meridian.backup.model.Json.MAPPER.readTree(s);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** java.net.http will not send a forged Host header, so this speaks HTTP/1.1 over a socket. */
    static String rawPost(String host) throws Exception {
        byte[] body = initialize("2025-11-25").getBytes(StandardCharsets.UTF_8);
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /mcp HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream response = new ByteArrayOutputStream();
            in.transferTo(response);
            return response.toString(StandardCharsets.UTF_8);
        }
    }
}
