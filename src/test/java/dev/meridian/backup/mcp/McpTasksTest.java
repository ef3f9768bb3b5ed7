package dev.meridian.backup.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.ChildServer;
import dev.meridian.backup.TestEnv;
import dev.meridian.backup.model.Json;
import dev.meridian.backup.server.Server;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Tasks extension ({@code io.modelcontextprotocol/tasks}) over real HTTP with real RocksDB: a backup as a task
 * polled to completion, a cancelled restore task that leaves the database as it was, a restart mid-task after which
 * tasks/get reports how the task really ended, and a client without the extension getting the immediate result.
 * I/O is rate-limited (1 MiB/s) so that copying "alpha" or "gamma" (about 4 MB each) takes seconds.
 */
class McpTasksTest {
    static final String REVISION = "2026-07-28";
    static final String TASKS = "\"extensions\":{\"io.modelcontextprotocol/tasks\":{}}";
    static TestEnv env;
    /** The server MCP requests go to: a crashing child process while set, else the in-process server. */
    static volatile String url;
    static final RawMcp mcp = new RawMcp(() -> url != null ? url : env.baseUrl() + "/mcp");

    @BeforeAll
    static void start() throws Exception {
        env = new TestEnv(Files.createTempDirectory("mcp-tasks"), List.of("alpha", "beta", "gamma"),
                "meridian.io.rate-limit = 1MiB\nmeridian.backup.auto-verify = false");
        startServer();
        env.write("alpha", "big", 4000, 1024, 1);
        env.write("beta", "small", 50, 100, 2);
        env.write("gamma", "big", 4000, 1024, 3);
    }

    static void startServer() throws Exception {
        env.server = Server.start(env.settings(), true,
                engine -> List.of(new McpHttpRoute(engine, McpSettings.from(engine.settings().config())).route()));
    }

    @AfterAll
    static void stop() throws Exception {
        env.close();
        TestEnv.deleteTree(env.root);
    }

    static String meta(boolean tasks) {
        return "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"" + REVISION + "\","
                + "\"io.modelcontextprotocol/clientInfo\":{\"name\":\"tasks-test\",\"version\":\"1\"},"
                + "\"io.modelcontextprotocol/clientCapabilities\":{" + (tasks ? TASKS : "") + "}}";
    }

    static HttpResponse<String> post(String method, String name, String params, boolean tasks, String... extra) {
        String body = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"" + method + "\",\"params\":{" + params + "," + meta(tasks) + "}}";
        List<String> h = new ArrayList<>(List.of("MCP-Protocol-Version", REVISION, "Mcp-Method", method, "Mcp-Name", name));
        h.addAll(List.of(extra));
        return mcp.send(mcp.request(h.toArray(String[]::new)).header("Content-Type", "application/json")
                .header("Accept", "application/json").POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build());
    }

    static JsonNode call(String tool, String arguments, boolean tasks) {
        HttpResponse<String> r = arguments.contains("\"database\"")
                ? post("tools/call", tool, "\"name\":\"" + tool + "\",\"arguments\":" + arguments, tasks,
                        "Mcp-Param-Database", database(arguments))
                : post("tools/call", tool, "\"name\":\"" + tool + "\",\"arguments\":" + arguments, tasks);
        assertEquals(200, r.statusCode(), r.body());
        return RawMcp.json(r).path("result");
    }

