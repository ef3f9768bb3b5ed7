package dev.meridian.backup.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.client.transport.McpHttpClientTransportAuthorizationException;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** With meridian.auth.tokens set, MCP over HTTP uses the REST bearer tokens and scopes: read, backup, admin. */
class McpAuthTest {
    static final String READER = "reader-token-0123456789";
    static final String OPERATOR = "operator-token-0123456789";
    static final String ADMIN = "admin-token-0123456789abc";

    @RegisterExtension
    static final McpTestServer server = new McpTestServer("meridian.auth.tokens = [\n"
                + "  { name = reader, token = \"" + READER + "\", scopes = [read] }\n"
                + "  { name = operator, token = \"" + OPERATOR + "\", scopes = [backup] }\n"
                + "  { name = admin, token = \"" + ADMIN + "\", scopes = [admin] }\n"
                + "]\n"
                // Scopes are what this class checks, so destructive calls act at once (McpDestructivePolicyTest: confirm).
                + "meridian.mcp.destructive = allow", "alpha");
    static final RawMcp mcp = server.mcp();

    static McpSyncClient client(String token) {
        HttpClientStreamableHttpTransport.Builder transport = HttpClientStreamableHttpTransport.builder(server.baseUrl()).endpoint("/mcp");
        if (token != null) {
            transport.httpRequestCustomizer((request, method, uri, body, context) -> request.header("Authorization", "Bearer " + token));
        }
        return McpClient.sync(transport.build()).requestTimeout(Duration.ofSeconds(30)).build();
    }

