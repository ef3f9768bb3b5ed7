package dev.meridian.backup.mcp;

import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.meridian.backup.config.Settings.Scope;
import dev.meridian.backup.engine.Engine;
import dev.meridian.backup.operation.Access;
import dev.meridian.backup.operation.Failures;
import dev.meridian.backup.runtime.Blocking;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamException;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * MCP over Streamable HTTP at {@code /mcp}, for the session-based revisions and the stateless 2026-07-28 one on the
 * same endpoint, chosen per request (see {@code stateless(HttpRequest, JsonNode)} and {@link McpStateless}).
 * <ul>
 *   <li>Every request: {@code http.HttpServer}'s {@code OriginPolicy} has checked Host, Origin and
 *   the JSON content type, and answered preflights, before this route; here the bearer token is checked (401/403).</li>
 *   <li>POST carries one JSON-RPC message (or, in a 2025-03-26 session, a batch). initialize opens a session and
 *   returns its {@code Mcp-Session-Id}; every other message needs that header (400 without, 404 if unknown or
 *   ended) and, when present, a supported {@code MCP-Protocol-Version} (400 otherwise). Notifications and replies
 *   get 202. Requests get {@code application/json}, or {@code text/event-stream} when notifications (progress,
 *   logs) precede the result.</li>
 *   <li>GET answers 405: this server sends nothing outside a request, so it offers no standalone SSE stream.</li>
 *   <li>DELETE ends the session.</li>
 * </ul>
 */
public final class McpHttpRoute {
    private static final Logger log = LoggerFactory.getLogger(McpHttpRoute.class);
    private static final String SESSION_HEADER = "Mcp-Session-Id";
    private static final String VERSION_HEADER = "MCP-Protocol-Version";
    /** What the transport assumes without a version header and without a session to tell (spec). */
    private static final String DEFAULT_VERSION = "2025-03-26";
    private static final int SSE_BUFFER = 256;
    /** Idle time after which an SSE stream gets a comment line, so that proxies keep it open. */
    private static final Duration KEEP_ALIVE = Duration.ofSeconds(15);
    /**
     * The same for a stateless call's stream, whose closing cancels the call: a client that went away is only seen
     * when a write to its connection fails (the second write after its close, at the latest), so this bounds the delay
     * between the close and the cancel to about two of these.
     */
    private static final Duration DISCONNECT_PROBE = Duration.ofSeconds(1);
    private static final ContentType SSE = ContentTypes.create(MediaTypes.TEXT_EVENT_STREAM);
    private static final Duration BODY_TIMEOUT = Duration.ofSeconds(30);

    private final Engine engine;
    private final McpSettings settings;
    private final McpServer server;
    private final McpStateless stateless;
    private final McpSessions sessions;
    private final Access access;

    public McpHttpRoute(Engine engine, McpSettings settings) {
        this.engine = engine;
        this.settings = settings;
        this.server = new McpServer(engine, settings);
        this.stateless = new McpStateless(server);
        this.sessions = new McpSessions(settings);
        this.access = new Access(engine.settings().authTokens());
        Duration sweep = settings.sessionIdleTimeout().dividedBy(2);
        sweep = sweep.compareTo(Duration.ofMinutes(1)) > 0 ? Duration.ofMinutes(1) : sweep;
        sweep = sweep.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : sweep;
        engine.system().scheduler().scheduleWithFixedDelay(sweep, sweep, this::sweep, engine.system().executionContext());
    }

    /** The route for {@code /mcp}, for {@code HttpServer.bind}'s extra routes. */
    public Route route() {
        return path("mcp", () -> extractRequest(req -> completeWithFuture(respond(req))));
    }

    /** Live sessions (for tests and metrics). */
    public int sessionCount() {
        return sessions.size();
    }

    private void sweep() {
        int ended = sessions.sweep();
        if (ended > 0) {
            log.info("Ended {} idle MCP session(s) (meridian.mcp.session-idle-timeout {})", ended, settings.sessionIdleTimeout());
        }
    }

    private CompletionStage<HttpResponse> respond(HttpRequest req) {
        Optional<HttpResponse> denied = denied(req, Scope.READ);
        if (denied.isPresent()) {
            req.discardEntityBytes(engine.system());
            return done(denied.get());
        } else if (req.method().equals(HttpMethods.POST)) {
            return post(req);
        } else if (req.method().equals(HttpMethods.DELETE)) {
            return done(delete(req));
        }
        req.discardEntityBytes(engine.system());
        return done(status(405, "this MCP endpoint takes POST (messages) and DELETE (end a session); it "
                + "offers no standalone SSE stream, since the server sends nothing outside a request")
                .addHeader(RawHeader.create("Allow", "POST, DELETE, OPTIONS")));
    }

