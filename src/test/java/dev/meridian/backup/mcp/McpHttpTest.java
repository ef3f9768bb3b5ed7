package dev.meridian.backup.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.backup.TestEnv;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The official MCP Java SDK client drives the server over Streamable HTTP: an independent implementation of the
 * protocol, with output-schema validation on, so every structuredContent is checked against its tool's schema.
 */
class McpHttpTest {
    @RegisterExtension
    // allow: every tool acts at once, as before issue 11 (McpDestructivePolicyTest covers the default, confirm).
    static final McpTestServer server = new McpTestServer("meridian.mcp.destructive = allow", "alpha", "beta");

    final List<McpSchema.ProgressNotification> progress = new CopyOnWriteArrayList<>();
    final List<McpSchema.LoggingMessageNotification> logs = new CopyOnWriteArrayList<>();
    McpSyncClient client;

    @BeforeEach
    void connect() {
        client = McpClient.sync(HttpClientStreamableHttpTransport.builder(server.baseUrl()).endpoint("/mcp").build())
                .requestTimeout(Duration.ofSeconds(60))
                .progressConsumer(progress::add)
                .loggingConsumer(logs::add)
                .enableCallToolSchemaCaching(true)
                .build();
        client.initialize();
        // Fills the SDK's output-schema cache, so results below are validated against the advertised schemas.
        client.listTools();
    }

    @AfterEach
    void disconnect() {
        client.closeGracefully();
    }

    @Test
    void initializeNegotiatesTheLatestRevisionAndDescribesTheServer() {
        McpSchema.InitializeResult init = client.getCurrentInitializationResult();
        assertEquals("2025-11-25", init.protocolVersion());
        assertEquals("meridian-backup", init.serverInfo().name());
        assertEquals("Meridian Backup", init.serverInfo().title());
        assertNotNull(init.serverInfo().version());
        assertNotNull(init.capabilities().tools());
        assertNotNull(init.capabilities().logging());
        String instructions = init.instructions();
        assertTrue(instructions.contains("REPLACES the live database"), instructions);
        assertTrue(instructions.contains("backup_verify"), instructions);
        assertTrue(instructions.contains("permanent"), instructions);
        assertEquals(Map.of(), client.ping());
    }

    @Test
    void listsTheEightToolsWithStrictInputSchemasOutputSchemasAndHonestHints() {
        // Listed under the default spelling; looked up below by the dotted name, which is the same tool.
        Map<String, McpSchema.Tool> tools = client.listTools().tools().stream()
                .collect(Collectors.toMap(t -> t.name().replaceFirst("^backup_", "backup."), t -> t));
        assertEquals(Set.of("backup.create", "backup.list", "backup.restore", "backup.verify", "backup.delete",
                "backup.get_stats", "backup.create_scheduled", "backup.create_pre_migration"), tools.keySet());
        for (McpSchema.Tool t : tools.values()) {
            assertNotNull(t.title(), t.name());
            assertTrue(t.description().length() > 80, t.name() + " needs a description an agent can plan with");
            assertEquals("object", t.inputSchema().get("type"), t.name());
            assertEquals(false, t.inputSchema().get("additionalProperties"), t.name());
            assertEquals("object", t.outputSchema().get("type"), t.name());
            assertEquals(false, t.annotations().openWorldHint(), t.name());
        }
        assertEquals(List.of("schema_version"), tools.get("backup.create_pre_migration").inputSchema().get("required"));
        assertEquals(List.of("backup_id"), tools.get("backup.restore").inputSchema().get("required"));
        for (String readOnly : List.of("backup.list", "backup.get_stats", "backup.verify")) {
            assertTrue(tools.get(readOnly).annotations().readOnlyHint(), readOnly);
            assertFalse(tools.get(readOnly).annotations().destructiveHint(), readOnly);
        }
        for (String destructive : List.of("backup.restore", "backup.delete", "backup.create_scheduled")) {
            assertFalse(tools.get(destructive).annotations().readOnlyHint(), destructive);
            assertTrue(tools.get(destructive).annotations().destructiveHint(), destructive);
        }
        assertFalse(tools.get("backup.create").annotations().destructiveHint());
        assertFalse(tools.get("backup.create").annotations().idempotentHint());
    }

