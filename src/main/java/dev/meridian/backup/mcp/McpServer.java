package dev.meridian.backup.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.meridian.backup.config.Settings.Scope;
import dev.meridian.backup.engine.Engine;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.operation.Failures;
import dev.meridian.backup.operation.ProgressStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MCP protocol, independent of transport: initialize, ping, tools/list, tools/call, logging/setLevel and the
 * client notifications. Both transports parse messages with {@link JsonRpc} and hand them here; nothing here
 * blocks, and every request completes with a response (or, when the client cancelled it, with none).
 */
public final class McpServer {
    private static final Logger log = LoggerFactory.getLogger(McpServer.class);

    /**
     * Supported protocol revisions, newest first. initialize answers the client's revision when it is one of
     * these (on stdio and on Streamable HTTP alike; docs/mcp.md says why), else the newest.
     */
    static final List<String> VERSIONS = List.of("2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05");
    static final String NAME = "meridian-backup";
    static final String TITLE = "Meridian Backup";
    static final String VERSION = "0.1.0";

    private final Engine engine;
    private final McpSettings settings;
    private final BackupTools tools;
    private final String instructions;
    private final McpTasks tasks;

    public McpServer(Engine engine, McpSettings settings) {
        this.engine = engine;
        this.settings = settings;
        this.tools = new BackupTools(engine, settings.toolNameStyle(), new DestructivePolicy(engine, settings));
        this.instructions = instructions();
        this.tasks = McpTasks.of(engine);
    }

    /** The Tasks extension's records (2026-07-28 clients that declare it). */
    McpTasks tasks() {
        return tasks;
    }

    static boolean supported(String version) {
        return VERSIONS.contains(version);
    }

    /** The tool a tools/call names (its wire name), if this server has it. */
    Optional<Tool> tool(String wireName) {
        return tools.byWireName(wireName);
    }

    /** The instructions initialize and server/discover return. */
    String instructionsText() {
        return instructions;
    }

    /** JSON-RPC batches (a JSON array of messages) exist up to 2025-03-26; later revisions removed them. */
    static boolean allowsBatches(String version) {
        return version.compareTo("2025-06-18") < 0;
    }

    /**
     * Whether a revision has what 2025-06-18 added: titles (of tools and of the server), output schemas and
     * structuredContent. Older sessions get results as text content only, and tools without those fields.
     */
    static boolean hasStructuredOutput(String version) {
        return version.compareTo("2025-06-18") >= 0;
    }

    /** Whether a revision has what 2025-03-26 added: tool annotations and the progress notification's message. */
    static boolean hasAnnotations(String version) {
        return version.compareTo("2025-03-26") >= 0;
    }

    /** What initialize agreed on: the session's protocol version, and the result to send. */
    record Initialized(String protocolVersion, ObjectNode result) {}

    Initialized initialize(JsonRpc.Request req) {
        JsonNode requested = req.params().get("protocolVersion");
        if (requested == null || !requested.isTextual()) {
            throw new JsonRpcException(JsonRpcException.INVALID_PARAMS,
                    "initialize needs params.protocolVersion, the newest revision the client speaks (e.g. \"2025-11-25\")", req.id());
        }
        String version = supported(requested.asText()) ? requested.asText() : VERSIONS.get(0);
        ObjectNode r = JsonRpc.NODES.objectNode();
        r.put("protocolVersion", version);
        ObjectNode caps = r.putObject("capabilities");
        caps.putObject("tools").put("listChanged", false);
        caps.putObject("logging");
        ObjectNode info = r.putObject("serverInfo").put("name", NAME);
        if (hasStructuredOutput(version)) {
            info.put("title", TITLE);
        }
        info.put("version", VERSION);
        r.put("instructions", instructions);
        JsonNode client = req.params().path("clientInfo");
        log.debug("MCP initialize from {} {} (asked {}, agreed {})", client.path("name").asText("?"),
                client.path("version").asText("?"), requested.asText(), version);
        return new Initialized(version, r);
    }

