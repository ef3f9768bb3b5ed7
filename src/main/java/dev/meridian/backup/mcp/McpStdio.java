package dev.meridian.backup.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * MCP over stdio: one JSON-RPC message per line on stdin, answers and notifications one per line on stdout, and
 * nothing else on stdout. The process is the session. Calls run concurrently (a notifications/cancelled can
 * arrive while a restore runs); a single writer thread owns stdout, so engine threads never block on a slow reader.
 */
public final class McpStdio {
    private static final Logger log = LoggerFactory.getLogger(McpStdio.class);
    /** Notifications beyond this many unwritten lines are dropped; answers never are. */
    private static final int MAX_QUEUED_NOTIFICATIONS = 1024;
    /** The marker after the last line: the writer flushes and stops. */
    private static final Outgoing END = new Outgoing(null);

    private final McpServer server;
    private final int maxLineBytes;
    private final InputStream in;
    private final OutputStream out;
    private final LinkedBlockingQueue<Outgoing> outgoing = new LinkedBlockingQueue<>();
    private final Thread writer;
    private final Set<CompletableFuture<Void>> calls = ConcurrentHashMap.newKeySet();
    /** Stateless (2026-07-28) requests in flight by JSON-RPC id, so notifications/cancelled can find them. */
    private final ConcurrentHashMap<String, McpSession> statelessCalls = new ConcurrentHashMap<>();
    private final McpStateless stateless;
    private McpSession session;

    private record Outgoing(String line) {}

    public McpStdio(McpServer server, McpSettings settings, InputStream in, OutputStream out) {
        this.server = server;
        this.stateless = new McpStateless(server);
        this.maxLineBytes = settings.maxRequestBytes();
        this.in = new BufferedInputStream(in);
        this.out = out;
        this.writer = new Thread(this::writeLoop, "mcp-stdout");
        this.writer.setDaemon(true);
    }

    /** Reads and dispatches messages until stdin ends (the client closing it is the normal shutdown). */
    public void run() throws IOException {
        writer.start();
        byte[] line;
        while ((line = readLine()) != null) {
            if (line.length > maxLineBytes) {
                send(JsonRpc.error(new JsonRpcException(JsonRpcException.INVALID_REQUEST, "message exceeds "
                        + "meridian.mcp.max-request-size (" + maxLineBytes + " bytes) and was skipped")));
            } else {
                String text = new String(line, StandardCharsets.UTF_8);
                if (!text.isBlank()) {
                    onMessage(text);
                }
            }
        }
    }

