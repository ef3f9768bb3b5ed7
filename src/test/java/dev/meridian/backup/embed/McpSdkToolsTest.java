package dev.meridian.backup.embed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.meridian.backup.mcp.McpToolbox;
import dev.meridian.backup.model.BackupSummary;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpAsyncServer;
import io.modelcontextprotocol.server.McpServerFeatures.AsyncToolSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.servlet.ServletContextHandler;
import org.eclipse.jetty.servlet.ServletHolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;

/**
 * A host application with its own MCP server, built with the official MCP Java SDK and served over Streamable HTTP
 * (Jetty, a real socket), that adds Meridian's tools beside its own; an SDK client lists and calls them.
 */
class McpSdkToolsTest {
    static {
        RocksDB.loadLibrary();
    }

    @TempDir
    Path work;

    /** The host's own tool plus Meridian's, on the host's SDK server (the snippet docs/embedding.md shows). */
    static McpSyncServer hostServer(HttpServletStreamableServerTransportProvider transport, Meridian meridian) {
        // snippet: docs/embedding.md
        SyncToolSpecification count = SyncToolSpecification.builder()
                .tool(McpSchema.Tool.builder().name("orders_count").description("How many orders the shop has.")
                        .inputSchema(Map.of("type", "object")).build())
                .callHandler((exchange, request) -> McpSchema.CallToolResult.builder().addTextContent("3").build())
                .build();
        McpSyncServer server = McpServer.sync(transport) // the host's transport: here the SDK's Streamable HTTP servlet
                .serverInfo("order-service", "1.0")
                .capabilities(McpSchema.ServerCapabilities.builder().tools(false).build())
                .tools(count)
                .tools(McpSdkTools.of(meridian).sync()) // Meridian's eight tools, beside the host's own
                .build();
        // end of snippet
        return server;
    }

    /** docs/embedding.md shows {@link #hostServer}'s body verbatim (less its indentation): the snippet cannot rot. */
    @Test
    void theDocumentationShowsTheHostServerVerbatim() throws Exception {
        String source = Files.readString(Path.of("src/test/java/dev/meridian/backup/embed/McpSdkToolsTest.java"));
        int from = source.indexOf("// snippet: docs/embedding.md\n") + "// snippet: docs/embedding.md\n".length();
        String body = source.substring(from, source.indexOf("        // end of snippet", from)).lines()
                .map(l -> l.substring(Math.min(8, l.length()))).collect(Collectors.joining("\n", "", "\n"));
        String doc = Files.readString(Path.of("docs/embedding.md"));
        String begin = "<!-- snippet: McpSdkToolsTest.hostServer -->\n```java\n";
        int start = doc.indexOf(begin);
        assertTrue(start >= 0, "docs/embedding.md must show the snippet after the marker " + begin.trim());
        int at = start + begin.length();
        assertEquals(body, doc.substring(at, doc.indexOf("```\n", at)), "docs/embedding.md's MCP SDK snippet differs"
                + " from McpSdkToolsTest.hostServer; copy it into the doc");
    }

    /** The same host with the SDK's asynchronous server and Meridian's asynchronous specifications. */
    static McpAsyncServer asyncHostServer(HttpServletStreamableServerTransportProvider transport, Meridian meridian) {
        AsyncToolSpecification count = AsyncToolSpecification.builder()
                .tool(McpSchema.Tool.builder().name("orders_count").description("How many orders the shop has.")
                        .inputSchema(Map.of("type", "object")).build())
                .callHandler((exchange, request) -> Mono.just(McpSchema.CallToolResult.builder().addTextContent("3").build()))
                .build();
        return McpServer.async(transport)
                .serverInfo("order-service", "1.0")
                .capabilities(McpSchema.ServerCapabilities.builder().tools(false).build())
                .tools(count)
                .tools(McpSdkTools.of(meridian).async())
                .build();
    }

