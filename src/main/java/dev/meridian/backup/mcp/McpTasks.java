package dev.meridian.backup.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.meridian.backup.engine.Engine;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.ProgressUpdate;
import dev.meridian.backup.operation.Failures;
import dev.meridian.backup.operation.ProgressStream;
import dev.meridian.backup.runtime.Blocking;
import dev.meridian.backup.runtime.JobContext;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.WeakHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Long tool calls as tasks: the MCP Tasks extension {@code io.modelcontextprotocol/tasks} (SEP-2663) of the
 * stateless 2026-07-28 revision. A {@code tools/call} of {@link #TOOLS} whose {@code _meta} client capabilities
 * declare the extension is answered at once with a {@code CreateTaskResult} ({@code resultType: "task"}, taskId,
 * status, createdAt, lastUpdatedAt, ttlMs, pollIntervalMs); the operation runs on, and {@code tasks/get} reports it:
 * {@code working} with the phase and bytes in {@code statusMessage} and in {@code _meta["dev.meridian/progress"]}
 * ({@code {"phase", "bytes_done", "bytes_total"}}), then {@code completed} with the tool's result inlined (a tool
 * error is completed with {@code result.isError: true}), {@code cancelled}, or {@code failed} with a JSON-RPC
 * {@code error} (only when the server stopped while it ran). {@code tasks/cancel} cancels the engine operation by its
 * request id, with the guarantees of a cancelled call: before the point of no return nothing changes and the task
 * ends {@code cancelled}; after it the operation finishes and the task reports that true outcome.
 *
 * <p>Each task is a small JSON file {@code <meridian.state-dir>/mcp-tasks/<taskId>.json}, written atomically (temp
 * file, fsync, rename, directory fsync) before the CreateTaskResult is sent, again at each phase change, with the
 * bytes done at most every {@value #PERSIST_BYTES_SECONDS} s in between, and at the end, so a client learns how its task ended even after a restart. A task that was running when the server stopped is
 * reconciled when the server starts: a backup task whose backup was published meanwhile is completed with that
 * backup (matched in the catalog by database, type, description, tags and time), any other is failed with a message
 * that says what startup recovery did with its work. Records expire {@code meridian.mcp.task-ttl} after creation
 * (default 24h) and at most {@code meridian.mcp.task-limit} are kept (default 1000; the oldest finished ones go first).
 *
 * <p>Spec followed: github.com/modelcontextprotocol/ext-tasks, specification/2026-07-28/tasks.md (Capability
 * Negotiation, Task Creation, Task Polling, Task Cancellation, Error Handling, Streamable HTTP: Routing Headers).
 */
final class McpTasks {
    private static final Logger log = LoggerFactory.getLogger(McpTasks.class);

    static final String EXTENSION = "io.modelcontextprotocol/tasks";
    static final String PROGRESS_META = "dev.meridian/progress";
    /** The tools that become tasks: the ones that may run for minutes. */
    static final Set<String> TOOLS = Set.of(BackupTools.CREATE, BackupTools.CREATE_PRE_MIGRATION,
            BackupTools.CREATE_SCHEDULED, BackupTools.RESTORE, BackupTools.VERIFY);
    static final List<String> METHODS = List.of("tasks/get", "tasks/update", "tasks/cancel");
    /** How often (ms) a client is asked to poll. */
    static final long POLL_INTERVAL_MS = 1000;
    private static final Duration DEFAULT_TTL = Duration.ofHours(24);
    private static final int DEFAULT_LIMIT = 1000;
    private static final Pattern TASK_ID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    private static final Set<String> TERMINAL = Set.of("completed", "failed", "cancelled");
    /** Between phase changes, a running task's record is rewritten with its bytes done at most this often. */
    static final int PERSIST_BYTES_SECONDS = 5;
    private static final long PERSIST_BYTES_NANOS = PERSIST_BYTES_SECONDS * 1_000_000_000L;

    /** One store per engine, so HTTP and stdio in one process share the records (and a new engine reloads them). */
    private static final Map<Engine, McpTasks> BY_ENGINE = new WeakHashMap<>();

    private final Engine engine;
    private final Path dir;
    private final Duration ttl;
    private final int limit;
    private final Executor io;
    private final Map<String, Entry> tasks = new ConcurrentHashMap<>();

    /** The task store of {@code engine}'s server, loading (and reconciling) the records on first use. */
    static synchronized McpTasks of(Engine engine) {
        return BY_ENGINE.computeIfAbsent(engine, McpTasks::new);
    }

    private McpTasks(Engine engine) {
        this.engine = engine;
        this.dir = engine.settings().stateDir().resolve("mcp-tasks");
        var config = engine.settings().config();
        this.ttl = config.hasPath("meridian.mcp.task-ttl") ? config.getDuration("meridian.mcp.task-ttl") : DEFAULT_TTL;
        this.limit = config.hasPath("meridian.mcp.task-limit") ? config.getInt("meridian.mcp.task-limit") : DEFAULT_LIMIT;
        if (ttl.compareTo(Duration.ofMinutes(1)) < 0 || ttl.compareTo(Duration.ofDays(30)) > 0) {
            throw dev.meridian.backup.model.BackupException.invalid("meridian.mcp.task-ttl must be between 1m and 30d, got " + ttl);
        }
        if (limit < 10) {
            throw dev.meridian.backup.model.BackupException.invalid("meridian.mcp.task-limit must be at least 10, got " + limit);
        }
        this.io = Blocking.executor(engine.system(), JobContext.IO_DISPATCHER);
        load();
    }

    /** Whether a request's client capabilities ({@code _meta}) declare the extension. */
    static boolean declared(JsonNode clientCapabilities) {
        return clientCapabilities != null && clientCapabilities.path("extensions").path(EXTENSION).isObject();
    }

    /** The -32021 error for a client that did not declare the extension, with data.requiredCapabilities. */
    static JsonRpcException missingCapability(JsonRpc.Request r) {
        ObjectNode data = JsonRpc.NODES.objectNode();
        data.putObject("requiredCapabilities").putObject("extensions").putObject(EXTENSION);
        return new JsonRpcException(JsonRpcException.MISSING_REQUIRED_CLIENT_CAPABILITY, "Missing required client capability: "
                + r.method() + " is part of the Tasks extension; declare \"" + EXTENSION + "\": {} under _meta \""
                + McpStateless.CLIENT_CAPABILITIES + "\".extensions", r.id(), data);
    }

    /** Whether this call becomes a task: the client declared the extension, and the tool is a long one. */
    boolean applies(McpSession s, Tool tool) {
        return s.tasksDeclared() && TOOLS.contains(tool.name());
    }

    // ---- creating and running ----

    /**
     * Records a task durably, starts the call, and completes with the CreateTaskResult. If the record cannot be
     * written nothing is started and the answer is a -32603 error naming the directory.
     */
    CompletionStage<Optional<ObjectNode>> start(McpSession s, JsonRpc.Request req, Tool tool, String wireName,
            ToolArguments args, Duration progressInterval) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        Entry e = new Entry(UUID.randomUUID().toString(), wireName, tool.name(), "mcp-task-" + UUID.randomUUID(), now,
                args.string("database"), subject(tool.name(), args));
        e.ttlMs = ttl.toMillis();
        e.principal = s.principal();
        e.description = tool.name().equals(BackupTools.CREATE_SCHEDULED) ? BackupTools.SCHEDULED_DESCRIPTION
                : args.string("description");
        evict(now);
        if (tasks.size() >= limit) {
            return CompletableFuture.completedFuture(Optional.of(JsonRpc.error(new JsonRpcException(JsonRpcException.SERVER_BUSY,
                    limit + " tasks are running (meridian.mcp.task-limit); nothing was started. Wait for some to end and "
                            + "call again, or call without the Tasks extension", req.id()))));
        }
        tasks.put(e.taskId, e);
        return CompletableFuture.runAsync(() -> writeNow(e), io).handle((x, err) -> {
            if (err != null) {
                tasks.remove(e.taskId);
                return Optional.of(JsonRpc.error(new JsonRpcException(JsonRpcException.INTERNAL_ERROR, "could not record the "
                        + "task in " + dir + ": " + Blocking.cause(err).getMessage() + "; nothing was started. Check that "
                        + "meridian.state-dir is writable, or call without the Tasks extension", req.id())));
            }
            log.info("MCP task {} started: {} (request {})", e.taskId, wireName, e.requestId);
            run(e, s, tool, wireName, args, progressInterval);
            ObjectNode created;
            synchronized (e) {
                created = e.wire(false);
            }
            created.put("resultType", "task");
            return Optional.of(JsonRpc.result(req.id(), created));
        });
    }

    private void run(Entry e, McpSession s, Tool tool, String wireName, ToolArguments args, Duration progressInterval) {
        CallNotifier notifier = new CallNotifier(s, null, null, wireName, tool.progressOperation(), progressInterval, null);
        ProgressStream.run(engine, u -> progress(e, u),
                        listener -> tool.handler().call(args, new Tool.Context(e.requestId, listener, notifier)))
                .handle((result, err) -> err == null ? result : Tool.Result.failure(Failures.of(err, wireName)))
                .thenAccept(r -> finish(e, r));
    }

    private void progress(Entry e, ProgressUpdate u) {
        boolean changed;
        synchronized (e) {
            if (TERMINAL.contains(e.status)) {
                return;
            }
            String phase = phase(e, u);
            changed = !phase.equals(e.phase);
            e.phase = phase;
            if (u.message() == null || u.done() > 0 || u.total() > 0) { // not a queue position or a bare step
                boolean safety = e.tool.equals(BackupTools.RESTORE) && u.operation().equals("backup");
                e.bytesDone = u.done() + (safety ? e.ownDone : 0);
                e.bytesTotal = u.total() + (safety ? e.ownTotal : 0);
                if (!safety) {
                    e.ownDone = u.done();
                    e.ownTotal = u.total();
                }
            }
            e.detail = u.message();
            e.lastUpdatedAt = Instant.now().truncatedTo(ChronoUnit.MILLIS);
            long now = System.nanoTime();
            if (now - e.persistedNanos >= PERSIST_BYTES_NANOS) {
                changed = true;
            }
            if (changed) {
                e.persistedNanos = now;
            }
        }
        if (changed) {
            persist(e);
        }
    }

    /**
     * The phase an update shows: queued, checkpoint, storing, publishing, published (a backup), verifying
     * (backup.verify), staging, safety backup, swapping, restored (a restore).
     */
    private static String phase(Entry e, ProgressUpdate u) {
        String m = u.message();
        if (m != null && m.startsWith("queued")) {
            return "queued";
        }
        if (e.tool.equals(BackupTools.VERIFY)) {
            return "verifying";
        }
        if (e.tool.equals(BackupTools.RESTORE)) {
            if (u.operation().equals("backup") || "staged".equals(m) || "safety backup".equals(m)) {
                return "safety backup";
            }
            if ("swapping".equals(m) || "restored".equals(m)) {
                return m.equals("restored") ? "restored" : "swapping";
            }
            return e.phase.equals("safety backup") || e.phase.equals("swapping") ? e.phase : "staging";
        }
        if ("checkpoint".equals(m)) {
            return "checkpoint";
        }
        if ("checkpointed".equals(m)) {
            return "storing";
        }
        if ("published".equals(m)) {
            return "published";
        }
        if (m != null) {
            return e.phase;
        }
        if (u.total() > 0 && u.done() >= u.total()) {
            return "publishing";
        }
        return u.done() > 0 || e.phase.equals("storing") ? "storing" : "checkpoint";
    }

    private void finish(Entry e, Tool.Result r) {
        synchronized (e) {
            e.lastUpdatedAt = Instant.now().truncatedTo(ChronoUnit.MILLIS);
            e.result = r.toJson(McpStateless.REVISION);
            e.result.put("resultType", "complete");
            if (e.cancelRequested && r.isError()) {
                e.status = "cancelled";
                e.statusMessage = r.message() != null ? r.message() : wireNameOf(e) + " was cancelled; nothing was changed";
                e.result = null;
            } else {
                e.status = "completed";
                e.backupId = e.tool.startsWith("backup.create") ? backupIdOf(r.structured()) : null;
                e.statusMessage = (r.isError() ? wireNameOf(e) + " ended with an error (see result)"
                        : wireNameOf(e) + " completed" + (e.backupId != null ? ": backup " + e.backupId : ""))
                        + (e.cancelRequested ? "; the cancel came after the point of no return, so the operation finished" : "");
            }
        }
        log.info("MCP task {} {}: {}", e.taskId, e.status, e.statusMessage);
        persist(e);
    }

    private static String wireNameOf(Entry e) {
        return e.wireName;
    }

    /** The backup a create tool's result names: {@code backup_id}, or {@code backup.backup_id} for create_scheduled. */
    private static String backupIdOf(JsonNode structured) {
        if (structured == null) {
            return null;
        }
        JsonNode id = structured.has("backup") ? structured.path("backup").path("backup_id") : structured.path("backup_id");
        return id.isTextual() ? id.asText() : null;
    }

    /** What the task works on, for its messages: "database x", "backup y". */
    private static String subject(String tool, ToolArguments args) {
        String id = args.string("backup_id");
        return id != null ? "backup " + id : args.string("database") != null ? "database " + args.string("database") : null;
    }

    // ---- tasks/get, tasks/update, tasks/cancel ----

    /** The (dotted) tool a task runs, for the scope tasks/cancel needs; empty for an unknown task. */
    Optional<String> toolOf(String taskId) {
        return Optional.ofNullable(tasks.get(taskId)).map(e -> e.tool);
    }

    /**
     * Answers a tasks/* request of a client that declared the extension. A task belongs to the bearer token that
     * created it: to any other caller it does not exist.
     *
     * @param principal the caller's bearer-token name, or null without authentication
     * @throws JsonRpcException -32602 for a missing or unknown taskId (also once it expired, or when another token
     *                          created it), and for tasks/update, since no task of this server waits for input
     */
    ObjectNode handle(JsonRpc.Request r, String principal) {
        JsonNode id = r.params().get("taskId");
        if (id == null || !id.isTextual()) {
            throw new JsonRpcException(JsonRpcException.INVALID_PARAMS, r.method() + " needs params.taskId, the taskId of "
                    + "the CreateTaskResult", r.id());
        }
        Entry e = tasks.get(id.asText());
        if (e != null && expired(e, Instant.now())) {
            drop(e);
            e = null;
        }
        if (e != null && !java.util.Objects.equals(e.principal, principal)) {
            log.warn("MCP {} for task {} by {} refused: the task was created by {}", r.method(), e.taskId,
                    principal == null ? "an unauthenticated caller" : principal, e.principal == null ? "an unauthenticated caller" : e.principal);
            e = null;
        }
        if (e == null) {
            throw new JsonRpcException(JsonRpcException.INVALID_PARAMS, "Task not found: no task '"
                    + dev.meridian.backup.model.Validation.printable(id.asText()) + "' on this server (task records are "
                    + "kept " + ttl.toHours() + " h after creation; look the outcome up with backup.list)", r.id());
        }
        switch (r.method()) {
            case "tasks/get": {
                synchronized (e) {
                    return e.wire(true);
                }
            }
            case "tasks/cancel": {
                boolean running;
                synchronized (e) {
                    running = !TERMINAL.contains(e.status);
                    if (running && !e.cancelRequested) {
                        e.cancelRequested = true;
                        e.lastUpdatedAt = Instant.now().truncatedTo(ChronoUnit.MILLIS);
                    } else {
                        running = false;
                    }
                }
                if (running) {
                    log.info("MCP task {} cancel requested (request {})", e.taskId, e.requestId);
                    persist(e);
                    cancel(e, 10);
                }
                return JsonRpc.NODES.objectNode();
            }
            default: // tasks/update
                throw new JsonRpcException(JsonRpcException.INVALID_PARAMS, "task '" + e.taskId + "' is not waiting for "
                        + "input (its status is " + e.status + "); this server's tasks never ask for any", r.id());
        }
    }

    /**
     * Cancels the task's engine operation. A task cancelled right after it was created may not have reached its
     * database's queue yet, so the engine does not know the request id: it is asked again (every 200 ms, up to
     * {@code tries} times) while the task still runs.
     */
    private void cancel(Entry e, int tries) {
        engine.cancel(e.requestId).thenAccept(found -> {
            boolean again;
            synchronized (e) {
                again = !found && tries > 1 && !TERMINAL.contains(e.status);
            }
            if (again) {
                CompletableFuture.delayedExecutor(200, java.util.concurrent.TimeUnit.MILLISECONDS, io)
                        .execute(() -> cancel(e, tries - 1));
            }
        });
    }

    // ---- records ----

    /** A task, guarded by its own monitor. */
    private static final class Entry {
        final String taskId;
        final String wireName;
        final String tool;
        final String requestId;
        final Instant createdAt;
        final String database;
        final String subject;
        String status = "working";
        String phase = "queued";
        String detail;
        long bytesDone;
        long bytesTotal;
        long ownDone;
        long ownTotal;
        String statusMessage;
        Instant lastUpdatedAt;
        boolean cancelRequested;
        ObjectNode result;
        ObjectNode error;
        String backupId;
        long ttlMs;
        /** The bearer-token name that created the task (null without authentication); only it may see the task. */
        String principal;
        /** A create task's description, to find its backup in the catalog after a restart. */
        String description;
        /** When its record was last queued for writing ({@link System#nanoTime()}). */
        long persistedNanos = System.nanoTime();
        /** Writes of this record, one after the other. */
        CompletableFuture<Void> writes = CompletableFuture.completedFuture(null);

        Entry(String taskId, String wireName, String tool, String requestId, Instant createdAt, String database, String subject) {
            this.taskId = taskId;
            this.wireName = wireName;
            this.tool = tool;
            this.requestId = requestId;
            this.createdAt = createdAt;
            this.lastUpdatedAt = createdAt;
            this.database = database;
            this.subject = subject;
        }

        /** The Task (tasks/get's DetailedTask with {@code detailed}); resultType is the caller's. */
        ObjectNode wire(boolean detailed) {
            ObjectNode t = JsonRpc.NODES.objectNode();
            t.put("taskId", taskId);
            t.put("status", status);
            t.put("statusMessage", status.equals("working") ? working() : statusMessage);
            t.put("createdAt", createdAt.toString());
            t.put("lastUpdatedAt", lastUpdatedAt.toString());
            t.put("ttlMs", ttlMs);
            t.put("pollIntervalMs", POLL_INTERVAL_MS);
            ObjectNode p = t.putObject("_meta").putObject(PROGRESS_META);
            p.put("phase", phase);
            p.put("bytes_done", bytesDone);
            p.put("bytes_total", bytesTotal);
            if (detailed && status.equals("completed") && result != null) {
                t.set("result", result.deepCopy());
            }
            if (detailed && status.equals("failed") && error != null) {
                t.set("error", error.deepCopy());
            }
            return t;
        }

        boolean descriptionMatches(BackupSummary b) {
            String have = b.description() == null ? "" : b.description();
            return have.equals(description == null ? "" : description);
        }

        private String working() {
            String what = wireName + (subject != null ? " of " + subject : "") + ": " + phase;
            if (bytesTotal > 0) {
                what += ", " + bytesDone + " of " + bytesTotal + " bytes (" + (int) (100.0 * Math.min(bytesDone, bytesTotal)
                        / bytesTotal) + "%)";
            } else if (bytesDone > 0) {
                what += ", " + bytesDone + " bytes";
            }
            if (detail != null && !detail.equals(phase)) {
                what += " (" + detail + ")";
            }
            return what + (cancelRequested ? "; cancel requested" : "");
        }

        ObjectNode record() {
            ObjectNode r = JsonRpc.NODES.objectNode();
            r.put("format", 1);
            r.put("task_id", taskId);
            r.put("tool", tool);
            r.put("wire_name", wireName);
            r.put("request_id", requestId);
            r.put("database", database);
            r.put("subject", subject);
            r.put("status", status);
            r.put("phase", phase);
            r.put("bytes_done", bytesDone);
            r.put("bytes_total", bytesTotal);
            r.put("status_message", statusMessage);
            r.put("created_at", createdAt.toString());
            r.put("last_updated_at", lastUpdatedAt.toString());
            r.put("ttl_ms", ttlMs);
            r.put("cancel_requested", cancelRequested);
            r.put("backup_id", backupId);
            r.put("description", description);
            r.put("principal", principal);
            r.set("result", result);
            r.set("error", error);
            return r;
        }

        static Entry read(JsonNode r) {
            Entry e = new Entry(r.path("task_id").asText(), r.path("wire_name").asText(), r.path("tool").asText(),
                    r.path("request_id").asText(), Instant.parse(r.path("created_at").asText()),
                    r.path("database").asText(null), r.path("subject").asText(null));
            e.status = r.path("status").asText();
            e.phase = r.path("phase").asText("queued");
            e.bytesDone = r.path("bytes_done").asLong();
            e.bytesTotal = r.path("bytes_total").asLong();
            e.statusMessage = r.path("status_message").asText(null);
            e.lastUpdatedAt = Instant.parse(r.path("last_updated_at").asText());
            e.ttlMs = r.path("ttl_ms").asLong();
            e.cancelRequested = r.path("cancel_requested").asBoolean();
            e.backupId = r.path("backup_id").asText(null);
            e.description = r.path("description").asText(null);
            e.principal = r.path("principal").asText(null);
            e.result = r.get("result") instanceof ObjectNode o ? o : null;
            e.error = r.get("error") instanceof ObjectNode o ? o : null;
            return e;
        }
    }

    private Path file(String taskId) {
        return dir.resolve(taskId + ".json");
    }

    /** Queues a write of the record's current state after any earlier one; a failure is logged, the task runs on. */
    private void persist(Entry e) {
        synchronized (e) {
            e.writes = e.writes.thenRunAsync(() -> writeNow(e), io).exceptionally(err -> {
                log.warn("MCP task {}: could not write its record under {}: {}; tasks/get still answers until the server "
                        + "stops", e.taskId, dir, Blocking.cause(err).getMessage());
                return null;
            });
        }
    }

    /** Writes the record atomically: a temp file, fsynced, renamed over the record, then the directory fsynced. */
    private void writeNow(Entry e) {
        byte[] data;
        synchronized (e) {
            data = JsonRpc.write(e.record()).getBytes(StandardCharsets.UTF_8);
        }
        Path target = file(e.taskId);
        Path part = dir.resolve("." + e.taskId + ".json.part");
        try {
            Files.createDirectories(dir);
            try (FileChannel ch = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(data);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(false);
            }
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            }
        } catch (IOException ex) {
            try {
                Files.deleteIfExists(part);
            } catch (IOException ignored) {
                // the write already failed; that is what is reported
            }
            throw new java.io.UncheckedIOException(ex);
        }
    }

    private boolean expired(Entry e, Instant now) {
        return TERMINAL.contains(e.status) && e.createdAt.plus(ttl).isBefore(now);
    }

    private void drop(Entry e) {
        if (tasks.remove(e.taskId, e)) {
            CompletableFuture.runAsync(() -> {
                try {
                    Files.deleteIfExists(file(e.taskId));
                } catch (IOException ex) {
                    log.warn("MCP task {}: could not delete its expired record: {}", e.taskId, ex.getMessage());
                }
            }, io);
        }
    }

    /** Drops expired records, then the oldest finished ones while the store is full. */
    private void evict(Instant now) {
        tasks.values().stream().filter(e -> expired(e, now)).toList().forEach(this::drop);
        if (tasks.size() < limit) {
            return;
        }
        List<Entry> done = new ArrayList<>();
        for (Entry e : tasks.values()) {
            synchronized (e) {
                if (TERMINAL.contains(e.status)) {
                    done.add(e);
                }
            }
        }
        done.sort(Comparator.comparing(e -> e.createdAt));
        for (int i = 0; i < done.size() && tasks.size() >= limit; i++) {
            drop(done.get(i));
        }
    }

    // ---- startup: load and reconcile ----

    private void load() {
        if (!Files.isDirectory(dir)) {
            return;
        }
        Instant now = Instant.now();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                String id = name.substring(0, name.length() - ".json".length());
                if (!TASK_ID.matcher(id).matches()) {
                    continue;
                }
                Entry e;
                try {
                    e = Entry.read(dev.meridian.backup.model.Json.MAPPER.readTree(Files.readAllBytes(f)));
                } catch (IOException | RuntimeException ex) {
                    log.warn("MCP task record {} is unreadable ({}); left in place, not served", f, ex.getMessage());
                    continue;
                }
                if (e.createdAt.plus(ttl).isBefore(now)) {
                    Files.deleteIfExists(f);
                    continue;
                }
                if (!TERMINAL.contains(e.status)) {
                    reconcile(e);
                    writeNow(e);
                }
                tasks.put(e.taskId, e);
            }
        } catch (IOException | RuntimeException ex) {
            log.warn("MCP task records under {} could not all be read: {}", dir, ex.getMessage());
        }
        if (!tasks.isEmpty()) {
            log.info("MCP tasks: {} record(s) loaded from {}", tasks.size(), dir);
        }
    }

    /** A task the previous server left running: what really became of it. */
    private void reconcile(Entry e) {
        e.lastUpdatedAt = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        String ran = "the server stopped while " + e.wireName + (e.subject != null ? " of " + e.subject : "")
                + " ran (phase " + e.phase + (e.cancelRequested ? ", cancel requested" : "") + ")";
        if (e.tool.startsWith("backup.create")) {
            Optional<BackupSummary> made = published(e);
            if (made.isPresent()) {
                BackupSummary b = made.get();
                e.status = "completed";
                e.backupId = b.backupId().value();
                Tool.Result r = e.tool.equals(BackupTools.CREATE_SCHEDULED)
                        ? new Tool.Result(null, true, "[internal] backup " + b.backupId().value() + " of " + b.database()
                                + " was published, but " + ran + ", so whether retention then ran is not known; call "
                                + "backup.list to see which backups exist")
                        : Tool.Result.ok(b);
                e.result = r.toJson(McpStateless.REVISION);
                e.result.put("resultType", "complete");
                e.statusMessage = ran + "; its backup " + b.backupId().value() + " had been published, so it completed "
                        + "(found in the catalog at startup)";
                log.warn("MCP task {}: {}", e.taskId, e.statusMessage);
                return;
            }
            fail(e, ran + "; no backup of it was published: startup recovery removed its unfinished files, and no backup "
                    + "exists for it. Call " + e.wireName + " again");
        } else if (e.tool.equals(BackupTools.RESTORE)) {
            fail(e, ran + "; " + (e.phase.equals("swapping") || e.phase.equals("restored")
                    ? "the swap had begun, so startup recovery either completed it or put the previous database back "
                            + "(see the server log's [recovery] lines); check the database before using it"
                    : "the swap had not begun by the task's last record, so the database was not touched (had the server "
                            + "stopped in the instant between that record and the swap, startup recovery completed or "
                            + "undid the swap: see the server log's [recovery] lines); startup recovery removed the staged files"
                            + (e.phase.equals("safety backup") ? " (a safety backup may have been published: see backup.list)"
                            : "") + ". Call " + e.wireName + " again"));
        } else {
            fail(e, ran + "; the backup was not changed. Call " + e.wireName + " again");
        }
    }

    private static void fail(Entry e, String message) {
        e.status = "failed";
        e.statusMessage = message;
        e.error = JsonRpc.NODES.objectNode().put("code", JsonRpcException.INTERNAL_ERROR).put("message", message);
        log.warn("MCP task {}: {}", e.taskId, message);
    }

    /**
     * The backup a create task published before the server stopped: of its database and type, created after the
     * task, with its description and tags, and not claimed by another task.
     */
    private Optional<BackupSummary> published(Entry e) {
        if (e.database == null && engine.settings().databases().size() != 1) {
            return Optional.empty();
        }
        String db = e.database != null ? e.database : engine.settings().databases().keySet().iterator().next();
        if (!engine.settings().databases().containsKey(db)) {
            return Optional.empty();
        }
        Set<String> claimed = ConcurrentHashMap.newKeySet();
        tasks.values().forEach(t -> {
            if (t.backupId != null) {
                claimed.add(t.backupId);
            }
        });
        String type = switch (e.tool) {
            case BackupTools.CREATE_SCHEDULED -> "scheduled";
            case BackupTools.CREATE_PRE_MIGRATION -> "pre_migration";
            default -> "manual";
        };
        return engine.backupsOf(db).stream()
                .filter(b -> b.type().wireName().equals(type))
                .filter(b -> !b.createdAt().isBefore(e.createdAt.minusSeconds(1)))
                .filter(b -> !claimed.contains(b.backupId().value()))
                .filter(b -> e.descriptionMatches(b))
                .min(Comparator.comparing(BackupSummary::createdAt));
    }
}