    // ---- POST ----

    private CompletionStage<HttpResponse> post(HttpRequest req) {
        String tooLarge = "message exceeds meridian.mcp.max-request-size (" + settings.maxRequestBytes() + " bytes)";
        if (req.entity().getContentLengthOption().orElse(0L) > settings.maxRequestBytes()) {
            req.discardEntityBytes(engine.system());
            return done(status(413, tooLarge));
        }
        return req.entity().toStrict(BODY_TIMEOUT.toMillis(), settings.maxRequestBytes(), engine.system())
                .thenCompose(strict -> message(req, strict.getData().decodeString(StandardCharsets.UTF_8)))
                .exceptionally(t -> {
                    Throwable c = Blocking.cause(t);
                    // Over the limit: EntityStreamSizeException when checked against a declared length, a "too large"
                    // EntityStreamException when a chunked body runs past it.
                    if (c instanceof EntityStreamSizeException || c instanceof EntityStreamException
                            && String.valueOf(c.getMessage()).toLowerCase(java.util.Locale.ROOT).contains("too large")) {
                        return status(413, tooLarge);
                    }
                    if (c instanceof EntityStreamException) {
                        return status(400, "the request body could not be read: " + c.getMessage());
                    }
                    log.error("MCP request failed: {}", c.toString(), c);
                    return rpcError(500, new JsonRpcException(JsonRpcException.INTERNAL_ERROR, "internal error: " + c.getMessage()
                            + "; see the server log"));
                });
    }

    private CompletionStage<HttpResponse> message(HttpRequest req, String body) {
        JsonNode tree = null;
        JsonRpc.Message message;
        try {
            tree = JsonRpc.read(body);
            if (tree.isArray()) {
                return batch(req, (ArrayNode) tree);
            }
            message = JsonRpc.message(tree);
        } catch (JsonRpcException e) {
            if (stateless(req, tree)) {
                return done(rpcError(400, e));
            }
            // A readable request with bad params is answered like any failed request; an unreadable message is refused.
            boolean answerable = e.code() == JsonRpcException.INVALID_PARAMS && !e.id().isNull();
            if (answerable && tree != null && !"initialize".equals(tree.path("method").asText())) {
                Session s = session(req); // the session rules come first, as for every other message
                if (s.refused() != null) {
                    return done(s.refused());
                }
            }
            return done(rpcError(answerable ? 200 : 400, e));
        }
        if (stateless(req, tree)) {
            if (message instanceof JsonRpc.Request r) {
                return stateless(req, r);
            }
            // 2026-07-28 defines no client notification over HTTP (closing a call's stream cancels it).
            return done(HttpResponse.create().withStatus(202));
        }
        if (message instanceof JsonRpc.Request r && r.method().equals("initialize")) {
            return done(initialize(req, r));
        }
        Session s = session(req);
        if (s.refused() != null) {
            return done(s.refused());
        }
        if (message instanceof JsonRpc.Notification n) {
            server.notification(s.session(), n);
            return done(HttpResponse.create().withStatus(202));
        }
        if (message instanceof JsonRpc.Reply) {
            s.session().clientRequests().complete(tree); // an answer to elicitation/create (DestructivePolicy)
            return done(HttpResponse.create().withStatus(202));
        }
        JsonRpc.Request r = (JsonRpc.Request) message;
        Optional<HttpResponse> denied = denied(req, server.scope(r));
        if (denied.isPresent()) {
            return done(denied.get());
        }
        if (acceptsEventStream(req) && server.mayNotify(s.session(), r)) {
            return done(eventStream(out -> server.handle(s.session(), r, out), null));
        }
        return server.handle(s.session(), r, null).thenApply(answer -> answer.map(McpHttpRoute::json)
                // Cancelled by the client: the spec says send no response; 202 closes the POST with no body.
                .orElseGet(() -> HttpResponse.create().withStatus(202)));
    }

    /**
     * Whether a message is served by the stateless revision (2026-07-28), decided per request: its _meta declares a
     * version other than the session-based ones; or, without _meta's version and without Mcp-Session-Id, its
     * MCP-Protocol-Version header does, or it is server/discover. Anything else is served in a session as before.
     */
    private static boolean stateless(HttpRequest req, JsonNode tree) {
        if (tree == null || !tree.isObject()) {
            return false;
        }
        JsonNode declared = tree.path("params").path("_meta").path(McpStateless.PROTOCOL_VERSION);
        if (declared.isTextual()) {
            return McpStateless.isStateless(declared.asText());
        }
        if (header(req, SESSION_HEADER).isPresent()) {
            return false;
        }
        Optional<String> version = header(req, VERSION_HEADER);
        return version.isPresent() ? McpStateless.isStateless(version.get().trim())
                : "server/discover".equals(tree.path("method").asText());
    }