    /**
     * Verifies a stateless tools/call's {@code requestState} as far as it can be without the plan (format, MAC,
     * expiry, use; {@link DestructivePolicy#checkRequestState}).
     *
     * @throws JsonRpcException -32602 saying why, when it fails (MCP 2026-07-28, basic/patterns/mrtr: servers MUST
     *                          reject state that fails verification)
     */
    void checkRequestState(String state, String toolWireName, JsonRpc.Request r) {
        try {
            tools.policy().checkRequestState(state, toolWireName);
        } catch (dev.meridian.backup.model.BackupException e) {
            throw new JsonRpcException(JsonRpcException.INVALID_PARAMS, e.getMessage(), r.id());
        }
    }

    /** The token scope a request needs beyond read: a tool call needs its tool's scope. */
    Scope scope(JsonRpc.Request req) {
        if ("tasks/cancel".equals(req.method())) { // cancelling a task needs the scope that could start it
            return tasks.toolOf(req.params().path("taskId").asText("")).flatMap(tools::byWireName).map(Tool::scope)
                    .orElse(Scope.READ);
        }
        if (!"tools/call".equals(req.method())) {
            return Scope.READ;
        }
        return tools.byWireName(req.params().path("name").asText("")).map(Tool::scope).orElse(Scope.READ);
    }

    /**
     * Whether answering may send notifications first: a long tool call with a progressToken, or while the client
     * has asked for info-level logs. Over HTTP such calls are answered with an SSE stream, others with plain JSON.
     */
    boolean mayNotify(McpSession s, JsonRpc.Request req) {
        if (!"tools/call".equals(req.method())) {
            return false;
        }
        if (tools.mayElicit(s, req.params())) {
            return true; // its confirmation may go to the client as an elicitation/create request (DestructivePolicy)
        }
        Optional<Tool> tool = tools.byWireName(req.params().path("name").asText(""));
        if (tool.isEmpty() || tool.get().progressOperation() == null) {
            return false;
        }
        LogLevel level = s.logLevel();
        return req.params().path("_meta").has("progressToken") || (level != null && level.ordinal() <= LogLevel.INFO.ordinal());
    }

    /**
     * Answers one request of an open session. {@code out} receives notifications sent before the result (null when
     * the transport cannot carry any). Completes with the response, or empty for a call the client cancelled.
     */
    CompletionStage<Optional<ObjectNode>> handle(McpSession s, JsonRpc.Request req, Outbox out) {
        try {
            switch (req.method()) {
                case "ping":
                    return answer(req, JsonRpc.NODES.objectNode());
                case "tools/list":
                    return answer(req, listTools(req.params(), s.protocolVersion()));
                case "tools/call":
                    return callTool(s, req, out);
                case "logging/setLevel":
                    s.logLevel(logLevel(req.params()));
                    return answer(req, JsonRpc.NODES.objectNode());
                case "initialize":
                    throw new JsonRpcException(JsonRpcException.INVALID_REQUEST,
                            "this session is already initialized; start a new session to initialize again");
                default:
                    throw new JsonRpcException(JsonRpcException.METHOD_NOT_FOUND, "method '" + req.method()
                            + "' is not supported; this server offers initialize, ping, tools/list, tools/call and logging/setLevel");
            }
        } catch (JsonRpcException e) {
            return CompletableFuture.completedFuture(Optional.of(JsonRpc.error(e.withId(req.id()))));
        }
    }

    /** One element of a JSON-RPC batch: the message, or (when it could not be read) the error that answers it. */
    record BatchItem(JsonRpc.Message message, ObjectNode error) {}

