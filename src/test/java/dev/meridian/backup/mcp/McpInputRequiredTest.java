package dev.meridian.backup.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.meridian.backup.model.Json;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 11, "destructive tools ask first", in the stateless revision 2026-07-28 (basic/patterns/mrtr), over real
 * HTTP with real RocksDB: for a client that declared elicitation, a destructive call answers with an
 * {@code input_required} result (a confirmation form and a signed requestState) and changes nothing; only the retry
 * that echoes that state with an accepting answer acts, once. Declined, missing, tampered, misused and replayed
 * confirmations change nothing.
 */
class McpInputRequiredTest {
    static final String REVISION = McpStateless.REVISION;
    static final String ELICITATION = "\"elicitation\":{\"form\":{}}";
    static final String TASKS = "\"extensions\":{\"io.modelcontextprotocol/tasks\":{}}";

    @RegisterExtension
    static final McpTestServer server = new McpTestServer("meridian.backup.auto-verify = false", "alpha", "beta");
    static final RawMcp mcp = server.mcp();

    /**
     * A stateless tools/call: {@code capabilities} and {@code retry} are JSON members without braces ("" for none);
     * {@code retry} holds requestState and inputResponses.
     */
    static HttpResponse<String> post(String tool, Map<String, String> args, String capabilities, String retry) {
        ObjectNode arguments = Json.MAPPER.valueToTree(args);
        String body = "{\"jsonrpc\":\"2.0\",\"id\":\"" + java.util.UUID.randomUUID() + "\",\"method\":\"tools/call\","
                + "\"params\":{\"name\":\"" + tool + "\",\"arguments\":" + arguments + (retry.isEmpty() ? "" : "," + retry)
                + ",\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"" + REVISION + "\","
                + "\"io.modelcontextprotocol/clientInfo\":{\"name\":\"mrtr-test\",\"version\":\"1\"},"
                + "\"io.modelcontextprotocol/clientCapabilities\":{" + capabilities + "}}}}";
        List<String> h = new ArrayList<>(List.of("MCP-Protocol-Version", REVISION, "Mcp-Method", "tools/call", "Mcp-Name", tool));
        if (args.containsKey("database")) {
            h.addAll(List.of("Mcp-Param-Database", args.get("database")));
        }
        return mcp.send(mcp.request(h.toArray(String[]::new)).header("Content-Type", "application/json")
                .header("Accept", "application/json").POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build());
    }

    static JsonNode result(HttpResponse<String> r) {
        assertEquals(200, r.statusCode(), r.body());
        JsonNode json = RawMcp.json(r);
        assertFalse(json.has("error"), r.body());
        return json.path("result");
    }

    /** The retry members: the state echoed, and {@code answer} (JSON) under the form's key, or no answers at all. */
    static String retry(String state, String answer) {
        return "\"requestState\":" + Json.MAPPER.valueToTree(state) + (answer == null ? "" : ",\"inputResponses\":{\"confirm\":"
                + answer + "}");
    }

    static final String ACCEPT = "{\"action\":\"accept\",\"content\":{\"confirm\":true}}";

    String backup(String db) {
        return result(post("backup_create", Map.of("database", db), "", "")).path("structuredContent").path("backup_id").asText();
    }

    List<String> backupIds(String db) {
        return server.engine().backupsOf(db).stream().map(b -> b.backupId().value()).toList();
    }

    /** An input_required result asking to confirm: checks its shape and returns its requestState. */
    static String asked(JsonNode r, String action) {
        assertEquals("input_required", r.path("resultType").asText(), r.toString());
        assertFalse(r.has("content") || r.has("isError"), "not a CallToolResult: " + r);
        JsonNode ask = r.path("inputRequests").path("confirm");
        assertEquals("elicitation/create", ask.path("method").asText(), r.toString());
        assertEquals("form", ask.path("params").path("mode").asText());
        assertTrue(ask.path("params").path("message").asText().startsWith("Confirm "), r.toString());
        assertEquals("boolean", ask.path("params").path("requestedSchema").path("properties").path("confirm").path("type").asText());
        assertEquals(action, r.path("_meta").path(DestructivePolicy.PLAN_META).path("action").asText(), r.toString());
        assertEquals("meridian-backup", r.path("_meta").path(McpStateless.SERVER_INFO).path("name").asText(), r.toString());
        String state = r.path("requestState").asText();
        assertTrue(state.startsWith(ConfirmationTokens.PREFIX), r.toString());
        return state;
    }