    @ParameterizedTest(name = "async = {0}")
    @ValueSource(booleans = {false, true})
    void anSdkClientOfTheHostsServerListsAndCallsMeridiansTools(boolean async) throws Exception {
        Path config = HostConfig.write(work, "orders", "");
        List<ColumnFamilyHandle> cfs = new ArrayList<>();
        try (DBOptions options = new DBOptions().setCreateIfMissing(true);
                RocksDB db = RocksDB.open(options, work.resolve("orders").toString(),
                        List.of(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY)), cfs);
                Meridian meridian = Meridian.start(config)) {
            for (int i = 0; i < 1000; i++) {
                db.put(("order:" + i).getBytes(StandardCharsets.UTF_8), ("item " + i).getBytes(StandardCharsets.UTF_8));
            }
            meridian.register("orders", db, cfs);

            HttpServletStreamableServerTransportProvider transport = HttpServletStreamableServerTransportProvider.builder()
                    .mcpEndpoint("/mcp").build();
            AutoCloseable mcp = async ? asyncHostServer(transport, meridian)::close : hostServer(transport, meridian)::close;
            Server jetty = new Server();
            ServerConnector connector = new ServerConnector(jetty);
            connector.setHost("127.0.0.1");
            connector.setPort(0);
            jetty.addConnector(connector);
            ServletContextHandler context = new ServletContextHandler();
            context.addServlet(new ServletHolder(transport), "/*");
            jetty.setHandler(context);
            jetty.start();
            List<McpSchema.ProgressNotification> progress = new CopyOnWriteArrayList<>();
            try (McpSyncClient client = McpClient.sync(HttpClientStreamableHttpTransport
                            .builder("http://127.0.0.1:" + connector.getLocalPort()).endpoint("/mcp").build())
                    .requestTimeout(Duration.ofSeconds(30))
                    .progressConsumer(progress::add)
                    .build()) {
                client.initialize();

                Map<String, McpSchema.Tool> tools = client.listTools().tools().stream()
                        .collect(Collectors.toMap(McpSchema.Tool::name, t -> t));
                assertEquals(List.of("backup_create", "backup_create_pre_migration", "backup_create_scheduled",
                                "backup_delete", "backup_get_stats", "backup_list", "backup_restore", "backup_verify",
                                "orders_count"),
                        tools.keySet().stream().sorted().toList());
                McpSchema.Tool delete = tools.get("backup_delete");
                assertEquals("Delete backup", delete.title());
                assertEquals(Boolean.TRUE, delete.annotations().destructiveHint());
                assertEquals(List.of("backup_id"), delete.inputSchema().get("required"));
                assertTrue(delete.outputSchema().containsKey("anyOf"), "the result or the confirmation plan: " + delete.outputSchema());

                McpSchema.CallToolResult created = client.callTool(McpSchema.CallToolRequest.builder().name("backup_create")
                        .arguments(Map.of("database", "orders", "description", "through the host's MCP server"))
                        .meta(Map.of("progressToken", "create-1")).build());
                assertFalse(created.isError(), created.toString());
                String id = (String) structured(created).get("backup_id");
                List<BackupSummary> backups = meridian.list("orders");
                assertEquals(List.of(id), backups.stream().map(b -> b.backupId().toString()).toList());
                // The SDK runs each progress consumer on a task of its own: one may still be on its way.
                assertTrue(dev.meridian.backup.TestEnv.eventually(() -> progress.stream().anyMatch(p -> "create-1".equals(p.progressToken()))),
                        "no progress for the call's token: " + progress);

                McpSchema.CallToolResult listed = client.callTool(McpSchema.CallToolRequest.builder().name("backup_list")
                        .arguments(Map.of("database", "orders")).build());
                assertTrue(listed.content().get(0) instanceof McpSchema.TextContent);
                assertTrue(structured(listed).toString().contains(id), structured(listed).toString());

                McpSchema.CallToolResult bad = client.callTool(McpSchema.CallToolRequest.builder().name("backup_list")
                        .arguments(Map.of("database", "orders", "limit", "ten")).build());
                assertTrue(bad.isError(), bad.toString());

                McpSchema.CallToolResult plan = client.callTool(McpSchema.CallToolRequest.builder().name("backup_delete")
                        .arguments(Map.of("backup_id", id)).build());
                assertFalse(plan.isError(), plan.toString());
                assertEquals("confirmation_required", structured(plan).get("status"));
                assertEquals(1, meridian.list("orders").size(), "a plan deleted the backup");
                String token = (String) ((Map<?, ?>) structured(plan).get("confirmation")).get("token");

                McpSchema.CallToolResult deleted = client.callTool(McpSchema.CallToolRequest.builder().name("backup_delete")
                        .arguments(Map.of("backup_id", id, "confirmation", token)).build());
                assertFalse(deleted.isError(), deleted.toString());
                assertEquals(true, structured(deleted).get("deleted"));
                assertEquals(List.of(), meridian.list("orders"));

                McpSchema.CallToolResult host = client.callTool(McpSchema.CallToolRequest.builder().name("orders_count")
                        .arguments(Map.of()).build());
                assertEquals("3", ((McpSchema.TextContent) host.content().get(0)).text());
            } finally {
                mcp.close();
                jetty.stop();
                meridian.unregister("orders");
                cfs.forEach(ColumnFamilyHandle::close);
            }
        }
    }

    /**
     * Cancelling stops a running backup before its point of no return, as notifications/cancelled does: through the
     * toolbox's {@code cancel}, and by disposing the asynchronous specification's {@code Mono}. The I/O rate limit
     * keeps each backup of about 4 MB running for seconds.
     */
    @Test
    void cancellingACallStopsTheBackup() throws Exception {
        Path config = HostConfig.write(work, "orders", "", "io.rate-limit = 512KiB");
        List<ColumnFamilyHandle> cfs = new ArrayList<>();
        try (DBOptions options = new DBOptions().setCreateIfMissing(true);
                RocksDB db = RocksDB.open(options, work.resolve("orders").toString(),
                        List.of(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY)), cfs);
                Meridian meridian = Meridian.start(config)) {
            java.util.Random random = new java.util.Random(1);
            for (int i = 0; i < 4000; i++) {
                byte[] value = new byte[1024];
                random.nextBytes(value); // incompressible
                db.put(("order:" + i).getBytes(StandardCharsets.UTF_8), value);
            }
            meridian.register("orders", db, cfs);
            try {
                java.util.concurrent.CountDownLatch running = new java.util.concurrent.CountDownLatch(1);
                McpToolbox.Call call = meridian.mcpToolbox().call("backup_create",
                        JsonNodeFactory.instance.objectNode().put("database", "orders"), p -> running.countDown());
                assertTrue(running.await(30, TimeUnit.SECONDS), "the backup did not start");
                call.cancel("the host's user changed their mind");
                ExecutionException e = assertThrows(ExecutionException.class, () -> call.result().get(60, TimeUnit.SECONDS));
                assertTrue(e.getCause() instanceof CancellationException, e.toString());
                assertEquals(List.of(), meridian.list("orders"), "a cancelled backup was published");

                AsyncToolSpecification create = McpSdkTools.of(meridian).async().stream()
                        .filter(t -> t.tool().name().equals("backup_create")).findFirst().orElseThrow();
                AtomicReference<Object> outcome = new AtomicReference<>();
                Disposable running2 = create.callHandler().apply(null, McpSchema.CallToolRequest.builder()
                        .name("backup_create").arguments(Map.of("database", "orders")).build())
                        .subscribe(outcome::set, outcome::set);
                Thread.sleep(1000); // the backup is copying (it needs about 8 s at the rate limit)
                running2.dispose();
                // Operations on a database run one at a time: this backup starts once the disposed one has ended.
                BackupSummary after = meridian.backup("orders", dev.meridian.backup.model.BackupType.MANUAL, "after");
                assertEquals(null, outcome.get(), "a disposed call delivered an outcome");
                assertEquals(List.of(after.backupId()), meridian.list("orders").stream().map(BackupSummary::backupId).toList(),
                        "the backup of a disposed call was published");
            } finally {
                meridian.unregister("orders");
                cfs.forEach(ColumnFamilyHandle::close);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> structured(McpSchema.CallToolResult r) {
        return (Map<String, Object>) r.structuredContent();
    }
}
