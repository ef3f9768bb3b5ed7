package dev.meridian.backup.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.TestEnv;
import dev.meridian.backup.config.Settings;
import dev.meridian.backup.model.Json;
import dev.meridian.backup.server.Server;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MCP over stdio as a desktop agent uses it: the real shaded jar started as {@code meridian-backup mcp --stdio
 * --config FILE}, driven by the SDK's stdio client, and by hand to check that stdout carries protocol only.
 */
class McpStdioIT {
    static Path jar;
    static String java;

    @TempDir
    Path dir;

    @BeforeAll
    static void findJar() {
        jar = Path.of(System.getProperty("meridian.jar", "target/meridian-backup-0.1.0-all.jar"));
        assertTrue(Files.isRegularFile(jar), "run after 'package': " + jar);
        java = ProcessHandle.current().info().command().orElse("java");
    }

    static List<String> command(Path config) {
        // The flags bin/meridian-backup passes: the Vector API for Blake3 (its warning goes to stderr, not stdout).
        return List.of(java, "-Xmx512m", "--add-modules", "jdk.incubator.vector", "-Dmeridian.strict-dispatchers=true",
                "-jar", jar.toString(), "mcp", "--stdio", "--config", config.toString());
    }

    @Test
    void sdkClientDrivesEveryToolOverStdio() throws Exception {
        Path config = new TestEnv(dir, List.of("alpha"), "").configFile;
        List<String> cmd = command(config);
        StdioClientTransport transport = new StdioClientTransport(ServerParameters.builder(cmd.get(0))
                .args(cmd.subList(1, cmd.size())).build(), McpJsonDefaults.getMapper());
        List<McpSchema.ProgressNotification> progress = new CopyOnWriteArrayList<>();
        // Under the default meridian.mcp.destructive = confirm, restore in place, delete and create_scheduled ask
        // first: over stdio the server sends elicitation/create on stdout, and this client accepts.
        List<McpSchema.ElicitFormRequest> asked = new CopyOnWriteArrayList<>();
        McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(60))
                .initializationTimeout(Duration.ofSeconds(60)).progressConsumer(progress::add)
                .capabilities(McpSchema.ClientCapabilities.builder().elicitation().build())
                .elicitation(req -> {
                    asked.add(req);
                    return new McpSchema.ElicitResult(McpSchema.ElicitResult.Action.ACCEPT, Map.of("confirm", true));
                })
                .enableCallToolSchemaCaching(true).build();
        try {
            assertEquals("2025-11-25", client.initialize().protocolVersion());
            assertEquals(8, client.listTools().tools().size());

            // One database is configured, so 'database' may be left out.
            Map<String, Object> backup = ok(client.callTool(McpSchema.CallToolRequest.builder().name("backup.create")
                    .arguments(Map.of("description", "over stdio")).progressToken("stdio-1").build()));
            String id = (String) backup.get("backup_id");
            assertTrue(TestEnv.eventually(() -> progress.stream().anyMatch(p -> "stdio-1".equals(p.progressToken()))),
                    progress.toString());
            assertEquals(1, ok(call(client, "backup.list", Map.of())).get("total_count"));
            assertEquals(true, ok(call(client, "backup.verify", Map.of("backup_id", id))).get("valid"));
            assertEquals("7", ok(call(client, "backup.create_pre_migration", Map.of("schema_version", "7"))).get("schema_version"));
            assertNotNull(ok(call(client, "backup.create_scheduled", Map.of())).get("retention"));
            Path copy = dir.resolve("restore").resolve("copy");
            assertEquals(copy.toString(), ok(call(client, "backup.restore", Map.of("backup_id", id, "target_path", copy.toString()))).get("target"));
            assertNotNull(ok(call(client, "backup.restore", Map.of("backup_id", id))).get("safety_backup_id"));
            assertTrue((Integer) ((Map<?, ?>) ok(call(client, "backup.get_stats", Map.of())).get("total")).get("backups") >= 4);
            assertEquals(true, ok(call(client, "backup.delete", Map.of("backup_id", id))).get("deleted"));
            assertEquals(3, asked.size(), "create_scheduled, the restore in place and the delete were confirmed, not the copy");
            assertTrue(asked.get(2).message().startsWith("Confirm backup_delete: permanently delete backup " + id), asked.get(2).message());
            McpSchema.CallToolResult gone = call(client, "backup.verify", Map.of("backup_id", id));
            assertTrue(gone.isError());
            assertTrue(((McpSchema.TextContent) gone.content().get(0)).text().startsWith("[not_found]"));
        } finally {
            client.closeGracefully();
        }
    }

    /** The spec's hard rule for stdio: nothing but MCP messages on stdout, one per line; logs go to stderr. */
    @Test
    void stdoutCarriesOnlyProtocolMessagesAndStdinEofShutsDownCleanly() throws Exception {
        Path config = new TestEnv(dir, List.of("alpha"), "").configFile;
        Process p = new ProcessBuilder(command(config)).start();
        CompletableFuture<String> stdout = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        try (OutputStream in = p.getOutputStream()) {
            for (String line : List.of(
                    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"raw\",\"version\":\"1\"}}}",
                    "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
                    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}",
                    "this is not json",
                    "[{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}]",
                    "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"logging/setLevel\",\"params\":{\"level\":\"info\"}}",
                    "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"backup.create\",\"arguments\":{},\"_meta\":{\"progressToken\":9}}}")) {
                in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            }
        }
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the server exits after stdin closes");
        assertEquals(0, p.exitValue(), stderr.get());
        Map<String, JsonNode> answers = new HashMap<>();
        List<Integer> unattributedErrors = new ArrayList<>();
        List<String> notifications = new ArrayList<>();
        for (String line : stdout.get().split("\n")) {
            JsonNode m = Json.MAPPER.readTree(line);
            assertEquals("2.0", m.path("jsonrpc").asText(), "not a JSON-RPC message on stdout: " + line);
            if (m.has("method")) {
                notifications.add(m.path("method").asText());
            } else if (m.path("id").isNull()) {
                unattributedErrors.add(m.path("error").path("code").asInt());
            } else {
                answers.put(m.path("id").toString(), m);
            }
        }
        assertEquals("2025-06-18", answers.get("1").path("result").path("protocolVersion").asText());
        assertEquals(8, answers.get("2").path("result").path("tools").size());
        assertEquals(List.of(-32700, -32600), unattributedErrors, "a parse error for the bad line, and batches are refused in 2025-06-18");
        assertTrue(answers.containsKey("5"), "the call still running at end of input was answered: " + answers.keySet());
        assertFalse(answers.get("5").path("result").path("isError").asBoolean(), answers.get("5").toString());
        assertTrue(notifications.contains("notifications/progress"), notifications.toString());
        assertTrue(notifications.contains("notifications/message"), notifications.toString());
        assertTrue(stderr.get().contains("Meridian Backup started"), "logs go to stderr");
    }

    /** Two processes cannot share a repository; the stdio server says so and what to do instead. */
    @Test
    void repositoryInUseGivesAClearError() throws Exception {
        Path config = new TestEnv(dir, List.of("alpha"), "").configFile;
        try (Server running = Server.start(Settings.from(Settings.load(Optional.of(config))), false, e -> List.of())) {
            Process p = new ProcessBuilder(command(config)).start();
            p.getOutputStream().close();
            CompletableFuture<String> stdout = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
            CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(1, p.exitValue());
            assertEquals("", stdout.get(), "nothing but protocol on stdout, even when failing");
            assertTrue(stderr.get().contains("in use by another Meridian process") && stderr.get().contains("--config"),
                    stderr.get());
        }
    }

    static McpSchema.CallToolResult call(McpSyncClient client, String tool, Map<String, Object> args) {
        return client.callTool(new McpSchema.CallToolRequest(tool, args));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> ok(McpSchema.CallToolResult r) {
        assertFalse(r.isError(), () -> r.content().toString());
        return (Map<String, Object>) r.structuredContent();
    }

    static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
