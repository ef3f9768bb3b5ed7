package dev.meridian.backup.embed;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.meridian.backup.mcp.McpToolbox;
import dev.meridian.backup.model.Json;
import io.modelcontextprotocol.server.McpAsyncServerExchange;
import io.modelcontextprotocol.server.McpServerFeatures.AsyncToolSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import reactor.core.publisher.Mono;

/**
 * Meridian's MCP tools as tool specifications of the official MCP Java SDK (io.modelcontextprotocol.sdk:mcp 2.x),
 * for the host's own SDK server: {@code McpServer.sync(transport).tools(McpSdkTools.of(meridian).sync())...}. An agent talking
 * to the host then sees them beside the host's own tools (docs/embedding.md).
 *
 * <p>Each tool is listed as Meridian's own MCP endpoint lists it for protocol 2025-11-25 (name, title, description,
 * input and output schema, annotations) and runs as its tools/call does ({@link McpToolbox}): the host is trusted
 * (no bearer token), a destructive call under the default policy {@code confirm} first returns a plan with a one-use
 * confirmation token, and a call whose request carries {@code _meta.progressToken} gets notifications/progress
 * (value in bytes) through the SDK exchange. A result is a {@code CallToolResult} with the text content,
 * {@code structuredContent} (a JSON object as a {@code Map}) and {@code isError}; an unknown tool is an
 * {@link McpError} with code -32602.
 *
 * <p>The SDK is an optional dependency of Meridian's library: this class is the only one that names it, and it is
 * loaded only when the host asks for SDK tools. The SDK uses Jackson 3 and Meridian Jackson 2; values cross as
 * plain {@code Map}s and lists.
 */
public final class McpSdkTools {
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

    private final McpToolbox toolbox;

    /** Adapts a toolbox (for example {@link Meridian#mcpToolbox()}). */
    public McpSdkTools(McpToolbox toolbox) {
        this.toolbox = toolbox;
    }

    /** The tools of a running Meridian; specifications made from it share its confirmation tokens. */
    public static McpSdkTools of(Meridian meridian) {
        return new McpSdkTools(meridian.mcpToolbox());
    }

    /** The SDK's definition of each tool, converted from its tools/list entry. */
    public List<McpSchema.Tool> tools() {
        List<McpSchema.Tool> tools = new ArrayList<>();
        for (ObjectNode d : toolbox.definitions()) {
            tools.add(tool(d));
        }
        return tools;
    }

    /**
     * Specifications for {@code McpServer.sync(...)}. Each handler blocks its thread (the SDK runs synchronous tool
     * handlers off its event loop) until the call ends, sending progress from that thread.
     */
    public List<SyncToolSpecification> sync() {
        List<SyncToolSpecification> specs = new ArrayList<>();
        for (McpSchema.Tool tool : tools()) {
            specs.add(SyncToolSpecification.builder().tool(tool).callHandler((exchange, request) -> callSync(exchange, request)).build());
        }
        return specs;
    }

    /**
     * Specifications for {@code McpServer.async(...)}. Disposing the returned {@code Mono} before it completes cancels
     * the call, as notifications/cancelled does.
     */
    public List<AsyncToolSpecification> async() {
        List<AsyncToolSpecification> specs = new ArrayList<>();
        for (McpSchema.Tool tool : tools()) {
            specs.add(AsyncToolSpecification.builder().tool(tool).callHandler((exchange, request) -> callAsync(exchange, request)).build());
        }
        return specs;
    }

    private McpSchema.CallToolResult callSync(McpSyncServerExchange exchange, McpSchema.CallToolRequest request) {
        Object token = progressToken(request);
        LinkedBlockingQueue<McpToolbox.Progress> progress = new LinkedBlockingQueue<>();
        McpToolbox.Call call = toolbox.call(request.name(), arguments(request), token == null ? null : progress::add);
        try {
            while (true) {
                McpToolbox.Progress p = progress.poll(50, TimeUnit.MILLISECONDS);
                if (p != null) {
                    exchange.progressNotification(notification(token, p));
                } else if (call.result().isDone()) {
                    for (McpToolbox.Progress rest = progress.poll(); rest != null; rest = progress.poll()) {
                        exchange.progressNotification(notification(token, rest));
                    }
                    return result(call.result().get());
                }
            }
        } catch (InterruptedException e) {
            call.cancel("the host's MCP server interrupted the call");
            Thread.currentThread().interrupt();
            throw new CancellationException("tool call " + request.name() + " was interrupted");
        } catch (ExecutionException e) {
            throw rejected(e.getCause());
        }
    }

    private Mono<McpSchema.CallToolResult> callAsync(McpAsyncServerExchange exchange, McpSchema.CallToolRequest request) {
        return Mono.defer(() -> {
            Object token = progressToken(request);
            Consumer<McpToolbox.Progress> progress = token == null ? null
                    : p -> exchange.progressNotification(notification(token, p)).subscribe();
            McpToolbox.Call call = toolbox.call(request.name(), arguments(request), progress);
            return Mono.fromFuture(call.result(), true)
                    .map(McpSdkTools::result)
                    .onErrorMap(e -> !(e instanceof CancellationException), McpSdkTools::rejected)
                    .doOnCancel(() -> call.cancel("the host's MCP server cancelled the call"));
        });
    }

    private static RuntimeException rejected(Throwable e) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof McpToolbox.CallRejected r) {
            return McpError.builder(r.code()).message(r.getMessage()).build();
        }
        return cause instanceof RuntimeException re ? re : new IllegalStateException(cause.getMessage(), cause);
    }

    private static Object progressToken(McpSchema.CallToolRequest request) {
        return request.meta() == null ? null : request.meta().get("progressToken");
    }

    private static ObjectNode arguments(McpSchema.CallToolRequest request) {
        return request.arguments() == null ? null : Json.MAPPER.valueToTree(request.arguments());
    }

    private static McpSchema.ProgressNotification notification(Object token, McpToolbox.Progress p) {
        return new McpSchema.ProgressNotification(token, p.progress(), p.total() > 0 ? p.total() : null, p.message());
    }

    static McpSchema.Tool tool(ObjectNode d) {
        McpSchema.Tool.Builder b = McpSchema.Tool.builder()
                .name(d.path("name").asText())
                .description(d.path("description").asText())
                .inputSchema(map(d.get("inputSchema")));
        if (d.hasNonNull("title")) {
            b.title(d.get("title").asText());
        }
        if (d.hasNonNull("outputSchema")) {
            b.outputSchema(map(d.get("outputSchema")));
        }
        JsonNode a = d.get("annotations");
        if (a != null) {
            b.annotations(new McpSchema.ToolAnnotations(a.path("title").asText(null), bool(a, "readOnlyHint"),
                    bool(a, "destructiveHint"), bool(a, "idempotentHint"), bool(a, "openWorldHint"), null));
        }
        return b.build();
    }

    static McpSchema.CallToolResult result(ObjectNode r) {
        McpSchema.CallToolResult.Builder b = McpSchema.CallToolResult.builder();
        for (JsonNode c : r.path("content")) {
            b.addTextContent(c.path("text").asText()); // Meridian's tools return text content only
        }
        if (r.hasNonNull("structuredContent")) {
            b.structuredContent(map(r.get("structuredContent")));
        }
        return b.isError(r.path("isError").asBoolean(false)).build();
    }

    private static Boolean bool(JsonNode n, String field) {
        return n.hasNonNull(field) ? n.get(field).asBoolean() : null;
    }

    private static Map<String, Object> map(JsonNode n) {
        return Json.MAPPER.convertValue(n, MAP);
    }
}
