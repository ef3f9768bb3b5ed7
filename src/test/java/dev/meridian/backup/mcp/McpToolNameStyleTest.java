package dev.meridian.backup.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** meridian.mcp.tool-name-style = dot keeps the dotted spelling for clients that want it; calls accept both. */
class McpToolNameStyleTest {
    @RegisterExtension
    static final McpTestServer server = new McpTestServer("meridian.mcp.tool-name-style = dot", "alpha");
    static final RawMcp mcp = server.mcp();

    @Test
    void dotStyleListsDottedNamesAndStillAcceptsUnderscoreCalls() {
        JsonNode init = RawMcp.json(mcp.post(McpProtocolTest.initialize("2025-11-25"))).path("result");
        String instructions = init.path("instructions").asText();
        assertTrue(instructions.contains("backup.verify") && !instructions.contains("backup_verify"), instructions);

        String session = mcp.open("2025-11-25");
        List<String> names = new ArrayList<>();
        RawMcp.json(mcp.post(session, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}")).path("result").path("tools")
                .forEach(t -> names.add(t.path("name").asText()));
        assertEquals(List.of("backup.create", "backup.list", "backup.restore", "backup.verify", "backup.delete",
                "backup.get_stats", "backup.create_scheduled", "backup.create_pre_migration"), names);

        for (String name : List.of("backup.list", "backup_list")) {
            JsonNode listed = RawMcp.json(mcp.post(session, RawMcp.call(2, name, "{}"))).path("result");
            assertFalse(listed.path("isError").asBoolean(true), listed.toString());
            assertEquals(0, listed.path("structuredContent").path("total_count").asInt(-1), listed.toString());
        }
        RawMcp.rpcError(mcp.post(session, RawMcp.call(3, "backup list", "{}")), 200, -32602);
    }
}