    /** Reads a batch (2025-03-26 only). initialize may not be batched. */
    static List<BatchItem> parseBatch(ArrayNode messages) {
        List<BatchItem> items = new ArrayList<>();
        for (JsonNode node : messages) {
            try {
                JsonRpc.Message m = JsonRpc.message(node);
                if (m instanceof JsonRpc.Request r && r.method().equals("initialize")) {
                    throw new JsonRpcException(JsonRpcException.INVALID_REQUEST, "initialize must not be part of a batch", r.id());
                }
                items.add(new BatchItem(m, null));
            } catch (JsonRpcException e) {
                items.add(new BatchItem(null, JsonRpc.error(e)));
            }
        }
        return items;
    }

    /** Runs a batch's requests side by side; completes with their answers, or empty when none is owed. */
    CompletionStage<Optional<ArrayNode>> runBatch(McpSession s, List<BatchItem> items) {
        List<CompletableFuture<Optional<ObjectNode>>> answers = new ArrayList<>();
        for (BatchItem item : items) {
            if (item.error() != null) {
                answers.add(CompletableFuture.completedFuture(Optional.of(item.error())));
            } else if (item.message() instanceof JsonRpc.Request r) {
                answers.add(handle(s, r, null).toCompletableFuture());
            } else if (item.message() instanceof JsonRpc.Notification n) {
                notification(s, n);
            }
        }
        return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).thenApply(x -> {
            ArrayNode out = JsonRpc.NODES.arrayNode();
            answers.forEach(a -> a.getNow(Optional.empty()).ifPresent(out::add));
            return out.isEmpty() ? Optional.empty() : Optional.of(out);
        });
    }

    /** Client notifications: initialized, cancelled; others (e.g. roots changes) need nothing from this server. */
    void notification(McpSession s, JsonRpc.Notification n) {
        switch (n.method()) {
            case "notifications/initialized":
                s.markInitialized();
                break;
            case "notifications/cancelled":
                cancel(s, n.params());
                break;
            default:
                log.debug("MCP notification {} ignored", n.method());
        }
    }

    /** Stops the call if it is still running and before its point of no return; its answer is then never sent. */
    private void cancel(McpSession s, ObjectNode params) {
        JsonNode id = params.get("requestId");
        if (id == null || !(id.isTextual() || id.isIntegralNumber())) {
            return;
        }
        s.cancel(id).ifPresent(call -> {
            log.info("MCP client cancelled call {} (request {}): {}", id, call.requestId(),
                    params.path("reason").asText("no reason given"));
            engine.cancel(call.requestId());
        });
    }

    private static CompletionStage<Optional<ObjectNode>> answer(JsonRpc.Request req, JsonNode result) {
        return CompletableFuture.completedFuture(Optional.of(JsonRpc.result(req.id(), result)));
    }

    private static LogLevel logLevel(ObjectNode params) {
        JsonNode level = params.get("level");
        if (level == null || !level.isTextual()) {
            throw new JsonRpcException(JsonRpcException.INVALID_PARAMS, "logging/setLevel needs params.level, e.g. \"info\"");
        }
        return LogLevel.parse(level.asText());
    }

    private ObjectNode listTools(ObjectNode params, String version) {
        List<Tool> all = tools.all();
        int from = toolsCursor(params.get("cursor"), all.size());
        int to = Math.min(all.size(), from + settings.toolsPageSize());
        ObjectNode r = JsonRpc.NODES.objectNode();
        ArrayNode list = r.putArray("tools");
        for (Tool t : all.subList(from, to)) {
            list.add(t.definition(tools.wireName(t.name()), version));
        }
        if (to < all.size()) {
            r.put("nextCursor", Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(("tools:" + to).getBytes(StandardCharsets.UTF_8)));
        }
        return r;
    }

    private static int toolsCursor(JsonNode cursor, int size) {
        if (cursor == null || cursor.isNull()) {
            return 0;
        }
        try {
            String s = new String(Base64.getUrlDecoder().decode(cursor.asText()), StandardCharsets.UTF_8);
            if (cursor.isTextual() && s.startsWith("tools:")) {
                int from = Integer.parseInt(s.substring(6));
                if (from > 0 && from < size) {
                    return from;
                }
            }
        } catch (IllegalArgumentException e) {
            // falls through to the error below
        }
        throw new JsonRpcException(JsonRpcException.INVALID_PARAMS,
                "invalid cursor; pass the nextCursor of the previous tools/list result unchanged, or none for the first page");
    }

    private CompletionStage<Optional<ObjectNode>> callTool(McpSession s, JsonRpc.Request req, Outbox out) {
        ObjectNode params = req.params();
        JsonNode name = params.get("name");
        if (name == null || !name.isTextual()) {
            throw new JsonRpcException(JsonRpcException.INVALID_PARAMS, "tools/call needs params.name, one of: " + tools.names());
        }
        Tool tool = tools.byWireName(name.asText()).orElseThrow(() -> new JsonRpcException(JsonRpcException.INVALID_PARAMS,
                "unknown tool '" + dev.meridian.backup.model.Validation.printable(name.asText()) + "'; this server has: " + tools.names()));
        JsonNode argsNode = params.get("arguments");
        if (argsNode != null && !argsNode.isNull() && !argsNode.isObject()) {
            throw new JsonRpcException(JsonRpcException.INVALID_PARAMS, "params.arguments of " + name.asText()
                    + " must be a JSON object of named arguments, got " + JsonRpc.kind(argsNode));
        }
        ObjectNode args = argsNode instanceof ObjectNode o ? o : JsonRpc.NODES.objectNode();
        BackupException hidden = tools.policy().refusal(tool, name.asText());
        if (hidden != null) { // answered at once, whatever the arguments (a hidden tool's parameters stay unknown)
            return answer(req, Tool.Result.failure(hidden).toJson(s.protocolVersion()));
        }
        JsonNode token = progressToken(params);
        if (tasks.applies(s, tool)) {
            ToolArguments checked;
            try {
                checked = ToolArguments.check(name.asText(), tool.params(), args);
            } catch (RuntimeException e) {
                return answer(req, Tool.Result.failure(Failures.of(e, name.asText())).toJson(s.protocolVersion()));
            }
            if (!tools.asksFirst(s, tool, checked)) {
                return tasks.start(s, req, tool, name.asText(), checked, settings.progressInterval());
            }
        }
        String requestId = "mcp-" + UUID.randomUUID();
        McpSession.Call call = s.begin(req.id(), requestId);
        CallNotifier notifier = new CallNotifier(s, token, out, name.asText(), tool.progressOperation(),
                settings.progressInterval(), engine.system());
        return ProgressStream.run(engine, notifier.active() ? notifier::progress : null,
                        listener -> tool.handler().call(ToolArguments.check(name.asText(), tool.params(), args),
                                new Tool.Context(requestId, listener, notifier)))
                .handle((result, err) -> err == null ? result : Tool.Result.failure(Failures.of(err, name.asText())))
                .thenApply(r -> {
                    notifier.finish();
                    s.end(req.id());
                    return call.cancelled() ? Optional.<ObjectNode>empty()
                            : Optional.of(JsonRpc.result(req.id(), r.toJson(s.protocolVersion())));
                });
    }

    /** A progressToken must be a string or an integer (spec); anything else is a malformed request. */
    private static JsonNode progressToken(ObjectNode params) {
        JsonNode meta = params.get("_meta");
        if (meta == null || meta.isNull()) {
            return null;
        }
        if (!meta.isObject()) {
            throw new JsonRpcException(JsonRpcException.INVALID_PARAMS, "params._meta must be a JSON object");
        }
        JsonNode token = meta.get("progressToken");
        if (token == null || token.isNull()) {
            return null;
        }
        if (!(token.isTextual() || token.isIntegralNumber())) {
            throw new JsonRpcException(JsonRpcException.INVALID_PARAMS, "params._meta.progressToken must be a string or an integer");
        }
        return token;
    }

    /** The agent instructions; they name only the tools this server lists (destructive policy, read-only). */
    private String instructions() {
        String dbs = String.join(", ", engine.settings().databases().keySet());
        String roots = engine.settings().restoreRoots().stream().map(Object::toString).collect(Collectors.joining(", "));
        java.util.Set<String> listed = tools.all().stream().map(Tool::name).collect(Collectors.toSet());
        StringBuilder b = new StringBuilder("Meridian Backup backs up and restores the RocksDB databases of this server ("
                + dbs + ").\n");
        b.append("- Look first: ").append(tools.wireName(BackupTools.LIST)).append(" finds backups (newest first; pass "
                + "next_cursor to page) and ").append(tools.wireName(BackupTools.GET_STATS))
                .append(" shows totals and how old the last backup is; ").append(tools.wireName(BackupTools.VERIFY))
                .append(" re-reads a backup and checks every file.\n");
        if (listed.contains(BackupTools.CREATE)) {
            b.append("- ").append(tools.wireName(BackupTools.CREATE)).append(" takes a manual backup; ")
                    .append(tools.wireName(BackupTools.CREATE_PRE_MIGRATION))
                    .append(" takes one before a schema change (needs schema_version)");
            if (listed.contains(BackupTools.CREATE_SCHEDULED)) {
                b.append("; ").append(tools.wireName(BackupTools.CREATE_SCHEDULED)).append(" takes a scheduled backup "
                        + "and then applies retention, which may delete older scheduled backups");
            }
            b.append(".\n");
        }
        if (listed.contains(BackupTools.RESTORE)) {
            b.append("- Before any restore, run ").append(tools.wireName(BackupTools.VERIFY))
                    .append(" on the backup and restore only if valid is true.\n");
            b.append("- ").append(tools.wireName(BackupTools.RESTORE)).append(" without target_path REPLACES the live "
                    + "database: a safety backup of the current state is taken first (keep create_safety_backup true) "
                    + "and its id is returned as safety_backup_id, which undoes the restore if restored. To look at a "
                    + "backup without touching the live database, restore it into a new directory under a restore "
                    + "root (").append(roots).append(").\n");
        }
        if (listed.contains(BackupTools.DELETE)) {
            b.append("- ").append(tools.wireName(BackupTools.DELETE))
                    .append(" is permanent. Confirm restores and deletions with the user.\n");
        }
        if (settings.destructive() == McpSettings.Destructive.CONFIRM && listed.contains(BackupTools.DELETE)) {
            b.append("- Restoring over a live database, deleting, and a scheduled backup's retention first return a "
                    + "plan (status confirmation_required) and change nothing: show the plan to the user, and only if "
                    + "they agree call again with the plan's confirmation token (one use, a few minutes). A client that "
                    + "declared elicitation asks its user through a confirmation form instead.\n");
        }
        if (listed.contains(BackupTools.CREATE)) {
            b.append("- Each database runs one create, restore or delete at a time and queues the rest; a [busy] error "
                    + "means the queue is full: wait and retry.\n");
        }
        b.append("- Errors start with a code in brackets and say what to do.\n");
        b.append("- ").append(listed.contains(BackupTools.CREATE) ? "Create, restore and verify send" : "Verify sends")
                .append(" progress when the request carries _meta.progressToken (at least every ")
                .append(settings.progressInterval().toMillis() % 1000 == 0 ? settings.progressInterval().toSeconds() + " s"
                        : settings.progressInterval().toMillis() + " ms")
                .append(" while running or queued), and can be cancelled with notifications/cancelled until "
                        + "the point of no return (publishing the backup, swapping the database); a stateless (MCP "
                        + "2026-07-28) call over HTTP is cancelled by closing its stream.");
        return b.toString();
    }
}