    @Test
    void aRestoreInPlaceAsksThroughInputRequiredAndOnlyTheAcceptedRetryActsOnce() throws Exception {
        String id = backup("alpha");
        server.env.write("alpha", "after-backup-", 40, 200, 7);
        Map<String, String> before = server.env.snapshot("alpha");
        List<String> backupsBefore = backupIds("alpha");
        Map<String, String> args = Map.of("backup_id", id);

        String state = asked(result(post("backup_restore", args, ELICITATION, "")), "restore_in_place");
        assertEquals(before, server.env.snapshot("alpha"), "asking changed the database");
        assertEquals(backupsBefore, backupIds("alpha"), "asking changed the backups");

        JsonNode done = result(post("backup_restore", args, ELICITATION, retry(state, ACCEPT)));
        assertEquals("complete", done.path("resultType").asText(), done.toString());
        assertFalse(done.path("isError").asBoolean(), done.toString());
        assertFalse(done.path("structuredContent").path("safety_backup_id").asText().isEmpty(), done.toString());
        Map<String, String> after = server.env.snapshot("alpha");
        assertTrue(after.keySet().stream().noneMatch(k -> k.startsWith("after-backup-")), "the restore replaced the database");

        // The same state and answer again: refused (single use), nothing changes.
        List<String> backupsAfter = backupIds("alpha");
        JsonNode replay = result(post("backup_restore", args, ELICITATION, retry(state, ACCEPT)));
        assertTrue(replay.path("isError").asBoolean(), replay.toString());
        assertTrue(replay.path("content").get(0).path("text").asText().contains("already used"), replay.toString());
        assertEquals(after, server.env.snapshot("alpha"));
        assertEquals(backupsAfter, backupIds("alpha"));
    }

    @Test
    void declinedUnansweredAndUnconfirmedAnswersDeleteNothing() throws Exception {
        String id = backup("beta");
        List<String> before = backupIds("beta");
        Map<String, String> args = Map.of("backup_id", id);
        String state = asked(result(post("backup_delete", args, ELICITATION, "")), "delete_backup");

        for (String answer : List.of("{\"action\":\"decline\"}", "{\"action\":\"cancel\"}",
                "{\"action\":\"accept\",\"content\":{\"confirm\":false}}", "{\"action\":\"accept\",\"content\":{}}",
                "{\"action\":\"accept\",\"content\":{\"confirm\":\"true\"}}")) {
            JsonNode r = result(post("backup_delete", args, ELICITATION, retry(state, answer)));
            assertTrue(r.path("isError").asBoolean(), answer + " -> " + r);
            assertTrue(r.path("content").get(0).path("text").asText().contains("was not confirmed"), r.toString());
            assertEquals(before, backupIds("beta"), answer);
        }
        // No answer to the form (the state alone, or only answers to keys it never asked): asked again, anew.
        String again = asked(result(post("backup_delete", args, ELICITATION, retry(state, null))), "delete_backup");
        assertNotEquals(state, again);
        String wrongKey = "\"requestState\":" + Json.MAPPER.valueToTree(state)
                + ",\"inputResponses\":{\"other\":{\"action\":\"accept\",\"content\":{\"confirm\":true}}}";
        asked(result(post("backup_delete", args, ELICITATION, wrongKey)), "delete_backup");
        // An answer without the server's state (the client made it up): asked again, nothing deleted.
        asked(result(post("backup_delete", args, ELICITATION, "\"inputResponses\":{\"confirm\":" + ACCEPT + "}")), "delete_backup");
        assertEquals(before, backupIds("beta"));

        // The state was never consumed by those: the accepted retry still deletes, with extra unknown answers ignored.
        String extra = "\"requestState\":" + Json.MAPPER.valueToTree(state) + ",\"inputResponses\":{\"confirm\":" + ACCEPT
                + ",\"unexpected\":{\"action\":\"accept\",\"content\":{\"x\":1}}}";
        JsonNode deleted = result(post("backup_delete", args, ELICITATION, extra));
        assertFalse(deleted.path("isError").asBoolean(), deleted.toString());
        assertFalse(backupIds("beta").contains(id));
    }

    @Test
    void tamperedMisusedAndMalformedStateIsAProtocolErrorAndChangesNothing() throws Exception {
        String id = backup("beta");
        List<String> before = backupIds("beta");
        Map<String, String> args = Map.of("backup_id", id);
        String state = asked(result(post("backup_delete", args, ELICITATION, "")), "delete_backup");

        JsonNode tampered = RawMcp.rpcError(post("backup_delete", args, ELICITATION, retry(state + "-TAMPERED", ACCEPT)), 400, -32602);
        assertTrue(tampered.path("error").path("message").asText().contains("requestState"), tampered.toString());
        String flipped = state.substring(0, 10) + (state.charAt(10) == 'A' ? 'B' : 'A') + state.substring(11);
        RawMcp.rpcError(post("backup_delete", args, ELICITATION, retry(flipped, ACCEPT)), 400, -32602);
        RawMcp.rpcError(post("backup_delete", args, ELICITATION, retry("made-up", ACCEPT)), 400, -32602);
        // A plan's confirmation token is not a requestState, and a requestState is not a confirmation token.
        String token = result(post("backup_delete", args, "", "")).path("structuredContent").path("confirmation").path("token").asText();
        JsonNode misused = RawMcp.rpcError(post("backup_delete", args, ELICITATION, retry(token, ACCEPT)), 400, -32602);
        assertTrue(misused.path("error").path("message").asText().contains("confirmation token"), misused.toString());
        JsonNode asToken = result(post("backup_delete", Map.of("backup_id", id, "confirmation", state), "", ""));
        assertTrue(asToken.path("isError").asBoolean(), asToken.toString());
        assertTrue(asToken.path("content").get(0).path("text").asText().contains("requestState of an input_required"), asToken.toString());
        // Malformed retry members.
        RawMcp.rpcError(post("backup_delete", args, ELICITATION, "\"requestState\":" + Json.MAPPER.valueToTree(state)
                + ",\"inputResponses\":null"), 400, -32602);
        RawMcp.rpcError(post("backup_delete", args, ELICITATION, "\"requestState\":" + Json.MAPPER.valueToTree(state)
                + ",\"inputResponses\":{\"confirm\":12345}"), 400, -32602);
        RawMcp.rpcError(post("backup_delete", args, ELICITATION, "\"requestState\":7"), 400, -32602);
        // A state bound to one backup does not delete another.
        String other = backup("beta");
        JsonNode mismatch = result(post("backup_delete", Map.of("backup_id", other), ELICITATION, retry(state, ACCEPT)));
        assertTrue(mismatch.path("isError").asBoolean(), mismatch.toString());
        assertTrue(mismatch.path("content").get(0).path("text").asText().contains("does not match this call"), mismatch.toString());
        List<String> now = new ArrayList<>(before);
        now.add(other);
        assertEquals(now.stream().sorted().toList(), backupIds("beta").stream().sorted().toList());
    }

