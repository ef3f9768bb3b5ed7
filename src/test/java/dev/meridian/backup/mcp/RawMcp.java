package dev.meridian.backup.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.model.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Supplier;

/** Hand-written MCP over HTTP with java.net.http, for what an SDK client would never send. */
final class RawMcp {
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    private final Supplier<String> url;

    /** @param url the /mcp URL, asked for at each request (a test class's server starts after its fields are set) */
    RawMcp(Supplier<String> url) {
        this.url = url;
    }

    HttpRequest.Builder request(String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url.get())).timeout(Duration.ofSeconds(60));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return b;
    }

    /** POSTs a JSON body with the headers an MCP client sends, plus {@code headers} (name, value pairs). */
    HttpResponse<String> post(String body, String... headers) {
        return send(request(headers).header("Content-Type", "application/json")
                .header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    /** POSTs to an open session, with the session id and a protocol version header. */
    HttpResponse<String> post(String session, String body) {
        return post(body, "Mcp-Session-Id", session, "MCP-Protocol-Version", "2025-11-25");
    }

    HttpResponse<String> send(HttpRequest request) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** initialize + notifications/initialized; returns the session id. */
    String open(String protocolVersion, String... headers) {
        HttpResponse<String> r = post("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\""
                + protocolVersion + "\",\"capabilities\":{},\"clientInfo\":{\"name\":\"raw-test\",\"version\":\"1\"}}}", headers);
        assertEquals(200, r.statusCode(), r.body());
        String session = r.headers().firstValue("Mcp-Session-Id").orElseThrow();
        String[] withSession = new String[headers.length + 4];
        System.arraycopy(headers, 0, withSession, 0, headers.length);
        withSession[headers.length] = "Mcp-Session-Id";
        withSession[headers.length + 1] = session;
        withSession[headers.length + 2] = "MCP-Protocol-Version";
        withSession[headers.length + 3] = protocolVersion;
        assertEquals(202, post("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", withSession).statusCode());
        return session;
    }

    static JsonNode json(HttpResponse<String> r) {
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), r.headers().toString());
        try {
            return Json.MAPPER.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Asserts the HTTP status and the JSON-RPC error code of an answer; returns the error response. */
    static JsonNode rpcError(HttpResponse<String> r, int status, int code) {
        assertEquals(status, r.statusCode(), r.body());
        JsonNode body = json(r);
        assertEquals(code, body.path("error").path("code").asInt(), r.body());
        return body;
    }

    /** A tools/call request body. */
    static String call(int id, String tool, String arguments) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool
                + "\",\"arguments\":" + arguments + "}}";
    }
}
