package dev.meridian.backup.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A create that finds its database's queue full fails clearly as [busy] instead of racing the running one. */
class McpBusyTest {
    @RegisterExtension
    static final McpTestServer server = new McpTestServer("meridian.database.queue-size = 1\nmeridian.backup.auto-verify = false", "alpha");

    @Test
    void createsBeyondTheQueueAreRefusedAsBusy() throws Exception {
        RawMcp mcp = server.mcp();
        String session = mcp.open("2025-11-25");
        int calls = 8;
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(calls);
        List<CompletableFuture<JsonNode>> results = new ArrayList<>();
        for (int i = 0; i < calls; i++) {
            int id = i;
            results.add(CompletableFuture.supplyAsync(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return RawMcp.json(mcp.post(session, RawMcp.call(id, "backup.create", "{}"))).path("result");
            }, pool));
        }
        go.countDown();
        int ok = 0;
        int busy = 0;
        for (CompletableFuture<JsonNode> f : results) {
            JsonNode r = f.get(2, TimeUnit.MINUTES);
            if (!r.path("isError").asBoolean()) {
                ok++;
            } else {
                String text = r.path("content").get(0).path("text").asText();
                assertTrue(text.startsWith("[busy] database alpha is busy") && text.contains("retry later"), text);
                busy++;
            }
        }
        pool.shutdown();
        assertEquals(calls, ok + busy);
        assertTrue(ok >= 2, "the running create and the queued one both finish");
        assertTrue(busy >= 1, "with one queue slot, most of " + calls + " simultaneous creates are refused");
    }
}
