package dev.meridian.backup.mcp;

import static dev.meridian.backup.mcp.McpHttpTest.assertToolError;
import static dev.meridian.backup.mcp.McpHttpTest.structured;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 11: {@code meridian.mcp.destructive = deny} lists no destructive tool and refuses calls to them;
 * {@code meridian.mcp.read-only = true} lists and runs only the read tools. Refused calls change nothing.
 */
class McpToolExposureTest {
    @RegisterExtension
    static final McpTestServer deny = new McpTestServer("meridian.mcp.destructive = deny\nmeridian.backup.auto-verify = false", "alpha");
    @RegisterExtension
    static final McpTestServer readOnly = new McpTestServer("meridian.mcp.read-only = true", "alpha");

    static McpSyncClient connect(McpTestServer server) {
        McpSyncClient c = McpClient.sync(HttpClientStreamableHttpTransport.builder(server.baseUrl()).endpoint("/mcp").build())
                .requestTimeout(Duration.ofSeconds(60)).build();
        c.initialize();
        return c;
    }

    static Set<String> names(McpSyncClient c) {
        return c.listTools().tools().stream().map(McpSchema.Tool::name).collect(Collectors.toSet());
    }

    static McpSchema.CallToolResult call(McpSyncClient c, String tool, Map<String, Object> args) {
        return c.callTool(new McpSchema.CallToolRequest(tool, args));
    }

    @Test
    void denyListsNoDestructiveToolAndRefusesThem() {
        McpSyncClient c = connect(deny);
        try {
            assertEquals(Set.of("backup_create", "backup_list", "backup_verify", "backup_get_stats",
                    "backup_create_pre_migration"), names(c));
            String instructions = c.getCurrentInitializationResult().instructions();
            for (String hidden : List.of("backup_delete", "backup_restore", "backup_create_scheduled", "REPLACES")) {
                assertFalse(instructions.contains(hidden), "the instructions name an unlisted tool: " + instructions);
            }
            assertTrue(instructions.contains("backup_create"), instructions);
            String id = (String) structured(call(c, "backup_create", Map.of())).get("backup_id");
            assertToolError(call(c, "backup_delete", Map.of("backup_id", id)), "[forbidden] backup_delete is not available: "
                    + "destructive MCP tools are turned off on this server (meridian.mcp.destructive = deny)");
            assertToolError(call(c, "backup.restore", Map.of("backup_id", id)), "meridian.mcp.destructive = deny");
            assertToolError(call(c, "backup_create_scheduled", Map.of()), "meridian.mcp.destructive = deny");
            // refused before its arguments are looked at: an argument error would tell what the hidden tool takes
            assertToolError(call(c, "backup_create_scheduled", Map.of("schema_version", "7")), "meridian.mcp.destructive = deny");
            assertToolError(call(c, "backup_delete", Map.of()), "meridian.mcp.destructive = deny");
            assertEquals(1, deny.engine().backupsOf("alpha").size(), "a refused call changed the backups");
        } finally {
            c.closeGracefully();
        }
    }

    @Test
    void readOnlyListsAndRunsOnlyTheReadTools() {
        McpSyncClient c = connect(readOnly);
        try {
            assertEquals(Set.of("backup_list", "backup_verify", "backup_get_stats"), names(c));
            String instructions = c.getCurrentInitializationResult().instructions();
            assertFalse(instructions.contains("backup_create") || instructions.contains("backup_delete"), instructions);
            assertTrue(instructions.contains("backup_list") && instructions.contains("backup_verify"), instructions);
            for (McpSchema.Tool t : c.listTools().tools()) {
                assertTrue(t.annotations().readOnlyHint(), t.name());
            }
            assertToolError(call(c, "backup_create", Map.of()), "meridian.mcp.read-only = true");
            assertToolError(call(c, "backup_create_pre_migration", Map.of("schema_version", "1")), "read-only");
            assertToolError(call(c, "backup_create", Map.of("no_such_argument", true)), "meridian.mcp.read-only = true");
            assertEquals(0, readOnly.engine().backupsOf("alpha").size());
            assertEquals(0, structured(call(c, "backup_list", Map.of())).get("total_count"));
        } finally {
            c.closeGracefully();
        }
    }

    /** The stateless revision (2026-07-28) lists the same tools as a session: deny and read-only hide them there too. */
    @Test
    void theStatelessRevisionHidesTheSameTools() {
        for (McpTestServer server : List.of(deny, readOnly)) {
            java.net.http.HttpResponse<String> r = server.mcp().post(McpStatelessTest.request(1, "tools/list",
                    McpStatelessTest.meta("")), "MCP-Protocol-Version", McpStatelessTest.REVISION, "Mcp-Method", "tools/list");
            assertEquals(200, r.statusCode(), r.body());
            Set<String> listed = new java.util.HashSet<>();
            RawMcp.json(r).path("result").path("tools").forEach(t -> listed.add(t.path("name").asText()));
            McpSyncClient c = connect(server);
            try {
                assertEquals(names(c), listed, "stateless and session lists differ on " + (server == deny ? "deny" : "read-only"));
            } finally {
                c.closeGracefully();
            }
            assertFalse(listed.contains("backup_delete") || listed.contains("backup_restore"), listed.toString());
        }
    }

    /** With the Tasks extension declared (2026-07-28), a hidden tool's refusal is the call's answer: no task is made. */
    @Test
    void aHiddenToolIsRefusedAtOnceNotAsATask() throws Exception {
        for (McpTestServer server : List.of(deny, readOnly)) {
            String tool = server == deny ? "backup_create_scheduled" : "backup_create";
            String body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool + "\","
                    + "\"arguments\":{},\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
                    + "\"io.modelcontextprotocol/clientCapabilities\":{\"extensions\":{\"io.modelcontextprotocol/tasks\":{}}}}}}";
            java.net.http.HttpResponse<String> r = server.mcp().send(server.mcp().request("MCP-Protocol-Version", "2026-07-28",
                    "Mcp-Method", "tools/call", "Mcp-Name", tool).header("Content-Type", "application/json")
                    .header("Accept", "application/json").POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build());
            com.fasterxml.jackson.databind.JsonNode result = RawMcp.json(r).path("result");
            assertEquals("complete", result.path("resultType").asText(), r.body());
            assertTrue(result.path("isError").asBoolean(), r.body());
            assertTrue(result.path("content").get(0).path("text").asText().contains("[forbidden]"), r.body());
            java.nio.file.Path records = server.env.stateDir.resolve("mcp-tasks");
            try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.exists(records)
                    ? java.nio.file.Files.list(records) : java.util.stream.Stream.empty()) {
                assertEquals(0, files.count(), "a task record was made for a refused call");
            }
        }
    }
}
