package dev.meridian.backup.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * notifications/cancelled stops a running backup (it is before its point of no return) and the call gets no
 * response. The I/O rate limit keeps the backup running long enough to cancel it mid-copy.
 */
class McpCancellationTest {
    @RegisterExtension
    static final McpTestServer server = new McpTestServer("meridian.io.rate-limit = 512KiB", "alpha");
    static final RawMcp mcp = server.mcp();

    @BeforeAll
    static void prepare() throws Exception {
        // About 4 MB of incompressible data: at 512 KiB/s the backup runs for seconds.
        server.env.write("alpha", "big", 4000, 1024, 1);
    }

    @Test
    void cancelledBackupStopsAndItsCallIsNeverAnswered() throws Exception {
        String session = mcp.open("2025-11-25");
        HttpRequest create = mcp.request("Mcp-Session-Id", session, "MCP-Protocol-Version", "2025-11-25",
                "Content-Type", "application/json", "Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":"
                        + "{\"name\":\"backup.create\",\"arguments\":{},\"_meta\":{\"progressToken\":\"slow\"}}}")).build();
        HttpResponse<java.util.stream.Stream<String>> stream = RawMcp.HTTP.send(create, HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, stream.statusCode());
        java.util.Iterator<String> lines = stream.body().iterator();
        String first = null;
        while (lines.hasNext() && first == null) {
            String line = lines.next();
            if (line.startsWith("data: ")) {
                first = line;
            }
        }
        assertTrue(first != null && first.contains("notifications/progress"), "the backup is running: " + first);

        HttpResponse<String> cancel = mcp.post(session, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
                + "\"params\":{\"requestId\":5,\"reason\":\"user changed their mind\"}}");
        assertEquals(202, cancel.statusCode());

        CompletableFuture<List<String>> rest = CompletableFuture.supplyAsync(() -> {
            List<String> seen = new java.util.ArrayList<>();
            lines.forEachRemaining(seen::add);
            return seen;
        });
        List<String> after = rest.get(60, TimeUnit.SECONDS);
        String events = after.stream().filter(l -> l.startsWith("data: ")).collect(Collectors.joining("\n"));
        assertFalse(events.contains("\"id\":5"), "a cancelled call is not answered: " + events);

        JsonNode list = RawMcp.json(mcp.post(session, RawMcp.call(6, "backup.list", "{\"database\":\"alpha\"}")));
        assertEquals(0, list.path("result").path("structuredContent").path("total_count").asInt(), "nothing was published");
    }
}
