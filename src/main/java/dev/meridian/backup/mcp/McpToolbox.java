package dev.meridian.backup.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.meridian.backup.engine.Engine;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Meridian's MCP tools for another MCP server, one the host application runs in its own JVM (for example with the
 * official MCP Java SDK; {@code dev.meridian.backup.embed.McpSdkTools} adapts this class to it). The definitions are
 * exactly what tools/list returns for protocol revision 2025-11-25, and {@link #call} runs a tool exactly as
 * tools/call does (the same {@link McpServer} entry points, given a synthesized JSON-RPC request): the same argument
 * checks, the destructive-tool policy of {@code meridian.mcp.destructive}, progress and cancellation.
 *
 * <p>What differs from Meridian's own endpoint: the host is trusted, so no bearer token and no scope is checked
 * (exposing a tool to its clients is the host's decision, and {@code meridian.mcp.tools} still limits what is
 * listed); and the host's server cannot relay an elicitation for us, so under the default policy {@code confirm} a
 * destructive call first returns a plan (status {@code confirmation_required}) with a one-use token, and the call
 * is repeated with {@code confirmation} set to that token. All calls share one logical session, so a token from one
 * call confirms a later one.
 */
public final class McpToolbox {
    /** The MCP revision whose tools/list and tools/call shapes this class gives (https://modelcontextprotocol.io/specification/2025-11-25). */
    public static final String PROTOCOL_VERSION = "2025-11-25";

    private final McpServer server;
    private final McpSession session;
    private final AtomicLong ids = new AtomicLong();

    /** Tools configured by {@code meridian.mcp} of the engine's configuration (names, policy, progress interval). */
    public McpToolbox(Engine engine) {
        this.server = new McpServer(engine, McpSettings.from(engine.settings().config()));
        this.session = new McpSession(null, PROTOCOL_VERSION, null);
        session.markInitialized();
    }

    /**
     * The tool definitions as tools/list gives them (all pages): {@code name}, {@code title}, {@code description},
     * {@code inputSchema}, {@code outputSchema}, {@code annotations}. Each call returns new, unshared objects.
     */
    public List<ObjectNode> definitions() {
        List<ObjectNode> all = new ArrayList<>();
        JsonNode cursor = null;
        do {
            ObjectNode params = JsonRpc.NODES.objectNode();
            if (cursor != null) {
                params.set("cursor", cursor);
            }
            ObjectNode result = answer(request("tools/list", params)).join()
                    .orElseThrow(() -> new IllegalStateException("tools/list gave no answer"));
            result.path("tools").forEach(t -> all.add((ObjectNode) t));
            cursor = result.get("nextCursor");
        } while (cursor != null);
        return all;
    }

    /** One progress notification of a call: bytes done (rising, may carry a fraction), total bytes or 0, and a line of text. */
    public record Progress(double progress, double total, String message) {}

    /** A tools/call the host's server could not accept (unknown tool, arguments not an object): a JSON-RPC error. */
    public static final class CallRejected extends RuntimeException {
        private final int code;

        CallRejected(int code, String message) {
            super(message);
            this.code = code;
        }

        /** The JSON-RPC error code, e.g. -32602 (invalid params). */
        public int code() {
            return code;
        }
    }

    /** A tools/call in flight: its result, and the means to cancel it. */
    public static final class Call {
        private final McpToolbox toolbox;
        private final JsonNode id;
        private final CompletableFuture<ObjectNode> result;

        private Call(McpToolbox toolbox, JsonNode id, CompletableFuture<ObjectNode> result) {
            this.toolbox = toolbox;
            this.id = id;
            this.result = result;
        }

        /**
         * Completes with the tools/call result ({@code content}, {@code structuredContent}, {@code isError}): a
         * tool's failure, bad arguments included, is such a result with {@code isError} true and a message that
         * starts with its code in brackets. Completes exceptionally with {@link CallRejected} for an unknown tool,
         * and with {@link CancellationException} once {@link #cancel} stopped the call.
         */
        public CompletableFuture<ObjectNode> result() {
            return result;
        }

        /**
         * As notifications/cancelled: stops the call if it has not reached its point of no return (publishing the
         * backup, swapping the database); otherwise it finishes and its result is dropped.
         */
        public void cancel(String reason) {
            ObjectNode p = JsonRpc.NODES.objectNode();
            p.set("requestId", id);
            p.put("reason", reason == null ? "cancelled by the host" : reason);
            toolbox.server.notification(toolbox.session, new JsonRpc.Notification("notifications/cancelled", p));
        }
    }

    /**
     * Starts a tool call, as tools/call with {@code params.name} and {@code params.arguments}.
     *
     * @param name      the tool's name as {@link #definitions} lists it
     * @param arguments the call's arguments (null: none); not modified
     * @param progress  receives the call's progress notifications (on a Meridian thread; it must not block), or null
     *                  for none
     */
    public Call call(String name, ObjectNode arguments, Consumer<Progress> progress) {
        ObjectNode params = JsonRpc.NODES.objectNode();
        params.put("name", name);
        params.set("arguments", arguments == null ? JsonRpc.NODES.objectNode() : arguments.deepCopy());
        JsonRpc.Request req = request("tools/call", params);
        if (progress != null) {
            params.putObject("_meta").set("progressToken", req.id());
        }
        Outbox out = progress == null ? null : message -> {
            if ("notifications/progress".equals(message.path("method").asText())) {
                JsonNode p = message.path("params");
                progress.accept(new Progress(p.path("progress").asDouble(), p.path("total").asDouble(0),
                        p.path("message").asText(null)));
            }
        };
        CompletableFuture<ObjectNode> result = answer(req, out).thenApply(answer -> answer
                .orElseThrow(() -> new CancellationException("tool call " + name + " was cancelled")));
        return new Call(this, req.id(), result);
    }

    private JsonRpc.Request request(String method, ObjectNode params) {
        ObjectNode node = JsonRpc.NODES.objectNode().put("jsonrpc", "2.0").put("id", "toolbox-" + ids.incrementAndGet())
                .put("method", method);
        node.set("params", params);
        return (JsonRpc.Request) JsonRpc.message(node);
    }

    private CompletableFuture<Optional<ObjectNode>> answer(JsonRpc.Request req) {
        return answer(req, null);
    }

    /** The response's result, or CallRejected for its error, or empty when the call was cancelled. */
    private CompletableFuture<Optional<ObjectNode>> answer(JsonRpc.Request req, Outbox out) {
        return server.handle(session, req, out).toCompletableFuture().thenApply(response -> {
            if (response.isEmpty()) {
                return Optional.empty();
            }
            JsonNode error = response.get().get("error");
            if (error != null) {
                throw new CallRejected(error.path("code").asInt(), error.path("message").asText());
            }
            return Optional.of((ObjectNode) response.get().get("result"));
        });
    }
}