    /** A stateless request: the checks of {@link McpStateless} in the spec's order, the token's scope, then the answer. */
    private CompletionStage<HttpResponse> stateless(HttpRequest req, JsonRpc.Request r) {
        McpSession context;
        try {
            McpStateless.Meta meta = McpStateless.meta(r);
            stateless.checkHeaders(r, meta, name -> header(req, name));
            McpStateless.checkVersion(meta, r);
            McpStateless.checkMethod(r);
            context = stateless.context(meta, r, access.tokenName(authorization(req)).orElse(null));
        } catch (JsonRpcException e) {
            return done(rpcError(McpStateless.httpStatus(e), e.withId(r.id())));
        }
        Optional<HttpResponse> denied = denied(req, server.scope(r));
        if (denied.isPresent()) {
            return done(denied.get());
        }
        if (acceptsEventStream(req) && stateless.streams(r)) {
            return done(eventStream(out -> stateless.handle(context, r, out),
                    () -> server.notification(context, McpStateless.cancelled(r.id(), "the client closed the response stream"))));
        }
        return stateless.handle(context, r, null).thenApply(answer -> answer.map(McpHttpRoute::json)
                .orElseGet(() -> HttpResponse.create().withStatus(202)));
    }

    private HttpResponse initialize(HttpRequest req, JsonRpc.Request r) {
        if (header(req, SESSION_HEADER).isPresent()) {
            return rpcError(400, new JsonRpcException(JsonRpcException.INVALID_REQUEST,
                    "initialize opens a new session: send it without an Mcp-Session-Id header", r.id()));
        }
        McpServer.Initialized init;
        try {
            init = server.initialize(r);
        } catch (JsonRpcException e) {
            return json(JsonRpc.error(e));
        }
        Optional<McpSession> s = sessions.open(init.protocolVersion(), access.tokenName(authorization(req)).orElse(null));
        if (s.isEmpty()) {
            return rpcError(503, new JsonRpcException(JsonRpcException.SERVER_BUSY, "too many MCP sessions are open ("
                    + settings.maxSessions() + ", meridian.mcp.max-sessions); end unused ones with DELETE or retry later", r.id()))
                    .addHeader(RawHeader.create("Retry-After", "5"));
        }
        s.get().clientCapabilities(r.params().get("capabilities"));
        return json(JsonRpc.result(r.id(), init.result())).addHeader(RawHeader.create(SESSION_HEADER, s.get().id()));
    }

    /** The request's session, or the response refusing it. */
    private record Session(McpSession session, HttpResponse refused) {}

    private Session session(HttpRequest req) {
        Optional<String> version = header(req, VERSION_HEADER);
        if (version.isPresent() && !McpServer.supported(version.get())) {
            return new Session(null, status(400, "unsupported MCP-Protocol-Version '" + version.get() + "'; this server speaks "
                    + String.join(", ", McpServer.VERSIONS)));
        }
        Optional<String> id = header(req, SESSION_HEADER);
        if (id.isEmpty()) {
            return new Session(null, status(400, "missing Mcp-Session-Id header: send initialize first and then the "
                    + "session id it returned with every request"));
        }
        Optional<McpSession> s = sessions.get(id.get())
                .filter(x -> x.principal() == null || access.tokenName(authorization(req)).filter(x.principal()::equals).isPresent());
        if (s.isEmpty()) {
            return new Session(null, status(404, "unknown or ended MCP session; send initialize (without Mcp-Session-Id) to start a new one"));
        }
        s.get().touch();
        return new Session(s.get(), null);
    }

    /** 2025-03-26 allows a JSON array of messages; later revisions answer it with -32600. */
    private CompletionStage<HttpResponse> batch(HttpRequest req, ArrayNode messages) {
        Session s = session(req);
        String version = s.session() != null ? s.session().protocolVersion() : header(req, VERSION_HEADER).orElse(DEFAULT_VERSION);
        if (!McpServer.allowsBatches(version)) {
            return done(rpcError(400, new JsonRpcException(JsonRpcException.INVALID_REQUEST, "JSON-RPC batches are not "
                    + "part of MCP " + version + "; send one message per POST")));
        }
        if (s.refused() != null) {
            return done(s.refused());
        }
        if (messages.isEmpty()) {
            return done(rpcError(400, new JsonRpcException(JsonRpcException.INVALID_REQUEST, "empty batch; send at least one message")));
        }
        List<McpServer.BatchItem> items = McpServer.parseBatch(messages);
        for (McpServer.BatchItem item : items) {
            // The token must cover every call in the batch, as it must for single messages.
            if (item.message() instanceof JsonRpc.Request r) {
                Optional<HttpResponse> denied = denied(req, server.scope(r));
                if (denied.isPresent()) {
                    return done(denied.get());
                }
            }
        }
        return server.runBatch(s.session(), items)
                .thenApply(answers -> answers.map(McpHttpRoute::json).orElseGet(() -> HttpResponse.create().withStatus(202)));
    }