    /**
     * At end of input, gives the calls still running up to {@code max} to finish, so their answers are written
     * (the client may still read stdout after closing stdin). Runs on the main thread, never a dispatcher.
     */
    public void awaitCalls(Duration max) throws InterruptedException {
        try {
            CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(max.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            log.warn("MCP stdio: input ended with {} call(s) still running after {}; shutting down, which lets a "
                    + "running operation finish but refuses queued ones", calls.size(), max);
        } catch (ExecutionException e) {
            log.warn("MCP stdio: a call failed while shutting down: {}", e.getCause().toString());
        }
    }

    /** Writes every answer queued so far, then stops the writer. Call after the engine has shut down. */
    public void close() throws InterruptedException {
        outgoing.put(END);
        writer.join();
    }

    private void onMessage(String text) {
        JsonRpc.Message message;
        JsonNode tree;
        try {
            tree = JsonRpc.read(text);
            if (tree.isArray()) {
                batch((ArrayNode) tree);
                return;
            }
            message = JsonRpc.message(tree);
        } catch (JsonRpcException e) {
            send(JsonRpc.error(e));
            return;
        }
        if (message instanceof JsonRpc.Notification n) {
            McpSession call = n.method().equals("notifications/cancelled") && n.params().has("requestId")
                    ? statelessCalls.get(n.params().get("requestId").toString()) : null;
            if (call != null) {
                server.notification(call, n);
            } else if (session != null) {
                server.notification(session, n);
            }
        } else if (message instanceof JsonRpc.Request r) {
            String declared = McpStateless.declaredVersion(r.params());
            if (McpStateless.isStateless(declared) || declared == null && r.method().equals("server/discover")) {
                stateless(r);
            } else {
                request(r);
            }
        } else if (message instanceof JsonRpc.Reply && session != null) {
            session.clientRequests().complete(tree); // an answer to elicitation/create (DestructivePolicy)
        }
    }

    private void request(JsonRpc.Request r) {
        if (r.method().equals("initialize") && session == null) {
            try {
                McpServer.Initialized init = server.initialize(r);
                session = new McpSession(null, init.protocolVersion(), null);
                session.clientCapabilities(r.params().get("capabilities"));
                send(JsonRpc.result(r.id(), init.result()));
            } catch (JsonRpcException e) {
                send(JsonRpc.error(e));
            }
        } else if (session == null && !r.method().equals("ping")) {
            send(JsonRpc.error(new JsonRpcException(JsonRpcException.INVALID_REQUEST,
                    "not initialized: send initialize first", r.id())));
        } else if (session == null) {
            send(JsonRpc.result(r.id(), JsonRpc.NODES.objectNode()));
        } else {
            track(server.handle(session, r, this::notify).thenAccept(answer -> answer.ifPresent(this::send)));
        }
    }

    /**
     * A stateless (2026-07-28) request, chosen per request by its _meta (server/discover always): answered on its
     * own beside any initialize session of this process. There is no header layer on stdio.
     */
    private void stateless(JsonRpc.Request r) {
        McpSession context;
        try {
            McpStateless.Meta meta = McpStateless.meta(r);
            McpStateless.checkVersion(meta, r);
            McpStateless.checkMethod(r);
            context = stateless.context(meta, r, null);
        } catch (JsonRpcException e) {
            send(JsonRpc.error(e.withId(r.id())));
            return;
        }
        String key = r.id().toString();
        if (statelessCalls.putIfAbsent(key, context) != null) {
            send(JsonRpc.error(new JsonRpcException(JsonRpcException.INVALID_REQUEST, "request id " + r.id()
                    + " is already in use by a call in flight; use a new id", r.id())));
            return;
        }
        track(stateless.handle(context, r, this::notify).handle((answer, err) -> {
            statelessCalls.remove(key, context);
            if (answer != null) {
                answer.ifPresent(this::send);
            }
            return null;
        }));
    }

    private void batch(ArrayNode messages) {
        if (session == null || !McpServer.allowsBatches(session.protocolVersion())) {
            send(JsonRpc.error(new JsonRpcException(JsonRpcException.INVALID_REQUEST, session == null
                    ? "not initialized: send initialize first, on its own"
                    : "JSON-RPC batches are not part of MCP " + session.protocolVersion() + "; send one message per line")));
            return;
        }
        if (messages.isEmpty()) {
            send(JsonRpc.error(new JsonRpcException(JsonRpcException.INVALID_REQUEST, "empty batch; send at least one message")));
            return;
        }
        track(server.runBatch(session, McpServer.parseBatch(messages)).thenAccept(answers -> answers.ifPresent(this::send)));
    }

    private void track(CompletionStage<Void> call) {
        CompletableFuture<Void> f = call.toCompletableFuture();
        calls.add(f);
        f.whenComplete((x, err) -> calls.remove(f));
    }

    private void notify(ObjectNode notification) {
        if (outgoing.size() < MAX_QUEUED_NOTIFICATIONS) {
            send(notification);
        }
    }

    private void send(JsonNode message) {
        outgoing.add(new Outgoing(JsonRpc.write(message)));
    }

    private void writeLoop() {
        try {
            while (true) {
                Outgoing next = outgoing.take();
                if (next.line() == null) {
                    break;
                }
                out.write(next.line().getBytes(StandardCharsets.UTF_8));
                out.write('\n');
                if (outgoing.isEmpty()) {
                    out.flush();
                }
            }
            out.flush();
        } catch (IOException e) {
            log.warn("MCP stdio: stdout is closed ({}); answers can no longer be delivered", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The next line without its terminator (CR LF or LF), or null at end of input. Over-long lines are cut short. */
    private byte[] readLine() throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int b;
        int length = 0;
        while ((b = in.read()) != -1 && b != '\n') {
            length++;
            if (length <= maxLineBytes + 1) {
                buf.write(b);
            }
        }
        if (b == -1 && length == 0) {
            return null;
        }
        byte[] line = buf.toByteArray();
        if (line.length > 0 && line[line.length - 1] == '\r' && length <= maxLineBytes + 1) {
            return Arrays.copyOf(line, line.length - 1);
        }
        return line;
    }
}