    /**
     * Hosts that forward tool names to model APIs reject the whole tool list unless every name matches
     * ^[a-zA-Z0-9_-]{1,64}$; out of the box every listed name must (issue 7, item 7).
     */
    @Test
    void defaultToolNamesMatchTheModelApiNamePattern() {
        List<String> names = client.listTools().tools().stream().map(McpSchema.Tool::name).toList();
        assertEquals(8, names.size(), names.toString());
        for (String name : names) {
            assertTrue(name.matches("^[a-zA-Z0-9_-]{1,64}$"), name);
        }
        assertTrue(names.contains("backup_create_pre_migration"), names.toString());
        assertTrue(client.getCurrentInitializationResult().instructions().contains("backup_create"));
    }

    /** Clients and prompts written for the dotted names keep working: both spellings call the same tool. */
    @Test
    void dottedAndUnderscoreNamesBothCallTheTool() {
        Map<String, Object> dotted = structured(call("backup.list", Map.of("database", "alpha"), null));
        Map<String, Object> underscore = structured(call("backup_list", Map.of("database", "alpha"), null));
        assertEquals(dotted.get("total_count"), underscore.get("total_count"));
        assertEquals("manual", structured(call("backup.create", Map.of("database", "beta"), null)).get("type"));
        assertEquals("pre_migration", structured(call("backup_create_pre_migration",
                Map.of("database", "beta", "schema_version", "3"), null)).get("type"));
        // Only the separator is an alias: other spellings are still unknown tools.
        McpError e = assertThrows(McpError.class, () -> client.callTool(new McpSchema.CallToolRequest("backup-list", Map.of())));
        assertEquals(-32602, e.getJsonRpcError().code());
    }

