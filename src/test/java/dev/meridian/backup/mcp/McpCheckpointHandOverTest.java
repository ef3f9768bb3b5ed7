package dev.meridian.backup.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.backup.CheckpointHost;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * MCP backup.create with checkpoint_dir, through the official MCP Java SDK client (output schemas validated): the
 * same operation as REST, so a checkpoint handed over by the owning process is ingested and a bad one refused.
 */
class McpCheckpointHandOverTest {
    static final Path BASE = tempDir();
    static final Path ROOTS = BASE.resolve("handover");
    static final Path APP_DB = BASE.resolve("apps").resolve("app");

    @RegisterExtension
    static final McpTestServer server = new McpTestServer("meridian.databases = [ { name = \"app\", path = \"" + APP_DB
            + "\", owner = \"application\", checkpoint-roots = [\"" + ROOTS + "\"] } ]\n");

    static CheckpointHost host;

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("mcp-handover");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @BeforeAll
    static void startHost() throws Exception {
        Files.createDirectories(ROOTS);
        Files.createDirectories(APP_DB.getParent());
        host = CheckpointHost.start(APP_DB, BASE.resolve("host.log"));
    }

    @AfterAll
    static void stopHost() throws Exception {
        host.close();
        dev.meridian.backup.TestEnv.deleteTree(BASE);
    }

    @Test
    void backupCreateIngestsAHandedOverCheckpointAndRefusesOneOutsideTheRoots() throws Exception {
        McpSyncClient client = McpClient.sync(HttpClientStreamableHttpTransport.builder(server.baseUrl()).endpoint("/mcp")
                .build()).requestTimeout(Duration.ofSeconds(60)).enableCallToolSchemaCaching(true).build();
        try {
            client.initialize();
            client.listTools();
            host.write("m", 500);
            Path cp = ROOTS.resolve("cp-mcp");
            long seq = host.checkpoint(cp);
            McpSchema.CallToolResult r = client.callTool(new McpSchema.CallToolRequest("backup.create",
                    Map.of("database", "app", "checkpoint_dir", cp.toString(), "remove_checkpoint", true)));
            assertFalse(r.isError(), () -> McpHttpTest.text(r));
            @SuppressWarnings("unchecked")
            Map<String, Object> backup = (Map<String, Object>) r.structuredContent();
            assertEquals(seq, ((Number) backup.get("sequence_number")).longValue());
            assertFalse(Files.exists(cp), "removed after publishing, as asked");

            Path outside = BASE.resolve("elsewhere");
            host.checkpoint(outside);
            McpSchema.CallToolResult refused = client.callTool(new McpSchema.CallToolRequest("backup.create",
                    Map.of("database", "app", "checkpoint_dir", outside.toString(), "remove_checkpoint", true)));
            McpHttpTest.assertToolError(refused, "not under the database's checkpoint roots");
            assertTrue(Files.exists(outside.resolve("CURRENT")), "left alone");
        } finally {
            client.closeGracefully();
        }
    }
}
