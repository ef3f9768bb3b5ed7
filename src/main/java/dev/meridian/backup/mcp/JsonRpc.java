package dev.meridian.backup.mcp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.meridian.backup.model.Json;
import dev.meridian.backup.operation.JsonBodies;

/** JSON-RPC 2.0 framing shared by both transports: reading one message, and writing results, errors, notifications. */
final class JsonRpc {
    static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private JsonRpc() {}

    sealed interface Message permits Request, Notification, Reply {}

    /** A call that expects an answer; {@code params} is never null (an absent params is an empty object). */
    record Request(JsonNode id, String method, ObjectNode params) implements Message {}

    record Notification(String method, ObjectNode params) implements Message {}

    /** A client's answer to a server-to-client request (elicitation/create); the transports pass it to {@link ClientRequests}. */
    record Reply(JsonNode id) implements Message {}

    /** Parses text into a JSON tree, or fails with -32700 naming where the JSON broke. */
    static JsonNode read(String text) {
        if (text == null || text.isBlank()) {
            throw new JsonRpcException(JsonRpcException.PARSE_ERROR, "empty message; send one JSON-RPC 2.0 object");
        }
        try {
            return JsonBodies.STRICT.readTree(text);
        } catch (JsonProcessingException e) {
            String detail = e.getOriginalMessage() == null ? "" : e.getOriginalMessage().lines().findFirst().orElse("");
            String where = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")";
            throw new JsonRpcException(JsonRpcException.PARSE_ERROR, "message is not valid JSON: " + detail + where);
        }
    }

    /** Classifies one JSON value as a request, notification or reply, or fails with -32600 / -32602. */
    static Message message(JsonNode node) {
        if (!node.isObject()) {
            throw invalid("a JSON-RPC message must be a JSON object, got " + kind(node), null);
        }
        JsonNode id = node.get("id");
        boolean hasId = id != null;
        if (hasId && !(id.isTextual() || id.isIntegralNumber())) {
            throw invalid("'id' must be a string or an integer, got " + kind(id), null);
        }
        if (!"2.0".equals(node.path("jsonrpc").asText(null)) || !node.path("jsonrpc").isTextual()) {
            throw invalid("'jsonrpc' must be \"2.0\"", id);
        }
        JsonNode method = node.get("method");
        if (method == null) {
            if (hasId && (node.has("result") || node.has("error"))) {
                return new Reply(id);
            }
            throw invalid("message has no 'method'; a request needs 'method' (and 'id'), a notification just 'method'", id);
        }
        if (!method.isTextual() || method.asText().isEmpty()) {
            throw invalid("'method' must be a non-empty string", id);
        }
        JsonNode params = node.get("params");
        ObjectNode p;
        if (params == null || params.isNull()) {
            p = NODES.objectNode();
        } else if (params.isObject()) {
            p = (ObjectNode) params;
        } else {
            throw new JsonRpcException(JsonRpcException.INVALID_PARAMS, "'params' must be a JSON object (named parameters), got "
                    + kind(params), id);
        }
        return hasId ? new Request(id, method.asText(), p) : new Notification(method.asText(), p);
    }

    static ObjectNode result(JsonNode id, JsonNode result) {
        ObjectNode o = envelope();
        o.set("id", id);
        o.set("result", result);
        return o;
    }

    static ObjectNode error(JsonRpcException e) {
        ObjectNode o = envelope();
        o.set("id", e.id());
        ObjectNode error = o.putObject("error").put("code", e.code()).put("message", e.getMessage());
        if (e.data() != null) {
            error.set("data", e.data());
        }
        return o;
    }

    static ObjectNode notification(String method, ObjectNode params) {
        ObjectNode o = envelope();
        o.put("method", method);
        o.set("params", params);
        return o;
    }

    private static ObjectNode envelope() {
        return NODES.objectNode().put("jsonrpc", "2.0");
    }

    /** One line of compact JSON: the encoder escapes newlines inside strings, so stdio framing holds. */
    static String write(JsonNode node) {
        try {
            return Json.MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("JSON-RPC message could not be encoded", e);
        }
    }

    static String kind(JsonNode n) {
        if (n == null || n.isMissingNode()) {
            return "nothing";
        } else if (n.isObject()) {
            return "an object";
        } else if (n.isArray()) {
            return "an array";
        } else if (n.isTextual()) {
            return "a string";
        } else if (n.isBoolean()) {
            return "a boolean";
        } else if (n.isNumber()) {
            return "a number";
        }
        return "null";
    }

    private static JsonRpcException invalid(String message, JsonNode id) {
        return new JsonRpcException(JsonRpcException.INVALID_REQUEST, message, id);
    }
}
