package dev.meridian.backup.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.delete;
import static org.apache.pekko.http.javadsl.server.Directives.entity;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.parameterOptional;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEnd;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.Directives.withSizeLimit;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import dev.meridian.backup.config.Settings.Scope;
import dev.meridian.backup.engine.Engine;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.operation.Access;
import dev.meridian.backup.operation.Arguments;
import dev.meridian.backup.operation.JsonBodies;
import dev.meridian.backup.operation.Operation;
import dev.meridian.backup.operation.Operations;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/**
 * The REST API under {@code /api/v1}: each route reads its path, query and JSON body into an {@link Arguments} record
 * and runs the matching entry of {@link Operations}; failures are answered by {@link Responses#error}.
 */
public final class ApiRoutes {
    static final long MAX_BODY = 64 * 1024;
    private final Engine engine;
    private final Access access;
    private final EventStreams events;

    public ApiRoutes(Engine engine, Access access, EventStreams events) {
        this.engine = engine;
        this.access = access;
        this.events = events;
    }

    /** Bodies of the POST endpoints; unknown fields and wrong types are refused by {@link JsonBodies}. */
    public record CreateBackupBody(String type, String description, List<String> tags,
            @com.fasterxml.jackson.databind.annotation.JsonDeserialize(using = JsonBodies.StringOrInteger.class) String schemaVersion,
            Boolean waitForVerify, String checkpointDir, Boolean removeCheckpoint) {}

    public record RestoreBody(String target, Boolean createSafetyBackup) {}

    public record RetentionBody(Boolean dryRun) {}

    public record VerifyBody(Boolean deep) {}

    public Route routes() {
        return pathPrefix("api", () -> pathPrefix("v1", () -> concat(
                path("databases", () -> get(() -> authorized(Operations.DATABASES.scope(), this::listDatabases))),
                pathPrefix("databases", () -> pathPrefix(segment(), db -> concat(
                        path("backups", () -> concat(
                                get(() -> authorized(Operations.LIST.scope(), () -> listBackups(Optional.of(db)))),
                                post(() -> authorized(Operations.CREATE.scope(), () -> createBackup(db))))),
                        path(segment("retention").slash("apply"),
                                () -> post(() -> authorized(Operations.RETENTION.scope(), () -> retention(db))))))),
                path("backups", () -> get(() -> authorized(Operations.LIST.scope(), () -> listBackups(Optional.empty())))),
                pathPrefix("backups", () -> pathPrefix(segment(), id -> concat(
                        pathEnd(() -> concat(
                                get(() -> authorized(Operations.SHOW.scope(), () -> showBackup(id))),
                                delete(() -> authorized(Operations.DELETE.scope(), () -> deleteBackup(id))))),
                        path("manifest", () -> get(() -> authorized(Operations.MANIFEST.scope(), () -> manifest(id)))),
                        path("verify", () -> post(() -> authorized(Operations.VERIFY.scope(), () -> verify(id)))),
                        path("restore", () -> post(() -> authorized(Operations.RESTORE.scope(), () -> restore(id))))))),
                path("stats", () -> get(() -> authorized(Operations.STATS.scope(), this::stats))),
                path(segment("operations").slash(segment()), requestId -> delete(() -> authorized(Operations.CANCEL.scope(),
                        () -> handle(() -> ok(Operations.CANCEL, requestId, Operation.Call.of(requestId), 202))))))));
    }

    Route authorized(Scope scope, Supplier<Route> inner) {
        return extractRequest(req -> {
            Optional<Access.Denial> denied = access.check(req.getHeader("Authorization").map(h -> h.value()), scope);
            return denied.isPresent() ? complete(Responses.denied(denied.get())) : inner.get();
        });
    }

    /** Runs a handler, turning validation errors thrown while reading the request into error responses. */
    private static Route handle(Supplier<CompletionStage<HttpResponse>> h) {
        CompletionStage<HttpResponse> stage;
        try {
            stage = h.get();
        } catch (RuntimeException e) {
            stage = CompletableFuture.completedFuture(Responses.error(e));
        }
        return completeWithFuture(stage.exceptionally(Responses::error));
    }

    /** Runs an operation that sends no progress and answers its result view as JSON with {@code status}. */
    private <A, R> CompletionStage<HttpResponse> ok(Operation<A, R> op, A args, Operation.Call call, int status) {
        return op.run(engine, args, call).thenApply(r -> Responses.json(status, r));
    }

