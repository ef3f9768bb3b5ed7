package dev.meridian.backup.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * MCP 2026-07-28, the stateless revision, beside the session-based revisions {@link McpServer#VERSIONS}: no
 * initialize and no session; every request carries its protocol version and client capabilities (and, optionally,
 * client info and a log level) in {@code params._meta}, and is answered on its own. Both transports decide per
 * request which revision serves it ({@link #isStateless}) and hand the stateless ones here.
 *
 * <p>What this revision offers: {@code server/discover}, {@code tools/list} (with the caching hints {@code ttlMs}
 * and {@code cacheScope}), {@code tools/call}, and for clients that declare the Tasks extension {@code tasks/get},
 * {@code tasks/update} and {@code tasks/cancel} ({@link McpTasks}). Every result carries {@code resultType: "complete"} and the
 * server's identity in {@code _meta}. Everything else, including the methods the revision removed (initialize,
 * ping, logging/setLevel, resources/subscribe), is -32601 (HTTP 404). Log notifications are sent only for a request
 * whose _meta names {@code io.modelcontextprotocol/logLevel}; progress only for one with a {@code progressToken}.
 * Cancellation: over HTTP, the client closing the call's SSE stream; over stdio, notifications/cancelled.
 *
 * <p>Spec followed: modelcontextprotocol.io/specification/2026-07-28 — basic/index (_meta keys, error codes),
 * basic/versioning, server/discover, server/utilities/caching, basic/patterns/cancellation and
 * basic/transports/streamable-http (Request Metadata, Server Validation, Value Encoding).
 */
final class McpStateless {
    static final String REVISION = "2026-07-28";
    static final String PROTOCOL_VERSION = "io.modelcontextprotocol/protocolVersion";
    static final String CLIENT_INFO = "io.modelcontextprotocol/clientInfo";
    static final String CLIENT_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities";
    static final String LOG_LEVEL = "io.modelcontextprotocol/logLevel";
    static final String SERVER_INFO = "io.modelcontextprotocol/serverInfo";
    /**
     * How long (ms) a client may keep tools/list and server/discover results. Both change only when the server
     * restarts with another configuration (tool-name-style, databases), and are the same for every caller.
     */
    static final long LIST_TTL_MS = 3_600_000;
    /** The methods this revision serves here. */
    static final List<String> METHODS = List.of("server/discover", "tools/list", "tools/call", "tasks/get", "tasks/update",
            "tasks/cancel");
    /**
     * Tool parameters mirrored into an {@code Mcp-Param-{name}} header (x-mcp-header), so a gateway can route or
     * rate-limit by database without reading the body: parameter name to header name.
     */
    static final Map<String, String> HEADER_PARAMS = Map.of("database", "Database");

    private static final String BASE64_PREFIX = "=?base64?";
    private static final String BASE64_SUFFIX = "?=";
    private static final Pattern BASE64 = Pattern.compile("(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?");

    private final McpServer server;

    McpStateless(McpServer server) {
        this.server = server;
    }

    /** Every revision this server answers: this one for stateless requests, then the session-based ones. */
    static List<String> supportedVersions() {
        List<String> all = new ArrayList<>();
        all.add(REVISION);
        all.addAll(McpServer.VERSIONS);
        return all;
    }

    /** The protocol version a request's {@code params._meta} declares, or null when it declares none. */
    static String declaredVersion(ObjectNode params) {
        JsonNode v = params.path("_meta").path(PROTOCOL_VERSION);
        return v.isTextual() ? v.asText() : null;
    }

    /**
     * Whether a request declaring {@code version} (in _meta, or on HTTP in MCP-Protocol-Version) is served
     * statelessly: any version other than the session-based ones, so an unknown one gets
     * UnsupportedProtocolVersionError rather than a session error.
     */
    static boolean isStateless(String version) {
        return version != null && !McpServer.supported(version);
    }

    /** What a request's _meta declares. */
    record Meta(String protocolVersion, ObjectNode clientCapabilities, JsonNode clientInfo, LogLevel logLevel) {}

    /**
     * Reads the request's per-request protocol fields.
     *
     * @throws JsonRpcException -32602 when _meta, its protocolVersion or its clientCapabilities is missing or malformed,
     *                          or its logLevel is not a log level (HTTP 400)
     */
    static Meta meta(JsonRpc.Request r) {
        JsonNode meta = r.params().get("_meta");
        String needs = "; under MCP " + REVISION + " every request carries params._meta with \"" + PROTOCOL_VERSION
                + "\" (e.g. \"" + REVISION + "\") and \"" + CLIENT_CAPABILITIES + "\" (an object, {} for none)";
        if (meta == null || !meta.isObject()) {
            throw invalidParams((meta == null ? "params._meta is missing" : "params._meta must be a JSON object") + needs, r);
        }
        JsonNode version = meta.get(PROTOCOL_VERSION);
        if (version == null || !version.isTextual() || version.asText().isEmpty()) {
            throw invalidParams("params._meta has no \"" + PROTOCOL_VERSION + "\" string" + needs, r);
        }
        JsonNode caps = meta.get(CLIENT_CAPABILITIES);
        if (caps == null || !caps.isObject()) {
            throw invalidParams("params._meta has no \"" + CLIENT_CAPABILITIES + "\" object" + needs, r);
        }
        JsonNode info = meta.get(CLIENT_INFO);
        if (info != null && !info.isNull() && !info.isObject()) {
            throw invalidParams("params._meta \"" + CLIENT_INFO + "\" must be an object with name and version", r);
        }
        JsonNode level = meta.get(LOG_LEVEL);
        LogLevel logLevel = null;
        if (level != null && !level.isNull()) {
            if (!level.isTextual()) {
                throw invalidParams("params._meta \"" + LOG_LEVEL + "\" must be a log level string, e.g. \"info\"", r);
            }
            try {
                logLevel = LogLevel.parse(level.asText());
            } catch (JsonRpcException e) {
                throw e.withId(r.id());
            }
        }
        return new Meta(version.asText(), (ObjectNode) caps, info, logLevel);
    }

    /**
     * @throws JsonRpcException -32022 UnsupportedProtocolVersionError (HTTP 400) for a version other than this
     *                          revision; data lists the supported versions and echoes the requested one
     */
    static void checkVersion(Meta meta, JsonRpc.Request r) {
        if (REVISION.equals(meta.protocolVersion())) {
            return;
        }
        ObjectNode data = JsonRpc.NODES.objectNode();
        ArrayNode supported = data.putArray("supported");
        supportedVersions().forEach(supported::add);
        data.put("requested", meta.protocolVersion());
        throw new JsonRpcException(JsonRpcException.UNSUPPORTED_PROTOCOL_VERSION, "Unsupported protocol version '"
                + meta.protocolVersion() + "': stateless requests use " + REVISION + "; " + String.join(", ", McpServer.VERSIONS)
                + " are served in sessions opened with initialize", r.id(), data);
    }

    /** @throws JsonRpcException -32601 (HTTP 404) for a method this revision does not have here, removed ones included */
    static void checkMethod(JsonRpc.Request r) {
        if (McpTasks.METHODS.contains(r.method())) {
            if (!McpTasks.declared(r.params().path("_meta").path(CLIENT_CAPABILITIES))) {
                throw McpTasks.missingCapability(r); // -32021, HTTP 400 (ext-tasks, Error Handling)
            }
            return;
        }
        if (METHODS.contains(r.method())) {
            return;
        }
        String why = switch (r.method()) {
            case "initialize", "notifications/initialized" -> " (MCP " + REVISION + " has no initialize: send _meta with "
                    + "every request, or send initialize without it to open a " + McpServer.VERSIONS.get(0) + " session)";
            case "ping" -> " (removed in MCP " + REVISION + "; any request, e.g. server/discover, shows the server is up)";
            case "logging/setLevel" -> " (removed in MCP " + REVISION + "; set \"" + LOG_LEVEL + "\" in a request's _meta "
                    + "to get its log messages)";
            default -> "";
        };
        throw new JsonRpcException(JsonRpcException.METHOD_NOT_FOUND, "method '"
                + dev.meridian.backup.model.Validation.printable(r.method()) + "' is not available under MCP " + REVISION + why
                + "; this server offers " + String.join(", ", METHODS), r.id());
    }

    /**
     * The Streamable HTTP header checks of this revision: MCP-Protocol-Version must equal the _meta version,
     * Mcp-Method the method, Mcp-Name a tools/call's tool name, and each Mcp-Param-{name} its argument (decoded when
     * Base64-wrapped, {@code =?base64?...?=}). A required header that is missing, malformed or different is refused.
     *
     * @param header a request header by name (case-insensitive), its value without surrounding whitespace
     * @throws JsonRpcException -32020 HeaderMismatch (HTTP 400), naming the header and both values
     */
    void checkHeaders(JsonRpc.Request r, Meta meta, Function<String, Optional<String>> header) {
        Optional<String> version = header.apply("MCP-Protocol-Version").map(McpStateless::ows);
        if (version.isEmpty()) {
            throw mismatch("the MCP-Protocol-Version header is missing; send it with the value of _meta \"" + PROTOCOL_VERSION
                    + "\" ('" + meta.protocolVersion() + "')", r);
        }
        if (!version.get().equals(meta.protocolVersion())) {
            throw mismatch("MCP-Protocol-Version header value '" + version.get() + "' does not match body _meta value '"
                    + meta.protocolVersion() + "'", r);
        }
        Optional<String> method = header.apply("Mcp-Method").map(McpStateless::ows);
        if (method.isEmpty()) {
            throw mismatch("the Mcp-Method header is missing; send it with the request's method ('" + r.method() + "')", r);
        }
        if (!method.get().equals(r.method())) {
            throw mismatch("Mcp-Method header value '" + method.get() + "' does not match body method '" + r.method() + "'", r);
        }
        String nameField = switch (r.method()) {
            case "tools/call", "prompts/get" -> "name";
            case "resources/read" -> "uri";
            case "tasks/get", "tasks/update", "tasks/cancel" -> "taskId"; // ext-tasks, Streamable HTTP: Routing Headers
            default -> null;
        };
        if (nameField == null) {
            return;
        }
        JsonNode bodyName = r.params().get(nameField);
        Optional<String> name = header.apply("Mcp-Name").map(v -> decoded("Mcp-Name", v, r));
        if (name.isEmpty()) {
            if (bodyName != null && !bodyName.isNull()) {
                throw mismatch("the Mcp-Name header is missing; send it with params." + nameField + " ('"
                        + dev.meridian.backup.model.Validation.printable(bodyName.asText()) + "')", r);
            }
        } else if (bodyName == null || !bodyName.isTextual() || !bodyName.asText().equals(name.get())) {
            throw mismatch("Mcp-Name header value '" + dev.meridian.backup.model.Validation.printable(name.get())
                    + "' does not match body params." + nameField + " '" + (bodyName == null ? "(none)"
                    : dev.meridian.backup.model.Validation.printable(bodyName.asText())) + "'", r);
        }
        if (r.method().equals("tools/call") && bodyName != null && bodyName.isTextual()) {
            server.tool(bodyName.asText()).ifPresent(tool -> checkParamHeaders(r, bodyName.asText(), tool, header));
        }
    }

    private static void checkParamHeaders(JsonRpc.Request r, String wireName, Tool tool, Function<String, Optional<String>> header) {
        JsonNode args = r.params().path("arguments");
        for (Tool.Param p : tool.params()) {
            String suffix = HEADER_PARAMS.get(p.name());
            if (suffix == null || p.type() != Tool.Param.Type.STRING) {
                continue;
            }
            String headerName = "Mcp-Param-" + suffix;
            JsonNode body = args.get(p.name());
            boolean inBody = body != null && !body.isNull() && !body.isMissingNode();
            Optional<String> value = header.apply(headerName).map(v -> decoded(headerName, v, r));
            if (value.isEmpty()) {
                if (inBody) {
                    throw mismatch("the " + headerName + " header is missing; tools/list marks argument '" + p.name() + "' of "
                            + wireName + " with x-mcp-header, so send it with the argument's value", r);
                }
            } else if (!inBody) {
                throw mismatch(headerName + " header is set but argument '" + p.name() + "' is absent from the body; "
                        + "send both or neither", r);
            } else if (!value.get().equals(body.isTextual() ? body.asText() : body.toString())) {
                throw mismatch(headerName + " header value '" + dev.meridian.backup.model.Validation.printable(value.get())
                        + "' does not match body argument " + p.name() + " '"
                        + dev.meridian.backup.model.Validation.printable(body.asText()) + "'", r);
            }
        }
    }

    /**
     * A header's value: plain visible ASCII taken as is, or {@code =?base64?...?=} decoded (strict, padded Base64
     * of UTF-8).
     */
    private static String decoded(String headerName, String raw, JsonRpc.Request r) {
        String v = ows(raw);
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (!(c == '\t' || c >= 0x20 && c <= 0x7e)) {
                throw mismatch(headerName + " header has a character outside visible ASCII; Base64-encode such values as "
                        + "=?base64?...?=", r);
            }
        }
        if (!(v.startsWith(BASE64_PREFIX) && v.endsWith(BASE64_SUFFIX) && v.length() >= BASE64_PREFIX.length() + BASE64_SUFFIX.length())) {
            return v;
        }
        String b64 = v.substring(BASE64_PREFIX.length(), v.length() - BASE64_SUFFIX.length());
        if (!BASE64.matcher(b64).matches()) {
            throw mismatch(headerName + " header is not valid Base64 between =?base64? and ?= (padded, standard alphabet)", r);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(Base64.getDecoder().decode(b64))).toString();
        } catch (CharacterCodingException | IllegalArgumentException e) {
            throw mismatch(headerName + " header's Base64 value is not UTF-8 text", r);
        }
    }

    /** Optional whitespace (space, tab) around a field value is not part of it (RFC 9110 section 5.5). */
    private static String ows(String v) {
        int from = 0;
        int to = v.length();
        while (from < to && (v.charAt(from) == ' ' || v.charAt(from) == '\t')) {
            from++;
        }
        while (to > from && (v.charAt(to - 1) == ' ' || v.charAt(to - 1) == '\t')) {
            to--;
        }
        return v.substring(from, to);
    }

    /**
     * The request's context: a session object that lives as long as this one request, with its log level, the
     * client's capabilities, the caller, and a tools/call's multi round-trip fields ({@code requestState},
     * {@code inputResponses}; MCP 2026-07-28, basic/patterns/mrtr).
     *
     * @param principal the bearer-token name of the caller, or null without authentication (and on stdio)
     * @throws JsonRpcException -32602 when a tools/call's requestState is not a string, its inputResponses is not a
     *                          JSON object of objects (null included), or its requestState fails verification
     */
    McpSession context(Meta meta, JsonRpc.Request r, String principal) {
        McpSession s = new McpSession(null, REVISION, principal);
        s.logLevel(meta.logLevel());
        s.clientCapabilities(meta.clientCapabilities());
        s.tasksDeclared(McpTasks.declared(meta.clientCapabilities()));
        if (r.method().equals("tools/call")) {
            JsonNode state = r.params().get("requestState");
            JsonNode responses = r.params().get("inputResponses");
            if (state != null && !state.isTextual()) {
                throw invalidParams("params.requestState must be the string of an earlier input_required result, "
                        + "echoed unchanged", r);
            }
            if (responses != null && !responses.isObject()) {
                throw invalidParams("params.inputResponses must be a JSON object of answers keyed as the input_required "
                        + "result's inputRequests, got " + JsonRpc.kind(responses), r);
            }
            if (responses != null) {
                responses.fields().forEachRemaining(e -> {
                    if (!e.getValue().isObject()) { // every InputResponse (ElicitResult, ...) is an object
                        throw invalidParams("params.inputResponses." + dev.meridian.backup.model.Validation.printable(e.getKey())
                                + " must be the client's result object for that input request, got "
                                + JsonRpc.kind(e.getValue()), r);
                    }
                });
            }
            if (state != null) {
                server.checkRequestState(state.asText(), r.params().path("name").asText(""), r);
            }
            s.retry(state == null ? null : state.asText(), responses);
        }
        return s;
    }

    /**
     * Whether a call is answered over HTTP with an SSE stream: every long tool call is, so progress and log messages
     * can precede the result and the client can cancel the call by closing the stream.
     */
    boolean streams(JsonRpc.Request r) {
        return r.method().equals("tools/call") && server.tool(r.params().path("name").asText(""))
                .map(t -> t.progressOperation() != null).orElse(false);
    }

    /**
     * Answers a request that passed the checks above. {@code out} receives notifications sent before the result
     * (null when the transport cannot carry any). Completes with the response, or empty for a cancelled call.
     */
    CompletionStage<Optional<ObjectNode>> handle(McpSession context, JsonRpc.Request r, Outbox out) {
        if (r.method().equals("server/discover")) {
            return CompletableFuture.completedFuture(Optional.of(JsonRpc.result(r.id(), discover())));
        }
        if (McpTasks.METHODS.contains(r.method())) {
            try {
                return CompletableFuture.completedFuture(Optional.of(JsonRpc.result(r.id(), complete(server.tasks().handle(r, context.principal())))));
            } catch (JsonRpcException e) {
                return CompletableFuture.completedFuture(Optional.of(JsonRpc.error(e.withId(r.id()))));
            }
        }
        boolean list = r.method().equals("tools/list");
        return server.handle(context, r, out).thenApply(answer -> answer.map(response -> {
            JsonNode result = response.get("result");
            if (result instanceof ObjectNode o) {
                ObjectNode complete = list ? annotateHeaders(o.deepCopy()) : o;
                if (list) {
                    cacheable(complete);
                }
                response.set("result", complete(complete));
            }
            return response;
        }));
    }

    /** The server/discover result: supported versions, capabilities, instructions, identity, caching hints. */
    ObjectNode discover() {
        ObjectNode r = JsonRpc.NODES.objectNode();
        ArrayNode versions = r.putArray("supportedVersions");
        supportedVersions().forEach(versions::add);
        ObjectNode caps = r.putObject("capabilities");
        caps.putObject("tools");
        caps.putObject("logging");
        caps.putObject("extensions").putObject(McpTasks.EXTENSION);
        r.put("instructions", server.instructionsText());
        cacheable(r);
        return complete(r);
    }

    /** Marks each parameter of {@link #HEADER_PARAMS} with x-mcp-header in a (copied) tools/list result. */
    private static ObjectNode annotateHeaders(ObjectNode list) {
        for (JsonNode tool : list.path("tools")) {
            JsonNode props = tool.path("inputSchema").path("properties");
            for (Iterator<Map.Entry<String, JsonNode>> it = props.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String header = HEADER_PARAMS.get(e.getKey());
                if (header != null && e.getValue() instanceof ObjectNode schema && "string".equals(schema.path("type").asText())) {
                    schema.put("x-mcp-header", header);
                }
            }
        }
        return list;
    }

    private static void cacheable(ObjectNode result) {
        result.put("ttlMs", LIST_TTL_MS);
        result.put("cacheScope", "public");
    }

    /** resultType "complete" and the server's identity in _meta, which every result of this revision carries. */
    private static ObjectNode complete(ObjectNode result) {
        String type = result.path("resultType").asText();
        // a CreateTaskResult (McpTasks) and an InputRequiredResult (DestructivePolicy) keep their own
        if (!"task".equals(type) && !"input_required".equals(type)) {
            result.put("resultType", "complete");
        }
        JsonNode meta = result.get("_meta");
        ObjectNode m = meta instanceof ObjectNode o ? o : result.putObject("_meta");
        m.putObject(SERVER_INFO).put("name", McpServer.NAME).put("title", McpServer.TITLE).put("version", McpServer.VERSION);
        return result;
    }

    /** The HTTP status of a refused stateless request: 404 for an unknown method, 400 for every check above. */
    static int httpStatus(JsonRpcException e) {
        return e.code() == JsonRpcException.METHOD_NOT_FOUND ? 404 : 400;
    }

    /** A notifications/cancelled for {@code id}: how a closed SSE stream cancels its call. */
    static JsonRpc.Notification cancelled(JsonNode id, String reason) {
        ObjectNode p = JsonRpc.NODES.objectNode();
        p.set("requestId", id);
        p.put("reason", reason);
        return new JsonRpc.Notification("notifications/cancelled", p);
    }

    private static JsonRpcException invalidParams(String message, JsonRpc.Request r) {
        return new JsonRpcException(JsonRpcException.INVALID_PARAMS, message, r.id());
    }

    private static JsonRpcException mismatch(String message, JsonRpc.Request r) {
        return new JsonRpcException(JsonRpcException.HEADER_MISMATCH, "Header mismatch: " + message, r.id());
    }
}
