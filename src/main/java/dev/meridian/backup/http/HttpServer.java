package dev.meridian.backup.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.handleExceptions;
import static org.apache.pekko.http.javadsl.server.Directives.handleRejections;
import static org.apache.pekko.http.javadsl.server.Directives.path;

import dev.meridian.backup.engine.Engine;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.operation.Access;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MalformedQueryParamRejection;
import org.apache.pekko.http.javadsl.server.MethodRejection;
import org.apache.pekko.http.javadsl.server.Rejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds the HTTP gateway: REST under /api/v1, /healthz, /metrics, and the extra routes given (MCP), all behind one
 * {@link OriginPolicy} (Host, Origin, CORS preflight, JSON content type).
 */
public final class HttpServer {
    private static final Logger log = LoggerFactory.getLogger(HttpServer.class);

    private HttpServer() {}

    /** @throws dev.meridian.backup.model.BackupException when the Host/Origin allow-lists are invalid */
    public static CompletionStage<ServerBinding> bind(Engine engine, List<Route> extra) {
        return bind(engine, extra, engine.settings().httpHost(), engine.settings().httpPort());
    }

    /** As {@link #bind(Engine, List)}, on {@code host:port} (port 0: any free port) in place of {@code meridian.http}. */
    public static CompletionStage<ServerBinding> bind(Engine engine, List<Route> extra, String host, int port) {
        OriginPolicy origins = OriginPolicy.from(engine.settings());
        origins.warnings().forEach(log::warn);
        ApiRoutes api = new ApiRoutes(engine, new Access(engine.settings().authTokens()), new EventStreams(engine));
        List<Route> all = new java.util.ArrayList<>();
        all.add(path("healthz", () -> get(() -> complete(Responses.json(200, health(engine))))));
        all.add(path("metrics", () -> get(() -> api.authorized(dev.meridian.backup.config.Settings.Scope.READ,
                () -> complete(Responses.text(engine.context().metrics().scrape(), "text/plain; version=0.0.4; charset=utf-8"))))));
        all.add(api.routes());
        all.addAll(extra);
        // The policy is outermost so that error answers (rejections, exceptions) get CORS headers too.
        Route root = origins.guard(() -> handleExceptions(exceptions(), () -> handleRejections(rejections(),
                () -> concat(all.get(0), all.subList(1, all.size()).toArray(Route[]::new)))));
        return Http.get(engine.system()).newServerAt(host, port).bind(root);
    }

    private static Map<String, Object> health(Engine engine) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("status", "ok");
        h.put("databases", engine.settings().databases().size());
        h.put("backups", engine.backupCount());
        h.put("unreadable_manifests", engine.unreadableManifestCount());
        return h;
    }

    private static ExceptionHandler exceptions() {
        return ExceptionHandler.newBuilder().matchAny(t -> complete(Responses.error(t))).build();
    }

    private static RejectionHandler rejections() {
        return RejectionHandler.newBuilder()
                .handleAll(MethodRejection.class, rs -> complete(Responses.error(ErrorCode.INVALID_ARGUMENT,
                        "method not allowed here; use " + rs.stream().map(r -> r.supported().name()).distinct()
                                .collect(Collectors.joining(" or "))).withStatus(405)))
                .handle(org.apache.pekko.http.javadsl.server.MalformedRequestContentRejection.class, r -> {
                    boolean tooLarge = r.getCause() instanceof org.apache.pekko.http.scaladsl.model.EntityStreamSizeException
                            || r.getCause() != null && r.getCause().getCause() instanceof org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
                    return complete(tooLarge
                            ? Responses.error(ErrorCode.INVALID_ARGUMENT, "request body is larger than " + ApiRoutes.MAX_BODY
                                    + " bytes; the API's JSON bodies are small, check what is being sent").withStatus(413)
                            : Responses.error(ErrorCode.INVALID_ARGUMENT, "request body could not be read: "
                                    + r.message().replaceAll("\\s+", " ")));
                })
                .handle(MalformedQueryParamRejection.class, r -> complete(Responses.error(ErrorCode.INVALID_ARGUMENT,
                        "query parameter '" + r.parameterName() + "' is malformed: " + r.errorMsg())))
                .handleNotFound(extractRequest(req -> complete(Responses.error(ErrorCode.NOT_FOUND,
                        "no endpoint " + req.method().name() + " " + req.getUri().path() + "; see docs/api.md"))))
                .handle(Rejection.class, r -> complete(Responses.error(ErrorCode.INVALID_ARGUMENT, "request rejected: " + r)))
                .build();
    }
}
