package dev.meridian.backup.mcp;

import static dev.meridian.backup.mcp.McpHttpTest.assertToolError;
import static dev.meridian.backup.mcp.McpHttpTest.structured;
import static dev.meridian.backup.mcp.McpHttpTest.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.meridian.backup.model.Json;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 11, "destructive tools ask first", under the default {@code meridian.mcp.destructive = confirm}, driven over
 * Streamable HTTP by the MCP Java SDK client (output-schema validation on) against real RocksDB: a destructive call
 * first returns a plan and changes nothing (the database's every key and value, and the backup list, stay as they
 * were); only a server-minted one-time token bound to that plan, or an accepted elicitation, carries it out.
 */
class McpDestructivePolicyTest {
    @RegisterExtension
    static final McpTestServer server = new McpTestServer("meridian.backup.auto-verify = false", "alpha", "beta");

    McpSyncClient client;

    @BeforeEach
    void connect() {
        client = connect(null);
    }

    @AfterEach
    void disconnect() {
        client.closeGracefully();
    }

    /** A client; with {@code elicitation}, it declares the capability and answers requests with it. */
    static McpSyncClient connect(Function<McpSchema.ElicitFormRequest, McpSchema.ElicitResult> elicitation) {
        McpClient.SyncSpec spec = McpClient.sync(HttpClientStreamableHttpTransport.builder(server.baseUrl()).endpoint("/mcp").build())
                .requestTimeout(Duration.ofSeconds(60)).enableCallToolSchemaCaching(true);
        if (elicitation != null) {
            spec.capabilities(McpSchema.ClientCapabilities.builder().elicitation().build()).elicitation(elicitation);
        }
        McpSyncClient c = spec.build();
        c.initialize();
        c.listTools(); // fills the output-schema cache: plans are validated against the advertised schemas too
        return c;
    }

    McpSchema.CallToolResult call(McpSyncClient c, String tool, Map<String, Object> args) {
        return c.callTool(McpSchema.CallToolRequest.builder().name(tool).arguments(args).build());
    }

    String backup(String db) {
        return (String) structured(call(client, "backup_create", Map.of("database", db))).get("backup_id");
    }

    List<String> backupIds(String db) {
        return server.engine().backupsOf(db).stream().map(b -> b.backupId().value()).toList();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    /** The plan of a first call: nothing done, and the token to pass back. */
    static String planToken(McpSchema.CallToolResult r) {
        Map<String, Object> s = structured(r);
        assertEquals("confirmation_required", s.get("status"), s.toString());
        assertTrue(text(r).startsWith("NOT DONE YET"), text(r));
        String token = (String) map(s.get("confirmation")).get("token");
        assertTrue(token.startsWith("mcf1."), token);
        return token;
    }

    @Test
    void restoreInPlaceReturnsAPlanThatChangesNothingAndOnlyItsTokenCarriesItOutOnce() throws Exception {
        String id = backup("alpha");
        server.env.write("alpha", "after-backup-", 40, 200, 7);
        Map<String, String> before = server.env.snapshot("alpha");
        List<String> backupsBefore = backupIds("alpha");

        McpSchema.CallToolResult first = call(client, "backup_restore", Map.of("backup_id", id));
        String token = planToken(first);
        Map<String, Object> plan = map(structured(first).get("plan"));
        assertEquals("restore_in_place", plan.get("action"));
        assertEquals("alpha", plan.get("database"));
        assertEquals(id, map(plan.get("restores")).get("backup_id"));
        assertEquals(true, map(plan.get("safety_backup")).get("taken"));
        assertTrue(((Number) plan.get("bytes")).longValue() > 0, plan.toString());
        assertEquals(before, server.env.snapshot("alpha"), "the plan call changed the database");
        assertEquals(backupsBefore, backupIds("alpha"), "the plan call changed the backups");

        Map<String, Object> restored = structured(call(client, "backup_restore", Map.of("backup_id", id, "confirmation", token)));
        assertNotNull(restored.get("safety_backup_id"), restored.toString());
        Map<String, String> after = server.env.snapshot("alpha");
        assertNotEquals(before, after);
        assertTrue(after.keySet().stream().noneMatch(k -> k.startsWith("after-backup-")), "the restore replaced the database");

        // Replay: the same token again is refused, and nothing changes.
        List<String> backupsAfter = backupIds("alpha");
        assertToolError(call(client, "backup_restore", Map.of("backup_id", id, "confirmation", token)), "already used");
        assertEquals(after, server.env.snapshot("alpha"));
        assertEquals(backupsAfter, backupIds("alpha"));
    }

    @Test
    void forgedTamperedAndMismatchedTokensAreRefusedAndChangeNothing() throws Exception {
        String a = backup("alpha");
        String b = backup("alpha");
        String token = planToken(call(client, "backup_delete", Map.of("backup_id", a)));
        List<String> before = backupIds("alpha");

        assertToolError(call(client, "backup_delete", Map.of("backup_id", a, "confirmation", "yes")),
                "[forbidden] confirmation is not a token this server issued");
        // Forged: a well-formed token for this very plan, signed with a key that is not the server's.
        String[] parts = token.split("\\.");
        String forgedMac = Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[32]);
        assertToolError(call(client, "backup_delete", Map.of("backup_id", a, "confirmation", parts[0] + "." + parts[1] + "." + forgedMac)),
                "signature does not match");
        // Tampered: the payload re-pointed at the other backup, the server's signature kept.
        ObjectNode payload = (ObjectNode) Json.MAPPER.readTree(Base64.getUrlDecoder().decode(parts[1]));
        payload.putArray("backup_ids").add(b);
        String edited = Base64.getUrlEncoder().withoutPadding().encodeToString(
                Json.MAPPER.writeValueAsString(payload).getBytes(StandardCharsets.UTF_8));
        assertToolError(call(client, "backup_delete", Map.of("backup_id", b, "confirmation", parts[0] + "." + edited + "." + parts[2])),
                "signature does not match");
        // Mismatched: a genuine token, for another backup or another tool.
        assertToolError(call(client, "backup_delete", Map.of("backup_id", b, "confirmation", token)),
                "does not match this call: it was issued for backup(s) [" + a + "]");
        assertToolError(call(client, "backup_restore", Map.of("backup_id", a, "confirmation", token)),
                "it was issued for backup.delete, not backup.restore");
        // A model-set flag is not a confirmation: the tool has no such argument.
        assertToolError(call(client, "backup_delete", Map.of("backup_id", a, "confirm", true)), "unknown argument 'confirm'");
        assertEquals(before, backupIds("alpha"), "a refused confirmation deleted something");

        assertEquals(true, structured(call(client, "backup_delete", Map.of("backup_id", a, "confirmation", token))).get("deleted"));
        assertFalse(backupIds("alpha").contains(a));
        assertTrue(backupIds("alpha").contains(b));
    }