    @Test
    void everyToolWorksEndToEndAndLongCallsReportProgress() throws Exception {
        McpSchema.CallToolResult created = call("backup.create",
                Map.of("database", "alpha", "description", "before the demo", "tags", List.of("demo", "mcp")), "create-1");
        Map<String, Object> backup = structured(created);
        String id = (String) backup.get("backup_id");
        assertEquals("alpha", backup.get("database"));
        assertEquals("manual", backup.get("type"));
        assertEquals(List.of("demo", "mcp"), backup.get("tags"));
        assertEquals(1, created.content().size());
        assertTrue(((McpSchema.TextContent) created.content().get(0)).text().contains(id), "text block carries the same JSON");
        assertProgress("create-1");

        Map<String, Object> page = structured(call("backup.list", Map.of("database", "alpha", "tag", "demo"), null));
        assertEquals(1, page.get("total_count"));
        assertNull(page.get("next_cursor"));

        Map<String, Object> verified = structured(call("backup.verify", Map.of("backup_id", id), "verify-1"));
        assertEquals(true, verified.get("valid"));
        assertEquals(List.of(), verified.get("errors"));
        assertProgress("verify-1");
        // deep: SST block checksums too (issue 7 item 3); the result, still schema-valid, says it was deep.
        Map<String, Object> deep = structured(call("backup.verify", Map.of("backup_id", id, "deep", true), null));
        assertEquals(true, deep.get("valid"));
        assertEquals(true, deep.get("deep"));
        assertToolError(call("backup.verify", Map.of("backup_id", id, "deep", "yes"), null), "deep");

        Map<String, Object> pre = structured(call("backup.create_pre_migration",
                Map.of("database", "beta", "schema_version", "41", "description", "before v42"), null));
        assertEquals("pre_migration", pre.get("type"));
        assertEquals("41", pre.get("schema_version"));

        Map<String, Object> scheduled = structured(call("backup.create_scheduled", Map.of("database", "beta"), null));
        assertEquals("scheduled", ((Map<?, ?>) scheduled.get("backup")).get("type"));
        Map<?, ?> retention = (Map<?, ?>) scheduled.get("retention");
        assertEquals(List.of(), retention.get("deleted"));
        assertTrue(((List<?>) retention.get("kept")).contains(((Map<?, ?>) scheduled.get("backup")).get("backup_id")));

        assertToolError(call("backup.restore", Map.of("backup_id", id, "target_path", "relative/dir"), null), "is relative");
        assertToolError(call("backup.restore", Map.of("backup_id", id, "target_path", "/etc"), null), "restore root");
        Path copy = server.restoreRoot().resolve("alpha-copy");
        Map<String, Object> copied = structured(call("backup.restore", Map.of("backup_id", id, "target_path", copy.toString()), "restore-1"));
        assertEquals(copy.toString(), copied.get("target"));
        assertNull(copied.get("safety_backup_id"), "a copy elsewhere replaces nothing, so it needs no safety backup");
        assertTrue(Files.isDirectory(copy));
        assertProgress("restore-1");

        Map<String, Object> inPlace = structured(call("backup.restore", Map.of("backup_id", id), null));
        assertEquals("alpha", inPlace.get("database"));
        assertNotNull(inPlace.get("safety_backup_id"), "replacing the live database takes a safety backup first");

        Map<String, Object> stats = structured(call("backup.get_stats", Map.of(), null));
        Map<?, ?> total = (Map<?, ?>) stats.get("total");
        assertTrue((Integer) total.get("backups") >= 4, "manual, pre_migration, scheduled and safety backups: " + stats);
        assertTrue(((Map<?, ?>) stats.get("by_database")).containsKey("beta"));

        Map<String, Object> deleted = structured(call("backup.delete", Map.of("backup_id", id), null));
        assertEquals(true, deleted.get("deleted"));
        McpSchema.CallToolResult again = call("backup.delete", Map.of("backup_id", id), null);
        assertTrue(again.isError());
        assertTrue(text(again).startsWith("[not_found]"), text(again));
    }

    /** Memory must not grow with finished calls: each call's progress listener actor stops when it ends. */
    @Test
    void progressListenersStopWhenTheirCallsEnd() throws Exception {
        for (int i = 0; i < 3; i++) {
            call("backup.create", Map.of("database", "beta"), "leak-" + i);
        }
        TestEnv.eventually(() -> !server.engine().system().printTree().contains("progress-"));
        assertFalse(server.engine().system().printTree().contains("progress-"), server.engine().system().printTree());
    }

    @Test
    void unknownBackupIsAToolErrorTheAgentCanActOn() {
        McpSchema.CallToolResult r = call("backup.verify", Map.of("backup_id", "20260101T000000000Z-abcdef"), null);
        assertTrue(r.isError());
        assertNull(r.structuredContent(), "error results carry no structured content that would break the output schema");
        assertTrue(text(r).contains("not found") && text(r).contains("list backups"), text(r));
    }

    /** Argument mistakes are tool errors (spec 2025-11-25), naming the argument, so the model can correct itself. */
    @Test
    void argumentErrorsAreToolErrorsNamingTheArgument() {
        assertToolError(call("backup.create_pre_migration", Map.of("database", "alpha"), null), "schema_version");
        assertToolError(call("backup.create", Map.of(), null), "several databases are configured");
        assertToolError(call("backup.list", Map.of("limit", 0), null), "limit 0 is out of range");
        assertToolError(call("backup.list", Map.of("limit", "ten"), null), "'limit' of backup.list must be an integer");
        assertToolError(call("backup.list", Map.of("colour", "red"), null), "unknown argument 'colour'");
        assertToolError(call("backup.list", Map.of("cursor", "nope"), null), "invalid cursor");
        assertToolError(call("backup.create", Map.of("database", "gamma"), null), "not configured");
        assertToolError(call("backup.create", Map.of("database", "alpha", "tags", List.of("no spaces")), null), "invalid tag");
        assertToolError(call("backup.verify", Map.of("backup_id", "../../etc/passwd"), null), "invalid backup id");
        // Only leaving target_path out means "over the live database"; an empty string is refused.
        assertToolError(call("backup.restore", Map.of("backup_id", "20200101T000000000Z-abcdef", "target_path", ""), null),
                "'target_path' of backup_restore is empty");
    }

