package dev.meridian.backup.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.meridian.backup.TestEnv;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Idle sessions end on their own, so memory follows live clients, not every client that ever connected. */
class McpSessionExpiryTest {
    @RegisterExtension
    static final McpTestServer server = new McpTestServer("meridian.mcp.session-idle-timeout = 1s", "alpha");
    static final RawMcp mcp = server.mcp();

    @Test
    void idleSessionsExpireAndAreForgotten() throws Exception {
        String[] sessions = new String[20];
        for (int i = 0; i < sessions.length; i++) {
            sessions[i] = mcp.open("2025-11-25");
        }
        assertEquals(200, mcp.post(sessions[0], McpProtocolTest.PING).statusCode());
        TestEnv.eventually(() -> server.route().sessionCount() == 0);
        assertEquals(0, server.route().sessionCount(), "the idle sweep removed every session");
        assertEquals(404, mcp.post(sessions[0], McpProtocolTest.PING).statusCode());
    }
}