    /** The token is bound to the plan's digest: a scheduled backup's plan covers the backup set it was made from. */
    @Test
    void aScheduledPlanIsRefusedOnceTheBackupSetChanged() throws Exception {
        String token = planToken(call(client, "backup_create_scheduled", Map.of("database", "beta")));
        backup("beta");
        List<String> before = backupIds("beta");
        assertToolError(call(client, "backup_create_scheduled", Map.of("database", "beta", "confirmation", token)),
                "has changed since");
        assertEquals(before, backupIds("beta"));

        McpSchema.CallToolResult plan = call(client, "backup_create_scheduled", Map.of("database", "beta"));
        assertEquals("scheduled_backup_and_retention", map(structured(plan).get("plan")).get("action"));
        Map<String, Object> done = structured(call(client, "backup_create_scheduled",
                Map.of("database", "beta", "confirmation", planToken(plan))));
        assertEquals("scheduled", map(done.get("backup")).get("type"));
        assertNotNull(done.get("retention"));
        assertEquals(before.size() + 1, backupIds("beta").size());
    }

    /** Only a restore into a configured database is destructive; a copy into a new directory runs at once. */
    @Test
    void restoreIntoANewDirectoryRunsAtOnce() throws Exception {
        String id = backup("beta");
        var copy = server.restoreRoot().resolve("policy-copy");
        Map<String, Object> r = structured(call(client, "backup_restore", Map.of("backup_id", id, "target_path", copy.toString())));
        assertEquals(copy.toString(), r.get("target"));
        assertTrue(Files.isRegularFile(copy.resolve("CURRENT")));
    }

    @Test
    void elicitationAcceptedCarriesOutThePlanDeclinedChangesNothing() throws Exception {
        List<McpSchema.ElicitFormRequest> asked = new CopyOnWriteArrayList<>();
        Map<String, McpSchema.ElicitResult> answer = new HashMap<>();
        McpSyncClient person = connect(req -> {
            asked.add(req);
            return answer.get("next");
        });
        try {
            String id = backup("beta");
            List<String> before = backupIds("beta");

            answer.put("next", new McpSchema.ElicitResult(McpSchema.ElicitResult.Action.DECLINE, null));
            assertToolError(call(person, "backup_delete", Map.of("backup_id", id)), "was not confirmed");
            answer.put("next", new McpSchema.ElicitResult(McpSchema.ElicitResult.Action.ACCEPT, Map.of("confirm", false)));
            assertToolError(call(person, "backup_delete", Map.of("backup_id", id)), "without confirm = true");
            assertEquals(before, backupIds("beta"), "a declined confirmation deleted something");
            assertEquals(2, asked.size());
            assertTrue(asked.get(0).message().contains(id), asked.get(0).message());
            assertEquals(List.of("confirm"), asked.get(0).requestedSchema().get("required"));

            // A token from a client that cannot be asked does not let this one skip its user's form.
            String token = planToken(call(client, "backup_delete", Map.of("backup_id", id)));
            assertToolError(call(person, "backup_delete", Map.of("backup_id", id, "confirmation", token)),
                    "is confirmed through the form this client shows its user");
            assertEquals(2, asked.size(), "the refused token call asked nothing");
            assertEquals(before, backupIds("beta"));

            answer.put("next", new McpSchema.ElicitResult(McpSchema.ElicitResult.Action.ACCEPT, Map.of("confirm", true)));
            assertEquals(true, structured(call(person, "backup_delete", Map.of("backup_id", id))).get("deleted"));
            assertFalse(backupIds("beta").contains(id));
        } finally {
            person.closeGracefully();
        }
    }

    @Test
    void listedToolsOfferTheConfirmationArgumentAndAPlanInTheirOutputSchema() {
        Map<String, McpSchema.Tool> tools = new HashMap<>();
        client.listTools().tools().forEach(t -> tools.put(t.name(), t));
        assertEquals(8, tools.size(), "confirm lists every tool");
        for (String t : List.of("backup_restore", "backup_delete", "backup_create_scheduled")) {
            assertTrue(map(tools.get(t).inputSchema().get("properties")).containsKey("confirmation"), t);
            assertNotNull(tools.get(t).outputSchema().get("anyOf"), t);
            assertTrue(tools.get(t).description().contains("confirmation_required"), t);
        }
        assertFalse(map(tools.get("backup_create").inputSchema().get("properties")).containsKey("confirmation"));
    }
}