    /** Issue 8: MCP restore also takes REST's name for the target, 'target', beside 'target_path'; both mean one thing. */
    @Test
    void restoreAcceptsTargetAsWellAsTargetPath() throws Exception {
        String id = (String) structured(call("backup.create", Map.of("database", "alpha"), null)).get("backup_id");
        Path copy = server.restoreRoot().resolve("alpha-target");
        Map<String, Object> copied = structured(call("backup.restore", Map.of("backup_id", id, "target", copy.toString()), null));
        assertEquals(copy.toString(), copied.get("target"));
        assertNull(copied.get("safety_backup_id"), "a copy elsewhere replaces nothing");
        assertTrue(Files.isDirectory(copy));

        Path same = server.restoreRoot().resolve("alpha-both");
        Map<String, Object> both = structured(call("backup.restore",
                Map.of("backup_id", id, "target", same.toString(), "target_path", same.toString()), null));
        assertEquals(same.toString(), both.get("target"), "the same value under both names is one target");
        assertToolError(call("backup.restore", Map.of("backup_id", id, "target", copy + "-a", "target_path", copy + "-b"), null),
                "differ");
        // As with target_path, an empty target is refused rather than taken as "replace the live database".
        assertToolError(call("backup.restore", Map.of("backup_id", id, "target", ""), null), "'target' of backup_restore is empty");
        Map<String, Object> inputSchema = client.listTools().tools().stream()
                .filter(t -> t.name().equals("backup_restore")).findFirst().orElseThrow().inputSchema();
        assertTrue(((Map<?, ?>) inputSchema.get("properties")).containsKey("target"), inputSchema.toString());
    }

    /** The input: schema_version 7 as a JSON number was refused "must be a string"; integers are versions too. */
    @Test
    void preMigrationTakesAnIntegerSchemaVersion() {
        Map<String, Object> seven = structured(call("backup_create_pre_migration", Map.of("database", "alpha", "schema_version", 7), null));
        assertEquals("7", seven.get("schema_version"));
        Map<String, Object> big = structured(call("backup.create_pre_migration",
                Map.of("database", "alpha", "schema_version", 20261130000000L), null));
        assertEquals("20261130000000", big.get("schema_version"));
        Map<String, Object> inputSchema = client.listTools().tools().stream()
                .filter(t -> t.name().equals("backup_create_pre_migration")).findFirst().orElseThrow().inputSchema();
        // string only: JSON Schema would count 7.0 as an "integer", which the server refuses as ambiguous
        assertEquals("string", ((Map<?, ?>) ((Map<?, ?>) inputSchema.get("properties")).get("schema_version")).get("type"));
    }

    /** A fraction, a boolean or an object is still refused, naming the argument and what to send instead. */
    @Test
    void schemaVersionRefusesFractionsBooleansAndObjects() {
        assertToolError(call("backup_create_pre_migration", Map.of("database", "alpha", "schema_version", 7.5), null),
                "'schema_version' of backup_create_pre_migration must be a string or an integer, got a number 7.5; "
                        + "write a value that is not a whole number as a string, e.g. \"7.5\"");
        assertToolError(call("backup_create_pre_migration", Map.of("database", "alpha", "schema_version", true), null),
                "must be a string or an integer, got");
        assertToolError(call("backup_create_pre_migration", Map.of("database", "alpha", "schema_version", Map.of("v", 7)), null),
                "must be a string or an integer, got");
        assertToolError(call("backup_create_pre_migration", Map.of("database", "alpha", "schema_version", -3), null),
                "invalid schema_version '-3'");
    }

