package dev.meridian.backup.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What the server remembers about one MCP session between messages: the negotiated version, the client's log
 * level, and the calls in flight (so notifications/cancelled can find them). Nothing else is kept, and the whole
 * object is dropped when the session ends.
 */
final class McpSession {
    private final String id;
    private final String protocolVersion;
    private final String principal;
    private final ConcurrentHashMap<String, Call> calls = new ConcurrentHashMap<>();
    private volatile LogLevel logLevel;
    private volatile boolean initialized;
    private volatile long lastActiveNanos = System.nanoTime();
    private volatile JsonNode clientCapabilities = JsonRpc.NODES.objectNode();
    private volatile boolean tasksDeclared;
    private volatile String requestState;
    private volatile JsonNode inputResponses;
    private final ClientRequests clientRequests = new ClientRequests();

    /** A tools/call in flight: the engine request id to cancel, and whether the client cancelled it. */
    static final class Call {
        private final String requestId;
        private final AtomicBoolean cancelled = new AtomicBoolean();

        Call(String requestId) {
            this.requestId = requestId;
        }

        String requestId() {
            return requestId;
        }

        boolean cancelled() {
            return cancelled.get();
        }
    }

    /**
     * @param id        the Mcp-Session-Id, or null on stdio (one session per process)
     * @param principal the bearer token name that opened it, or null when authentication is off
     */
    McpSession(String id, String protocolVersion, String principal) {
        this.id = id;
        this.protocolVersion = protocolVersion;
        this.principal = principal;
    }

    String id() {
        return id;
    }

    String protocolVersion() {
        return protocolVersion;
    }

    String principal() {
        return principal;
    }

    /** Null until the client sends logging/setLevel: no log notifications are sent before it asks. */
    LogLevel logLevel() {
        return logLevel;
    }

    void logLevel(LogLevel level) {
        logLevel = level;
    }

    boolean initialized() {
        return initialized;
    }

    void markInitialized() {
        initialized = true;
    }

    void touch() {
        lastActiveNanos = System.nanoTime();
    }

    /** Idle: no call in flight and no message for longer than {@code timeoutNanos}. */
    boolean idle(long nowNanos, long timeoutNanos) {
        return calls.isEmpty() && nowNanos - lastActiveNanos > timeoutNanos;
    }

    /** Registers a call under its JSON-RPC id; ids must be unique among the session's calls in flight. */
    Call begin(JsonNode rpcId, String requestId) {
        Call call = new Call(requestId);
        if (calls.putIfAbsent(key(rpcId), call) != null) {
            throw new JsonRpcException(JsonRpcException.INVALID_REQUEST, "request id " + rpcId
                    + " is already in use by a call in flight in this session; use a new id", rpcId);
        }
        return call;
    }

    void end(JsonNode rpcId) {
        calls.remove(key(rpcId));
        touch();
    }

    /** Marks the call cancelled, if it is still in flight, and returns it. */
    Optional<Call> cancel(JsonNode rpcId) {
        Call call = calls.get(key(rpcId));
        if (call != null) {
            call.cancelled.set(true);
        }
        return Optional.ofNullable(call);
    }

    /** The capabilities the client declared at initialize (an empty object until then, or when it declared none). */
    JsonNode clientCapabilities() {
        return clientCapabilities;
    }

    void clientCapabilities(JsonNode capabilities) {
        clientCapabilities = capabilities != null && capabilities.isObject() ? capabilities : JsonRpc.NODES.objectNode();
    }

    /** Whether this (stateless, 2026-07-28) request's _meta declared the Tasks extension ({@link McpTasks}). */
    boolean tasksDeclared() {
        return tasksDeclared;
    }

    void tasksDeclared(boolean declared) {
        tasksDeclared = declared;
    }

    /**
     * The {@code requestState} a stateless (2026-07-28) tools/call echoes from an earlier {@code input_required}
     * result, or null (MCP 2026-07-28, basic/patterns/mrtr). Attacker-controlled until verified.
     */
    String requestState() {
        return requestState;
    }

    /** That call's {@code inputResponses} (a JSON object of answers by the keys the server chose), or null. */
    JsonNode inputResponses() {
        return inputResponses;
    }

    void retry(String state, JsonNode responses) {
        requestState = state;
        inputResponses = responses;
    }

    /** The requests this server has sent to the client and awaits answers to (elicitation). */
    ClientRequests clientRequests() {
        return clientRequests;
    }

    /** Whether the call running under this engine request id was cancelled by the client. */
    boolean cancelled(String requestId) {
        return calls.values().stream().anyMatch(c -> c.requestId.equals(requestId) && c.cancelled());
    }

    int callsInFlight() {
        return calls.size();
    }

    /** "7" and 7 are different JSON-RPC ids; the JSON text keeps them apart. */
    private static String key(JsonNode rpcId) {
        return rpcId.toString();
    }
}
