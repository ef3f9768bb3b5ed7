package dev.meridian.backup.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Requests this server sends to one session's client (today only {@code elicitation/create}), and the client's
 * answers. MCP 2025-11-25 (basic/transports): over Streamable HTTP the server may send requests on the SSE stream of
 * the POST it is answering, and the client POSTs its JSON-RPC response; over stdio both are lines. Ids are strings
 * ({@code "meridian-<n>"}) unique within the session, so they never collide with the client's own ids.
 */
final class ClientRequests {
    private final ConcurrentHashMap<String, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final AtomicLong next = new AtomicLong();

    /**
     * Sends {@code method} through {@code out} and completes with the client's {@code result} object; fails with a
     * {@link JsonRpcException} when the client answers with an error, and with a
     * {@link java.util.concurrent.TimeoutException} after {@code timeout} without an answer.
     */
    CompletableFuture<JsonNode> send(Outbox out, String method, ObjectNode params, Duration timeout) {
        String id = "meridian-" + next.incrementAndGet();
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        pending.put(id, answer);
        answer.whenComplete((r, err) -> pending.remove(id));
        ObjectNode request = JsonRpc.notification(method, params);
        request.put("id", id);
        out.send(request);
        return answer.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Delivers a client's JSON-RPC response (a message with {@code id} and {@code result} or {@code error}) to the
     * request waiting for it; answers to no request in flight (late, or never asked) are dropped.
     */
    void complete(JsonNode reply) {
        CompletableFuture<JsonNode> waiting = pending.remove(reply.path("id").asText(""));
        if (waiting == null || !reply.path("id").isTextual()) {
            return;
        }
        JsonNode error = reply.get("error");
        if (error != null) {
            waiting.completeExceptionally(new JsonRpcException(error.path("code").asInt(JsonRpcException.INTERNAL_ERROR),
                    error.path("message").asText("no message")));
        } else {
            waiting.complete(reply.path("result"));
        }
    }
}