    /** Runs an operation that reports progress: as an event stream when the client asks for one, else plain JSON. */
    private <A, R> Route withProgress(HttpRequest req, Operation<A, R> op, A args, String requestId,
            Function<R, HttpResponse> plain) {
        return events.respond(req, p -> op.run(engine, args, new Operation.Call(requestId, p, null)), plain);
    }

    /** Reads a JSON body (at most {@link #MAX_BODY} bytes) and the request; a failure in {@code inner} is the answer. */
    private Route withBody(java.util.function.BiFunction<String, HttpRequest, Route> inner) {
        return withSizeLimit(MAX_BODY, () -> entity(Unmarshaller.entityToString(), body -> extractRequest(req -> {
            try {
                return inner.apply(body, req);
            } catch (RuntimeException e) {
                return complete(Responses.error(e));
            }
        })));
    }

    private Route listDatabases() {
        return handle(() -> ok(Operations.DATABASES, null, Operation.Call.of(Engine.newRequestId()), 200));
    }

    private Route listBackups(Optional<String> db) {
        return parameterOptional("database", dbParam -> parameterOptional("type", type -> parameterOptional("tag", tag ->
                parameterOptional("limit", limit -> parameterOptional("cursor", cursor -> handle(() -> {
                    Arguments.ListQuery q = Arguments.ListQuery.of(db.orElse(dbParam.orElse(null)), type.orElse(null),
                            tag.orElse(null), Arguments.ListQuery.limit(limit.orElse(null)), cursor.orElse(null));
                    return ok(Operations.LIST, q, Operation.Call.of(Engine.newRequestId()), 200);
                }))))));
    }

    private Route createBackup(String db) {
        return withBody((body, req) -> {
            CreateBackupBody b = JsonBodies.parse(body, CreateBackupBody.class);
            engine.database(db);
            Arguments.Create args = Arguments.Create.of(db, b.type(), b.description(), b.tags(), b.schemaVersion(),
                    b.waitForVerify(), b.checkpointDir(), b.removeCheckpoint());
            return withProgress(req, Operations.CREATE, args, requestId(req), summary -> Responses.json(201, summary)
                    .addHeader(Location.create("/api/v1/backups/" + summary.backupId().value())));
        });
    }

    static String requestId(HttpRequest req) {
        return req.getHeader("X-Request-Id").map(h -> {
            String v = h.value();
            if (!v.matches("[A-Za-z0-9._:-]{1,128}")) {
                throw BackupException.invalid("X-Request-Id must be 1-128 letters, digits, '.', '_', ':' or '-'");
            }
            return v;
        }).orElseGet(Engine::newRequestId);
    }

    private Route showBackup(String id) {
        return handle(() -> ok(Operations.SHOW, BackupId.parse(id), Operation.Call.of(Engine.newRequestId()), 200));
    }

    private Route manifest(String id) {
        return handle(() -> ok(Operations.MANIFEST, BackupId.parse(id), Operation.Call.of(Engine.newRequestId()), 200));
    }

    private Route deleteBackup(String id) {
        return extractRequest(req -> handle(() -> ok(Operations.DELETE, BackupId.parse(id), Operation.Call.of(requestId(req)), 200)));
    }

    private Route verify(String id) {
        return withBody((body, req) -> {
            VerifyBody b = JsonBodies.parse(body, VerifyBody.class);
            return withProgress(req, Operations.VERIFY, Arguments.Verify.of(id, b.deep()), requestId(req),
                    r -> Responses.json(200, r));
        });
    }

    private Route restore(String id) {
        return withBody((body, req) -> {
            RestoreBody b = JsonBodies.parse(body, RestoreBody.class);
            Arguments.Restore args = Arguments.Restore.of(id, b.target(), b.createSafetyBackup());
            return withProgress(req, Operations.RESTORE, args, requestId(req), r -> Responses.json(200, r));
        });
    }

    private Route retention(String db) {
        return withBody((body, req) -> handle(() -> {
            RetentionBody b = JsonBodies.parse(body, RetentionBody.class);
            return ok(Operations.RETENTION, Arguments.Retention.of(db, b.dryRun()), Operation.Call.of(requestId(req)), 200);
        }));
    }

    private Route stats() {
        return parameterOptional("database", db -> handle(() -> ok(Operations.STATS, db.orElse(null),
                Operation.Call.of(Engine.newRequestId()), 200)));
    }
}