    @Test
    void missingOrUnknownTokenIs401WithABearerChallenge() {
        HttpResponse<String> none = mcp.post(McpProtocolTest.initialize("2025-11-25"));
        assertEquals(401, none.statusCode());
        assertTrue(none.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"), none.headers().toString());
        HttpResponse<String> wrong = mcp.post(McpProtocolTest.initialize("2025-11-25"), "Authorization", "Bearer not-a-real-token-at-all");
        assertEquals(401, wrong.statusCode());
        assertTrue(wrong.headers().firstValue("WWW-Authenticate").orElse("").contains("invalid_token"));

        McpSyncClient anonymous = client(null);
        RuntimeException e = assertThrows(RuntimeException.class, anonymous::initialize);
        assertEquals(401, httpStatus(e), "the SDK client sees the 401");
        anonymous.close();
    }

    @Test
    void readTokenReadsButCannotCreateRestoreOrDelete() {
        McpSyncClient reader = client(READER);
        reader.initialize();
        assertEquals(8, reader.listTools().tools().size(), "every tool is listed; calling decides");
        assertFalse(reader.callTool(new McpSchema.CallToolRequest("backup.get_stats", Map.of())).isError());
        RuntimeException e = assertThrows(RuntimeException.class,
                () -> reader.callTool(new McpSchema.CallToolRequest("backup.create", Map.of())));
        assertEquals(403, httpStatus(e));
        reader.close();

        String session = mcp.open("2025-11-25", "Authorization", "Bearer " + READER);
        HttpResponse<String> delete = mcp.post(RawMcp.call(1, "backup.delete", "{\"backup_id\":\"20260101T000000000Z-abcdef\"}"),
                "Authorization", "Bearer " + READER, "Mcp-Session-Id", session, "MCP-Protocol-Version", "2025-11-25");
        assertEquals(403, delete.statusCode());
        assertTrue(delete.body().contains("insufficient_scope"), delete.body());
        assertTrue(delete.headers().firstValue("WWW-Authenticate").orElse("").contains("insufficient_scope"));
    }

    @Test
    void backupTokenCreatesAndAdminTokenDeletes() {
        McpSyncClient operator = client(OPERATOR);
        operator.initialize();
        McpSchema.CallToolResult created = operator.callTool(new McpSchema.CallToolRequest("backup.create", Map.of()));
        assertFalse(created.isError());
        String id = (String) ((Map<?, ?>) created.structuredContent()).get("backup_id");
        RuntimeException e = assertThrows(RuntimeException.class,
                () -> operator.callTool(new McpSchema.CallToolRequest("backup.restore", Map.of("backup_id", id))));
        assertEquals(403, httpStatus(e));
        operator.close();

        McpSyncClient admin = client(ADMIN);
        admin.initialize();
        assertFalse(admin.callTool(new McpSchema.CallToolRequest("backup.delete", Map.of("backup_id", id))).isError());
        admin.close();
    }

    /**
     * Issue 8: retention deletes backups, so it needs the admin scope however it is reached: REST's retention/apply
     * and MCP's backup.create_scheduled (a backup followed by retention) refuse a backup-scope token alike.
     */
    @Test
    void retentionNeedsAdminOverRestAndMcpAlike() throws Exception {
        assertEquals(403, rest(OPERATOR).statusCode());
        String session = mcp.open("2025-11-25", "Authorization", "Bearer " + OPERATOR);
        HttpResponse<String> scheduled = mcp.post(RawMcp.call(1, "backup.create_scheduled", "{}"),
                "Authorization", "Bearer " + OPERATOR, "Mcp-Session-Id", session, "MCP-Protocol-Version", "2025-11-25");
        assertEquals(403, scheduled.statusCode());
        assertTrue(scheduled.headers().firstValue("WWW-Authenticate").orElse("").contains("scope=\"admin\""),
                scheduled.headers().toString());

        HttpResponse<String> allowed = rest(ADMIN);
        assertEquals(200, allowed.statusCode(), allowed.body());
        McpSyncClient admin = client(ADMIN);
        admin.initialize();
        assertFalse(admin.callTool(new McpSchema.CallToolRequest("backup.create_scheduled", Map.of())).isError());
        admin.close();
    }

    private static HttpResponse<String> rest(String token) throws Exception {
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(server.baseUrl() + "/api/v1/databases/alpha/retention/apply"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"dry_run\":true}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A session id is not a credential: presented with another token, it is unknown. */
    @Test
    void sessionIsBoundToTheTokenThatOpenedIt() {
        String session = mcp.open("2025-11-25", "Authorization", "Bearer " + READER);
        HttpResponse<String> r = mcp.post(McpProtocolTest.PING, "Authorization", "Bearer " + ADMIN, "Mcp-Session-Id", session,
                "MCP-Protocol-Version", "2025-11-25");
        assertEquals(404, r.statusCode());
    }

    /** The HTTP status the SDK's transport reported, found in the exception's causes. */
    static int httpStatus(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof McpHttpClientTransportAuthorizationException a) {
                return a.getResponseInfo().statusCode();
            }
        }
        throw new AssertionError("no HTTP authorization failure in " + t, t);
    }

    /** A stateless (2026-07-28) call passes the same token and scope checks as one in a session. */
    @Test
    void statelessCallsNeedTheToolsScopeToo() {
        String create = McpStatelessTest.call(30, "backup.create", "{\"database\":\"alpha\"}", "");
        String[] headers = {"MCP-Protocol-Version", McpStatelessTest.REVISION, "Mcp-Method", "tools/call",
                "Mcp-Name", "backup.create", "Mcp-Param-Database", "alpha"};
        assertEquals(401, mcp.post(create, headers).statusCode());
        String[] asReader = java.util.stream.Stream.concat(java.util.Arrays.stream(headers),
                java.util.stream.Stream.of("Authorization", "Bearer " + READER)).toArray(String[]::new);
        HttpResponse<String> denied = mcp.post(create, asReader);
        assertEquals(403, denied.statusCode(), denied.body());
        assertTrue(denied.headers().firstValue("WWW-Authenticate").orElse("").contains("insufficient_scope"), denied.headers().toString());
        HttpResponse<String> listed = mcp.post(McpStatelessTest.request(31, "tools/list", McpStatelessTest.meta("")),
                "MCP-Protocol-Version", McpStatelessTest.REVISION, "Mcp-Method", "tools/list", "Authorization", "Bearer " + READER);
        assertEquals(200, listed.statusCode(), listed.body());
    }

    /** A task belongs to the token that created it: to another token, even an admin one, it does not exist. */
    @Test
    void aTaskIsVisibleOnlyToTheTokenThatCreatedIt() throws Exception {
        String tasks = "\"io.modelcontextprotocol/clientCapabilities\":{\"extensions\":{\"io.modelcontextprotocol/tasks\":{}}}";
        String meta = McpStatelessTest.meta("").replace("\"io.modelcontextprotocol/clientCapabilities\":{}", tasks);
        String create = McpStatelessTest.request(40, "tools/call", "\"name\":\"backup.create\",\"arguments\":{\"database\":\"alpha\"}," + meta);
        HttpResponse<String> created = mcp.post(create, "MCP-Protocol-Version", McpStatelessTest.REVISION, "Mcp-Method", "tools/call",
                "Mcp-Name", "backup.create", "Mcp-Param-Database", "alpha", "Authorization", "Bearer " + OPERATOR);
        assertEquals(200, created.statusCode(), created.body());
        String taskId = McpStatelessTest.answer(McpStatelessTest.messages(created), 40).path("result").path("taskId").asText();
        assertFalse(taskId.isEmpty(), created.body());
        String get = McpStatelessTest.request(41, "tasks/get", "\"taskId\":\"" + taskId + "\"," + meta);
        for (String other : new String[] {ADMIN, READER}) {
            HttpResponse<String> denied = mcp.post(get, "MCP-Protocol-Version", McpStatelessTest.REVISION, "Mcp-Method", "tasks/get",
                    "Mcp-Name", taskId, "Authorization", "Bearer " + other);
            com.fasterxml.jackson.databind.JsonNode error = RawMcp.json(denied).path("error"); // as for an unknown id
            assertEquals(-32602, error.path("code").asInt(), denied.body());
            assertTrue(error.path("message").asText().startsWith("Task not found"), denied.body());
        }
        HttpResponse<String> own = mcp.post(get, "MCP-Protocol-Version", McpStatelessTest.REVISION, "Mcp-Method", "tasks/get",
                "Mcp-Name", taskId, "Authorization", "Bearer " + OPERATOR);
        assertEquals(200, own.statusCode(), own.body());
        assertEquals(taskId, RawMcp.json(own).path("result").path("taskId").asText(), own.body());
    }
}