    @Test
    void unknownToolIsAProtocolError() {
        McpError e = assertThrows(McpError.class, () -> client.callTool(new McpSchema.CallToolRequest("backup.nope", Map.of())));
        assertEquals(-32602, e.getJsonRpcError().code());
        assertTrue(e.getJsonRpcError().message().contains("backup_create"), e.getJsonRpcError().message());
    }

    @Test
    void logMessagesFollowTheLevelTheClientSets() {
        client.setLoggingLevel(McpSchema.LoggingLevel.INFO);
        call("backup.create", Map.of("database", "beta"), null);
        assertTrue(TestEnv.eventually(() -> logs.stream()
                .anyMatch(m -> m.level() == McpSchema.LoggingLevel.INFO && m.data().contains("published"))), logs.toString());
        int before = logs.size();
        client.setLoggingLevel(McpSchema.LoggingLevel.ERROR);
        call("backup.create", Map.of("database", "beta"), null);
        assertEquals(before, logs.size(), "no info messages once the level is error");
    }

    McpSchema.CallToolResult call(String tool, Map<String, Object> args, String progressToken) {
        McpSchema.CallToolRequest.Builder b = McpSchema.CallToolRequest.builder().name(tool).arguments(args);
        if (progressToken != null) {
            b.progressToken(progressToken);
        }
        return client.callTool(b.build());
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> structured(McpSchema.CallToolResult r) {
        assertFalse(r.isError(), () -> text(r));
        return (Map<String, Object>) r.structuredContent();
    }

    static String text(McpSchema.CallToolResult r) {
        return ((McpSchema.TextContent) r.content().get(0)).text();
    }

    static void assertToolError(McpSchema.CallToolResult r, String expected) {
        assertTrue(r.isError(), () -> "expected a tool error about " + expected);
        assertTrue(text(r).contains(expected), text(r));
    }

    /** Progress arrived for the token, with a total, no value twice (the spec requires increase; see below). */
    void assertProgress(String token) {
        assertTrue(TestEnv.eventually(() -> progress.stream().anyMatch(p -> token.equals(p.progressToken()))),
                "no progress for " + token + ": " + progress);
        List<McpSchema.ProgressNotification> mine = progress.stream().filter(p -> token.equals(p.progressToken())).toList();
        assertNoValueTwice(mine);
        assertTrue(mine.stream().anyMatch(p -> p.total() != null && p.total() > 0), mine.toString());
        assertTrue(mine.stream().allMatch(p -> p.message() != null), mine.toString());
    }

    /**
     * The Java SDK's sync client runs each progress consumer on its own boundedElastic task, so two notifications sent
     * microseconds apart can reach the consumer swapped (seen in CI: "restored" 73066.5 before "staged" 73066, and
     * 3140769.5 before 3140769). The order on the wire is CallNotifierTest's; here no value may repeat, which a step
     * or heartbeat that did not rise would do. Since the server's values rise with every notification, sorting by
     * value gives the order it sent them in, which this returns.
     */
    static List<McpSchema.ProgressNotification> assertNoValueTwice(List<McpSchema.ProgressNotification> mine) {
        List<McpSchema.ProgressNotification> sent = mine.stream()
                .sorted(java.util.Comparator.comparingDouble(McpSchema.ProgressNotification::progress)).toList();
        for (int i = 1; i < sent.size(); i++) {
            assertTrue(sent.get(i).progress() > sent.get(i - 1).progress(),
                    "progress must increase, but " + sent.get(i).progress() + " came twice: " + mine);
        }
        return sent;
    }
}
