package dev.meridian.backup.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.model.Json;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Protocol revision negotiation over stdio (McpStdio on in-memory streams, the engine real): a client's revision is
 * answered when supported, so a TypeScript SDK 1.0.x client (2024-11-05) stays connected, and a session gets only
 * the fields its revision defines.
 */
class McpVersionNegotiationTest {
    @RegisterExtension
    static final McpTestServer server = new McpTestServer("", "alpha");

    static String initialize(String version) {
        return "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"" + version
                + "\",\"capabilities\":{},\"clientInfo\":{\"name\":\"old-client\",\"version\":\"1.0.4\"}}}";
    }

    /** Runs a stdio session over the given input lines to its end; returns every line written to stdout. */
    static List<JsonNode> stdio(String... lines) throws Exception {
        McpSettings settings = McpSettings.from(server.engine().settings().config());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        McpStdio stdio = new McpStdio(new McpServer(server.engine(), settings),
                settings, new ByteArrayInputStream((String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8)), out);
        stdio.run();
        stdio.awaitCalls(Duration.ofSeconds(60));
        stdio.close();
        List<JsonNode> messages = new ArrayList<>();
        for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
            messages.add(Json.MAPPER.readTree(line));
        }
        return messages;
    }

    static JsonNode answer(List<JsonNode> messages, int id) {
        return messages.stream().filter(m -> m.path("id").asInt(-1) == id).findFirst().orElseThrow(() ->
                new AssertionError("no answer to " + id + " in " + messages));
    }

    /** The input: initialize with 2024-11-05 got 2025-11-25 back, and a TypeScript SDK 1.0.x client disconnected. */
    @Test
    void stdioAgreesOn2024_11_05() throws Exception {
        List<JsonNode> out = stdio(initialize("2024-11-05"), "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
                "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}");
        JsonNode init = answer(out, 1).path("result");
        assertEquals("2024-11-05", init.path("protocolVersion").asText());
        assertFalse(init.path("serverInfo").has("title"), "Implementation.title came in 2025-06-18: " + init);
        assertEquals(8, answer(out, 2).path("result").path("tools").size());
    }

    /** Every supported revision is echoed; anything else gets the newest, for the client to decide. */
    @Test
    void supportedRevisionsAreEchoedOthersGetTheNewest() throws Exception {
        for (String v : List.of("2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05")) {
            assertEquals(v, answer(stdio(initialize(v)), 1).path("result").path("protocolVersion").asText());
        }
        for (String v : List.of("2024-10-07", "2099-01-01", "latest")) {
            assertEquals("2025-11-25", answer(stdio(initialize(v)), 1).path("result").path("protocolVersion").asText(), v);
        }
    }

    /**
     * A session gets only what its revision defines: no tool titles, output schemas or structuredContent before
     * 2025-06-18, no annotations or progress messages before 2025-03-26. The JSON result is always in the text block.
     */
    @Test
    void olderSessionsGetOnlyTheFieldsTheirRevisionDefines() throws Exception {
        for (String v : List.of("2024-11-05", "2025-03-26", "2025-06-18")) {
            List<JsonNode> out = stdio(initialize(v), "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
                    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}",
                    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"backup_create\",\"arguments\":{},"
                            + "\"_meta\":{\"progressToken\":\"p\"}}}");
            boolean structured = v.compareTo("2025-06-18") >= 0;
            boolean annotated = v.compareTo("2025-03-26") >= 0;
            for (JsonNode tool : answer(out, 2).path("result").path("tools")) {
                assertEquals(structured, tool.has("title"), v + " " + tool.path("name"));
                assertEquals(structured, tool.has("outputSchema"), v + " " + tool.path("name"));
                assertEquals(annotated, tool.has("annotations"), v + " " + tool.path("name"));
                assertTrue(tool.has("inputSchema") && tool.has("description"), v + " " + tool);
            }
            JsonNode result = answer(out, 3).path("result");
            assertFalse(result.path("isError").asBoolean(true), result.toString());
            assertEquals(structured, result.has("structuredContent"), v + " " + result);
            JsonNode text = Json.MAPPER.readTree(result.path("content").get(0).path("text").asText());
            assertEquals("alpha", text.path("database").asText(), "the text block carries the JSON in every revision");
            List<JsonNode> progress = out.stream().filter(m -> m.path("method").asText().equals("notifications/progress")).toList();
            assertFalse(progress.isEmpty(), v + ": " + out);
            for (JsonNode p : progress) {
                assertEquals(annotated, p.path("params").has("message"), v + " " + p);
            }
        }
    }
}
