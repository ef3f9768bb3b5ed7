package dev.meridian.backup.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.backup.TestEnv;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Clients cancel a call after a while without progress (commonly 60 s), so a call with a progressToken hears from
 * the server at least every meridian.mcp.progress-interval while it runs or waits (issue 7, item 7). I/O is
 * rate-limited so that operations last seconds; the interval is 300 ms, so a silence of several seconds (what the
 * server did before) is told apart from heartbeats with a wide margin for a loaded machine.
 */
class McpProgressHeartbeatTest {
    static final long INTERVAL_MS = 300;
    /** The largest gap allowed between two notifications: the interval plus room for a busy test machine. */
    static final long MAX_GAP_MS = 4 * INTERVAL_MS;

    @RegisterExtension
    static final McpTestServer server = new McpTestServer("meridian.io.rate-limit = 2MiB\n"
            + "meridian.backup.auto-verify = false\nmeridian.mcp.progress-interval = " + INTERVAL_MS + "ms\n"
            + "meridian.mcp.destructive = allow", "alpha"); // restores and deletes here act at once

    /** One notification and when the client got it. */
    record Heard(long atNanos, McpSchema.ProgressNotification notification) {}

    static McpSyncClient client(List<Heard> heard) {
        McpSyncClient c = McpClient.sync(HttpClientStreamableHttpTransport.builder(server.baseUrl()).endpoint("/mcp").build())
                .requestTimeout(Duration.ofSeconds(120))
                .progressConsumer(p -> heard.add(new Heard(System.nanoTime(), p)))
                .build();
        c.initialize();
        return c;
    }

    static McpSchema.CallToolResult call(McpSyncClient c, String tool, Map<String, Object> args, String token) {
        return c.callTool(McpSchema.CallToolRequest.builder().name(tool).arguments(args).progressToken(token).build());
    }

    /**
     * Notifications for {@code token} came at most MAX_GAP_MS apart, from the call's start to its result, with
     * strictly increasing progress values (the spec requires increase, also for heartbeats).
     *
     * @return the notifications in the order the server sent them (by value, see {@link McpHttpTest#assertNoValueTwice})
     */
    static List<McpSchema.ProgressNotification> assertNeverSilent(List<Heard> heard, String token, long startNanos, long endNanos) {
        List<Heard> mine = heard.stream().filter(h -> token.equals(h.notification().progressToken())).toList();
        assertFalse(mine.isEmpty(), "no progress for " + token);
        long previous = startNanos;
        for (Heard h : mine) {
            long gapMs = TimeUnit.NANOSECONDS.toMillis(h.atNanos() - previous);
            assertTrue(gapMs < MAX_GAP_MS, "silent for " + gapMs + " ms before " + h.notification());
            previous = h.atNanos();
        }
        List<McpSchema.ProgressNotification> sent = McpHttpTest.assertNoValueTwice(mine.stream().map(Heard::notification).toList());
        long tailMs = TimeUnit.NANOSECONDS.toMillis(endNanos - previous);
        assertTrue(tailMs < MAX_GAP_MS, "silent for " + tailMs + " ms before the result");
        return sent;
    }

