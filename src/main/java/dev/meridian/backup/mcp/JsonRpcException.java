package dev.meridian.backup.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;

/**
 * A JSON-RPC protocol error: the message could not be read, was not a valid request, named an unknown method, or
 * carried parameters the protocol (not a tool) rejects. Tool failures are results, never this.
 */
final class JsonRpcException extends RuntimeException {
    static final int PARSE_ERROR = -32700;
    static final int INVALID_REQUEST = -32600;
    static final int METHOD_NOT_FOUND = -32601;
    static final int INVALID_PARAMS = -32602;
    static final int INTERNAL_ERROR = -32603;
    /** Implementation-defined server error: the server cannot take the request now (too many sessions). */
    static final int SERVER_BUSY = -32000;
    /** MCP 2026-07-28: an HTTP header disagrees with the body, or a required header is missing or malformed. */
    static final int HEADER_MISMATCH = -32020;
    /** MCP 2026-07-28: the request needs a client capability its _meta did not declare. */
    static final int MISSING_REQUIRED_CLIENT_CAPABILITY = -32021;
    /** MCP 2026-07-28: the request's protocol version is not one this server speaks; data lists the supported ones. */
    static final int UNSUPPORTED_PROTOCOL_VERSION = -32022;

    private final int code;
    private final JsonNode id;
    private final JsonNode data;

    JsonRpcException(int code, String message) {
        this(code, message, NullNode.getInstance());
    }

    JsonRpcException(int code, String message, JsonNode id) {
        this(code, message, id, null);
    }

    /** @param data the error's {@code data} member, or null for none */
    JsonRpcException(int code, String message, JsonNode id, JsonNode data) {
        super(message, null, false, false);
        this.code = code;
        this.id = id == null ? NullNode.getInstance() : id;
        this.data = data;
    }

    int code() {
        return code;
    }

    /** The id of the request this error answers, or JSON null when it could not be read. */
    JsonNode id() {
        return id;
    }

    /** The error's {@code data} member, or null for none. */
    JsonNode data() {
        return data;
    }

    JsonRpcException withId(JsonNode requestId) {
        return new JsonRpcException(code, getMessage(), requestId, data);
    }
}
