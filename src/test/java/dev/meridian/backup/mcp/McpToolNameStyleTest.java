package dev.meridian.backup.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** meridian.mcp.tool-name-style = underscore, for clients that reject dots in tool names. */
class McpToolNameStyleTest {
    @RegisterExtension
    static final McpTestServer server = new McpTestServer("meridian.mcp.tool-name-style = underscore", "alpha");
    static final RawMcp mcp = server.mcp();

    @Test
    void toolsAreNamedWithUnderscoresEverywhere() {
        JsonNode init = RawMcp.json(mcp.post(McpProtocolTest.initialize("2025-11-25"))).path("result");
        String instructions = init.path("instructions").asText();
        assertTrue(instructions.contains("backup_verify") && !instructions.contains("backup.verify"), instructions);

        String session = mcp.open("2025-11-25");
        List<String> names = new ArrayList<>();
        RawMcp.json(mcp.post(session, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}")).path("result").path("tools")
                .forEach(t -> names.add(t.path("name").asText()));
        assertEquals(List.of("backup_create", "backup_list", "backup_restore", "backup_verify", "backup_delete",
                "backup_get_stats", "backup_create_scheduled", "backup_create_pre_migration"), names);

        JsonNode listed = RawMcp.json(mcp.post(session, RawMcp.call(2, "backup_list", "{}"))).path("result");
        assertFalse(listed.path("isError").asBoolean(), listed.toString());
        RawMcp.rpcError(mcp.post(session, RawMcp.call(3, "backup.list", "{}")), 200, -32602);
    }
}