    /**
     * The case 1: a backup.create waiting behind another backup of the same database (rate-limited I/O)
     * got no progress for 78 s. Now it hears its place in the queue whenever the line moves, and heartbeats until
     * its own bytes flow. The line: direct work on the database holds it for 4 s, a backup waits behind that, and
     * the call under test waits behind both.
     */
    @Test
    void aCreateQueuedBehindAnotherHearsItsQueuePositionAndHeartbeats() throws Exception {
        server.env.write("alpha", "bulk", 3000, 1000, 11); // ~3 MB of incompressible values: seconds at 2 MiB/s
        List<Heard> first = new CopyOnWriteArrayList<>();
        List<Heard> second = new CopyOnWriteArrayList<>();
        McpSyncClient a = client(first);
        McpSyncClient b = client(second);
        CountDownLatch holding = new CountDownLatch(1);
        try {
            CompletableFuture<Object> hold = server.engine().withDatabase("alpha", live -> {
                holding.countDown();
                try {
                    Thread.sleep(4000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return null;
            }).toCompletableFuture();
            assertTrue(holding.await(30, TimeUnit.SECONDS));
            CompletableFuture<McpSchema.CallToolResult> ahead = CompletableFuture.supplyAsync(
                    () -> call(a, "backup_create", Map.of("description", "the one ahead"), "first"));
            assertTrue(TestEnv.eventually(() -> !first.isEmpty()), "the first backup is queued");
            long start = System.nanoTime();
            McpSchema.CallToolResult queued = call(b, "backup.create", Map.of("description", "the queued one"), "second");
            long end = System.nanoTime();
            assertFalse(queued.isError(), queued.toString());
            assertFalse(ahead.get(2, TimeUnit.MINUTES).isError());
            hold.get(1, TimeUnit.MINUTES);
            assertTrue(TimeUnit.NANOSECONDS.toMillis(end - start) > 3 * MAX_GAP_MS,
                    "the queued call waited long enough for a silence to show");

            List<McpSchema.ProgressNotification> heard = assertNeverSilent(second, "second", start, end);
            List<String> messages = heard.stream().map(McpSchema.ProgressNotification::message).toList();
            assertEquals("backup of alpha: queued: 2nd in line, behind the running direct database work of alpha and 1 more queued",
                    messages.get(0));
            assertTrue(messages.contains("backup of alpha: queued: 1st in line, behind the running manual backup of alpha"),
                    "the position is told again when the line moves: " + messages);
            assertTrue(messages.stream().filter(m -> m.contains("queued")).count() >= 4,
                    "heartbeats repeat the queue position while it waits: " + messages);
            // Its own steps follow; which is last depends on whether "published" reached the call before its result
            // (a step that comes after the result is dropped, so that nothing follows the response).
            assertFalse(messages.get(messages.size() - 1).contains("queued"), "then its own steps: " + messages);
        } finally {
            a.closeGracefully();
            b.closeGracefully();
        }
    }

    /** Not only creates: a delete waiting behind other work hears heartbeats too, though it has no bytes to report. */
    @Test
    void aDeleteWaitingInTheQueueHearsHeartbeats() throws Exception {
        List<Heard> heard = new CopyOnWriteArrayList<>();
        McpSyncClient c = client(heard);
        try {
            McpSchema.CallToolResult created = call(c, "backup_create", Map.of(), "setup-delete");
            String id = (String) ((Map<?, ?>) created.structuredContent()).get("backup_id");
            CountDownLatch holding = new CountDownLatch(1);
            CompletableFuture<Object> hold = server.engine().withDatabase("alpha", live -> {
                holding.countDown();
                try {
                    Thread.sleep(3 * MAX_GAP_MS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return null;
            }).toCompletableFuture();
            assertTrue(holding.await(30, TimeUnit.SECONDS));
            long start = System.nanoTime();
            McpSchema.CallToolResult deleted = call(c, "backup_delete", Map.of("backup_id", id), "delete");
            long end = System.nanoTime();
            hold.get(1, TimeUnit.MINUTES);
            assertFalse(deleted.isError(), deleted.toString());
            List<McpSchema.ProgressNotification> mine = assertNeverSilent(heard, "delete", start, end);
            assertTrue(mine.size() >= 3 && mine.stream().allMatch(n -> n.message().equals("backup_delete: started")), mine.toString());
        } finally {
            c.closeGracefully();
        }
    }

    /**
     * The case 2: an in-place restore was silent while its safety backup re-read the database. Its
     * bytes are now the restore's progress: restore bytes plus safety-backup bytes, rising in whole bytes.
     */
    @Test
    void anInPlaceRestoreReportsItsSafetyBackupsBytes() throws Exception {
        List<Heard> heard = new CopyOnWriteArrayList<>();
        McpSyncClient c = client(heard);
        try {
            McpSchema.CallToolResult created = call(c, "backup_create", Map.of(), "setup");
            String id = (String) ((Map<?, ?>) created.structuredContent()).get("backup_id");
            server.env.write("alpha", "later", 6000, 1000, 12); // the safety backup has ~6 MB more to read
            long start = System.nanoTime();
            McpSchema.CallToolResult restored = call(c, "backup_restore", Map.of("backup_id", id), "restore");
            long end = System.nanoTime();
            assertFalse(restored.isError(), restored.toString());

            List<McpSchema.ProgressNotification> mine = assertNeverSilent(heard, "restore", start, end);
            List<McpSchema.ProgressNotification> safety = mine.stream()
                    .filter(n -> n.message().startsWith("restore: safety backup of alpha: ")).toList();
            assertTrue(safety.size() >= 3, "the safety backup's bytes arrive as the restore's progress: " + mine);
            double span = safety.get(safety.size() - 1).progress() - safety.get(0).progress();
            assertTrue(span > 1_000_000, "whole megabytes of safety-backup bytes, not only heartbeats: " + safety);
            assertTrue(safety.stream().anyMatch(n -> n.total() != null && n.total() > 6_000_000 && n.progress() <= n.total()),
                    "the total covers the restore and its safety backup: " + safety);
        } finally {
            c.closeGracefully();
        }
    }
}