    // ---- SSE ----

    private static boolean acceptsEventStream(HttpRequest req) {
        return header(req, "Accept").map(a -> a.contains("text/event-stream")).orElse(false);
    }

    /**
     * Answers a call whose notifications precede its result: each JSON-RPC message is one {@code message} event,
     * and the stream ends after the result. In a session a disconnect does not cancel the call (notifications/cancelled
     * does); a stateless call passes {@code onDisconnect}, run when the stream ends before the result was sent.
     */
    private HttpResponse eventStream(java.util.function.Function<Outbox, CompletionStage<Optional<ObjectNode>>> call,
            Runnable onDisconnect) {
        Pair<BoundedSourceQueue<ByteString>, Source<ByteString, NotUsed>> pair =
                Source.<ByteString>queue(SSE_BUFFER).preMaterialize(engine.system());
        BoundedSourceQueue<ByteString> queue = pair.first();
        // Notifications may be dropped for a slow reader; half the buffer stays free for the result.
        Outbox out = message -> {
            if (queue.size() < SSE_BUFFER / 2) {
                queue.offer(event(message));
            }
        };
        java.util.concurrent.atomic.AtomicBoolean answered = new java.util.concurrent.atomic.AtomicBoolean();
        call.apply(out).whenComplete((answer, err) -> {
            answered.set(true);
            if (answer != null) {
                answer.ifPresent(a -> queue.offer(event(a)));
            }
            queue.complete();
        });
        Source<ByteString, NotUsed> body = pair.second()
                .keepAlive(onDisconnect != null ? DISCONNECT_PROBE : KEEP_ALIVE, () -> ByteString.fromString(": keep-alive\n\n"));
        if (onDisconnect != null) {
            body = body.watchTermination((mat, done) -> {
                done.whenComplete((x, err) -> {
                    if (!answered.get()) {
                        onDisconnect.run();
                    }
                });
                return mat;
            });
        }
        return HttpResponse.create().withStatus(200).addHeader(RawHeader.create("Cache-Control", "no-cache"))
                .addHeader(RawHeader.create("X-Accel-Buffering", "no")) // proxies must not hold events back (spec)
                .withEntity(HttpEntities.createChunked(SSE, body));
    }

    private static ByteString event(ObjectNode message) {
        return ByteString.fromString("event: message\ndata: " + JsonRpc.write(message) + "\n\n");
    }

    // ---- DELETE ----

    private HttpResponse delete(HttpRequest req) {
        Session s = session(req);
        if (s.refused() != null) {
            return s.refused();
        }
        sessions.end(s.session().id());
        log.debug("MCP session ended by the client ({} call(s) still in flight finish on their own)", s.session().callsInFlight());
        return HttpResponse.create().withStatus(204);
    }

    // ---- responses ----

    /** The answer to a request whose bearer token does not allow {@code scope} (401 or 403), if it does not. */
    private Optional<HttpResponse> denied(HttpRequest req, Scope scope) {
        return access.check(authorization(req), scope).map(d -> HttpResponse.create()
                .withStatus(d.error().code().httpStatus())
                .withEntity(ContentTypes.APPLICATION_JSON, Failures.json(d.error()))
                .addHeader(RawHeader.create("WWW-Authenticate", d.challenge())));
    }

    private static Optional<String> authorization(HttpRequest req) {
        return header(req, "Authorization");
    }

    private static Optional<String> header(HttpRequest req, String name) {
        return req.getHeader(name).map(h -> h.value());
    }

    private static CompletionStage<HttpResponse> done(HttpResponse r) {
        return CompletableFuture.completedFuture(r);
    }

    private static HttpResponse json(JsonNode body) {
        return HttpResponse.create().withStatus(200)
                .withEntity(ContentTypes.APPLICATION_JSON, JsonRpc.write(body).getBytes(StandardCharsets.UTF_8));
    }

    /** An HTTP error whose body is a JSON-RPC error response, as the transport spec allows. */
    private static HttpResponse rpcError(int status, JsonRpcException e) {
        return json(JsonRpc.error(e)).withStatus(status);
    }

    private static HttpResponse status(int status, String message) {
        return rpcError(status, new JsonRpcException(JsonRpcException.INVALID_REQUEST, message));
    }
}