    static String database(String arguments) {
        try {
            return Json.MAPPER.readTree(arguments).path("database").asText();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static JsonNode get(String taskId) {
        HttpResponse<String> r = post("tasks/get", taskId, "\"taskId\":\"" + taskId + "\"", true);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode result = RawMcp.json(r).path("result");
        assertEquals("complete", result.path("resultType").asText(), r.body());
        return result;
    }

    static JsonNode await(String taskId, Predicate<JsonNode> until) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode t = get(taskId);
            if (until.test(t)) {
                return t;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("task " + taskId + " did not get there: " + get(taskId));
    }

    static boolean terminal(JsonNode t) {
        return List.of("completed", "failed", "cancelled").contains(t.path("status").asText());
    }

    static int backups(String db) {
        return call("backup.list", "{\"database\":\"" + db + "\"}", false).path("structuredContent").path("total_count").asInt();
    }

    @Test
    void aBackupBecomesATaskThatIsPolledToCompletionAndItsResultRead() throws Exception {
        int before = backups("beta");
        JsonNode created = call("backup.create", "{\"database\":\"beta\",\"description\":\"as a task\"}", true);
        assertEquals("task", created.path("resultType").asText(), created.toString());
        String taskId = created.path("taskId").asText();
        assertFalse(taskId.isEmpty(), created.toString());
        assertEquals("working", created.path("status").asText());
        assertTrue(created.path("ttlMs").asLong() > 0 && created.path("pollIntervalMs").asLong() > 0, created.toString());
        assertFalse(created.has("result") || created.has("content"), created.toString());
        assertTrue(Files.exists(env.stateDir.resolve("mcp-tasks").resolve(taskId + ".json")), "recorded before the answer");

        JsonNode done = await(taskId, McpTasksTest::terminal);
        assertEquals("completed", done.path("status").asText(), done.toString());
        JsonNode result = done.path("result");
        assertFalse(result.path("isError").asBoolean(), done.toString());
        String backupId = result.path("structuredContent").path("backup_id").asText();
        assertEquals("beta", result.path("structuredContent").path("database").asText(), done.toString());
        assertTrue(done.path("statusMessage").asText().contains(backupId), done.toString());
        assertEquals(before + 1, backups("beta"));

        // Without the extension: today's immediate result, and no tasks/* at all.
        JsonNode direct = call("backup.create", "{\"database\":\"beta\"}", false);
        assertEquals("complete", direct.path("resultType").asText(), direct.toString());
        assertFalse(direct.has("taskId"), direct.toString());
        assertFalse(direct.path("structuredContent").path("backup_id").asText().isEmpty(), direct.toString());
        RawMcp.rpcError(post("tasks/get", taskId, "\"taskId\":\"" + taskId + "\"", false), 400, -32021);
        // An unknown task is -32602; a mismatched Mcp-Name is refused.
        HttpResponse<String> unknown = post("tasks/get", "nope", "\"taskId\":\"nope\"", true);
        assertEquals(-32602, RawMcp.json(unknown).path("error").path("code").asInt(), unknown.body());
        RawMcp.rpcError(post("tasks/get", "other", "\"taskId\":\"" + taskId + "\"", true), 400, -32020);
    }

    @Test
    void cancellingARunningRestoreTaskLeavesTheDatabaseUntouched() throws Exception {
        String backupId = call("backup.create", "{\"database\":\"alpha\"}", false).path("structuredContent")
                .path("backup_id").asText();
        env.write("alpha", "after", 100, 100, 9); // the live database now differs from the backup
        Map<String, String> live = env.snapshot("alpha");
        int before = backups("alpha");
        String args = "{\"backup_id\":\"" + backupId + "\"}";
        // Under the default policy (confirm) the first call is a plan, answered at once, not a task.
        JsonNode plan = call("backup.restore", args, true);
        assertEquals("complete", plan.path("resultType").asText(), plan.toString());
        String token = plan.path("structuredContent").path("confirmation").path("token").asText();
        assertFalse(token.isEmpty(), plan.toString());

        JsonNode created = call("backup.restore", "{\"backup_id\":\"" + backupId + "\",\"confirmation\":\"" + token + "\"}", true);
        assertEquals("task", created.path("resultType").asText(), created.toString());
        String taskId = created.path("taskId").asText();
        JsonNode staging = await(taskId, t -> terminal(t)
                || t.path("_meta").path("dev.meridian/progress").path("bytes_done").asLong() > 0);
        assertEquals("staging", staging.path("_meta").path("dev.meridian/progress").path("phase").asText(), staging.toString());
        assertTrue(staging.path("statusMessage").asText().contains("staging"), staging.toString());

        HttpResponse<String> ack = post("tasks/cancel", taskId, "\"taskId\":\"" + taskId + "\"", true);
        JsonNode ackResult = RawMcp.json(ack).path("result");
        assertEquals("complete", ackResult.path("resultType").asText(), ack.body());
        assertFalse(ackResult.has("taskId") || ackResult.has("status"), ack.body());

        JsonNode end = await(taskId, McpTasksTest::terminal);
        assertEquals("cancelled", end.path("status").asText(), end.toString());
        assertFalse(end.has("result"), end.toString());
        assertEquals(live, env.snapshot("alpha"), "the cancelled restore changed nothing");
        assertEquals(before, backups("alpha"), "no safety backup was left");
        // Cancelling again, once it ended, is the same empty acknowledgement.
        assertEquals("complete", RawMcp.json(post("tasks/cancel", taskId, "\"taskId\":\"" + taskId + "\"", true))
                .path("result").path("resultType").asText());
    }

    /**
     * The server process dies (halted like a power cut) mid-task, twice: before its backup was published, and right
     * after. A new server on the same state directory and repository then reports each task's true end.
     */
    @Test
    void afterACrashAndRestartTasksGetReportsHowTheTaskReallyEnded() throws Exception {
        int gammaBefore = backups("gamma");
        int betaBefore = backups("beta");
        env.stopServer();
        String lost;
        String published;
        try {
            lost = createInCrashingChild("backup.after-first-object", "gamma");
            published = createInCrashingChild("backup.after-publish", "beta");
        } finally {
            url = null;
            startServer();
        }
        JsonNode failed = get(lost);
        assertEquals("failed", failed.path("status").asText(), failed.toString());
        assertEquals(-32603, failed.path("error").path("code").asInt(), failed.toString());
        assertFalse(failed.has("result"), failed.toString());
        String why = failed.path("statusMessage").asText();
        assertTrue(why.contains("the server stopped while backup.create of database gamma ran")
                && why.contains("no backup of it was published"), why);
        assertEquals(gammaBefore, backups("gamma"), "startup recovery published nothing for the lost backup");

        JsonNode done = get(published);
        assertEquals("completed", done.path("status").asText(), done.toString());
        assertEquals(betaBefore + 1, backups("beta"));
        String backupId = done.path("result").path("structuredContent").path("backup_id").asText();
        assertEquals("beta", done.path("result").path("structuredContent").path("database").asText(), done.toString());
        assertTrue(done.path("statusMessage").asText().contains(backupId + " had been published"), done.toString());
        JsonNode onDisk = Json.MAPPER.readTree(Files.readAllBytes(env.stateDir.resolve("mcp-tasks").resolve(published + ".json")));
        assertEquals("completed", onDisk.path("status").asText(), "the reconciled end is recorded: " + onDisk);
        assertEquals(backupId, onDisk.path("backup_id").asText());
    }

    /**
     * The same for the other task tools: a server halted after staging an in-place restore (before any swap), and one
     * killed (SIGKILL) while a verify ran. After the restart each task is failed with what really happened: the
     * database and the backup are as they were.
     */
    @Test
    void afterACrashARestoreAndAVerifyTaskReportTheirTrueEnd() throws Exception {
        String backupId = call("backup.create", "{\"database\":\"gamma\"}", false).path("structuredContent")
                .path("backup_id").asText();
        env.write("gamma", "later", 100, 100, 11); // the live database differs from the backup
        Map<String, String> live = env.snapshot("gamma");
        env.stopServer();
        String restore;
        String verify;
        try {
            try (ChildServer child = ChildServer.start(env.configFile, "restore.staged", env.root.resolve("child-restore.log"))) {
                url = child.url() + "/mcp";
                String token = call("backup.restore", "{\"backup_id\":\"" + backupId + "\"}", true)
                        .path("structuredContent").path("confirmation").path("token").asText();
                restore = taskThatMayOutliveItsAnswer("backup.restore", "{\"backup_id\":\"" + backupId
                        + "\",\"confirmation\":\"" + token + "\"}");
                assertTrue(child.waitForExit(60), "the server should have halted at restore.staged");
            }
            try (ChildServer child = ChildServer.start(env.configFile, null, env.root.resolve("child-verify.log"))) {
                url = child.url() + "/mcp";
                JsonNode created = call("backup.verify", "{\"backup_id\":\"" + backupId + "\"}", true);
                verify = created.path("taskId").asText();
                JsonNode running = await(verify, t -> terminal(t)
                        || "verifying".equals(t.path("_meta").path("dev.meridian/progress").path("phase").asText()));
                assertEquals("working", running.path("status").asText(), running.toString());
                child.kill();
            }
        } finally {
            url = null;
            startServer();
        }
        JsonNode restored = get(restore);
        assertEquals("failed", restored.path("status").asText(), restored.toString());
        String why = restored.path("statusMessage").asText();
        assertTrue(why.contains("the server stopped while backup.restore of backup " + backupId)
                && why.contains("the swap had not begun") && why.contains("the database was not touched"), why);
        assertEquals(live, env.snapshot("gamma"), "startup recovery left the live database as it was");
        JsonNode verified = get(verify);
        assertEquals("failed", verified.path("status").asText(), verified.toString());
        assertTrue(verified.path("statusMessage").asText().contains("(phase verifying)")
                && verified.path("statusMessage").asText().contains("the backup was not changed"), verified.toString());
        assertFalse(call("backup.verify", "{\"backup_id\":\"" + backupId + "\"}", false).path("isError").asBoolean());
    }

    /** Starts a server process that halts at {@code crashAt}, creates a backup task there, and waits for the crash. */
    private static String createInCrashingChild(String crashAt, String db) throws Exception {
        try (ChildServer child = ChildServer.start(env.configFile, crashAt, env.root.resolve("child-" + crashAt + ".log"))) {
            url = child.url() + "/mcp";
            String taskId = taskThatMayOutliveItsAnswer("backup.create", "{\"database\":\"" + db + "\"}");
            assertTrue(child.waitForExit(60), "the server should have halted at " + crashAt);
            assertTrue(child.output().contains("CRASH-POINT " + crashAt), child.output());
            return taskId;
        }
    }

    /**
     * Calls {@code tool} as a task on a server armed to halt, and returns the task's id: from the CreateTaskResult,
     * or, when the server halted before that answer left (the work starts as soon as the task is recorded, so a short
     * one can reach the crash point first; the connection then closes with no response), from the one task record
     * the call left in the state directory.
     */
    private static String taskThatMayOutliveItsAnswer(String tool, String arguments) throws IOException {
        Set<String> before = taskRecords();
        try {
            JsonNode created = call(tool, arguments, true);
            assertEquals("task", created.path("resultType").asText(), created.toString());
            return created.path("taskId").asText();
        } catch (UncheckedIOException answerLost) {
            Set<String> added = taskRecords();
            added.removeAll(before);
            assertEquals(1, added.size(), "the call recorded one task before the server halted (" + answerLost.getMessage()
                    + "): " + added);
            return added.iterator().next();
        }
    }

    /** The ids of the task records in the state directory ({@code mcp-tasks/<taskId>.json}). */
    private static Set<String> taskRecords() throws IOException {
        Path dir = env.stateDir.resolve("mcp-tasks");
        if (!Files.isDirectory(dir)) {
            return new HashSet<>();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".json") && !n.startsWith("."))
                    .map(n -> n.substring(0, n.length() - ".json".length())).collect(Collectors.toCollection(HashSet::new));
        }
    }
}