    @Test
    void aClientWithoutElicitationGetsThePlanAndNoInputRequired() {
        String id = backup("beta");
        JsonNode plan = result(post("backup_delete", Map.of("backup_id", id), "", ""));
        assertEquals("complete", plan.path("resultType").asText(), plan.toString());
        assertEquals("confirmation_required", plan.path("structuredContent").path("status").asText(), plan.toString());
        assertTrue(backupIds("beta").contains(id));
    }

    @Test
    void withTasksDeclaredTheQuestionIsAnsweredAtOnceAndTheConfirmedRestoreRunsAsATask() throws Exception {
        String id = backup("beta");
        server.env.write("beta", "later-", 30, 100, 9);
        Map<String, String> before = server.env.snapshot("beta");
        Map<String, String> args = Map.of("backup_id", id);
        String caps = ELICITATION + "," + TASKS;
        String state = asked(result(post("backup_restore", args, caps, "")), "restore_in_place");
        assertEquals(before, server.env.snapshot("beta"));

        JsonNode created = result(post("backup_restore", args, caps, retry(state, ACCEPT)));
        assertEquals("task", created.path("resultType").asText(), created.toString());
        String taskId = created.path("taskId").asText();
        JsonNode done = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
        while (System.nanoTime() < deadline) {
            String body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tasks/get\",\"params\":{\"taskId\":\"" + taskId + "\","
                    + "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"" + REVISION + "\","
                    + "\"io.modelcontextprotocol/clientCapabilities\":{" + TASKS + "}}}}";
            done = result(mcp.post(body, "MCP-Protocol-Version", REVISION, "Mcp-Method", "tasks/get", "Mcp-Name", taskId));
            if (List.of("completed", "failed", "cancelled").contains(done.path("status").asText())) {
                break;
            }
            Thread.sleep(100);
        }
        assertEquals("completed", done.path("status").asText(), done.toString());
        assertFalse(done.path("result").path("isError").asBoolean(), done.toString());
        assertTrue(server.env.snapshot("beta").keySet().stream().noneMatch(k -> k.startsWith("later-")), "restored");
    }

    /**
     * A client that declared elicitation is asked; a plan token (obtained by a call that did not declare it) does
     * not skip the form, and a token beside a declined answer is refused, not taken as consent.
     */
    @Test
    void aTokenDoesNotSkipTheFormOfAClientThatDeclaredElicitation() throws Exception {
        String id = backup("beta");
        List<String> before = backupIds("beta");
        Map<String, String> args = Map.of("backup_id", id);
        String token = result(post("backup_delete", args, "", "")).path("structuredContent").path("confirmation").path("token").asText();
        String state = asked(result(post("backup_delete", args, ELICITATION, "")), "delete_backup");
        Map<String, String> withToken = Map.of("backup_id", id, "confirmation", token);

        JsonNode declined = result(post("backup_delete", withToken, ELICITATION, retry(state, "{\"action\":\"decline\"}")));
        assertTrue(declined.path("isError").asBoolean(), declined.toString());
        assertTrue(declined.path("content").get(0).path("text").asText().contains("send one or the other"), declined.toString());
        JsonNode skipped = result(post("backup_delete", withToken, ELICITATION, ""));
        assertTrue(skipped.path("isError").asBoolean(), skipped.toString());
        assertTrue(skipped.path("content").get(0).path("text").asText().contains("is confirmed through the form"), skipped.toString());
        assertEquals(before, backupIds("beta"), "nothing was deleted");

        // The token still works for a call that cannot be asked (no elicitation declared).
        JsonNode done = result(post("backup_delete", withToken, "", ""));
        assertFalse(done.path("isError").asBoolean(), done.toString());
        assertFalse(backupIds("beta").contains(id));
    }
}
