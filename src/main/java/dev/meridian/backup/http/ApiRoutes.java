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

import dev.meridian.backup.engine.Engine;
import dev.meridian.backup.model.BackupRequest;
import dev.meridian.backup.config.Settings.Scope;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.ProgressUpdate;
import dev.meridian.backup.model.Validation;
import dev.meridian.backup.repository.Catalog;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/** The REST API under {@code /api/v1}. Every handler validates, asks the engine, and maps failures in one place. */
public final class ApiRoutes {
    static final long MAX_BODY = 64 * 1024;
    private final Engine engine;
    private final Auth auth;
    private final EventStreams events;

    public ApiRoutes(Engine engine, Auth auth, EventStreams events) {
        this.engine = engine;
        this.auth = auth;
        this.events = events;
    }

    /** Bodies of the POST endpoints; unknown fields and wrong types are refused by {@link JsonBodies}. */
    public record CreateBackupBody(String type, String description, List<String> tags,
            @com.fasterxml.jackson.databind.annotation.JsonDeserialize(using = JsonBodies.StringOrInteger.class) String schemaVersion,
            Boolean waitForVerify) {}

    public record RestoreBody(String target, Boolean createSafetyBackup) {}

    public record RetentionBody(Boolean dryRun) {}

    public record VerifyBody(Boolean deep) {}

    public Route routes() {
        return pathPrefix("api", () -> pathPrefix("v1", () -> concat(
                path("databases", () -> get(() -> authorized(Scope.READ, this::listDatabases))),
                pathPrefix("databases", () -> pathPrefix(segment(), db -> concat(
                        path("backups", () -> concat(
                                get(() -> authorized(Scope.READ, () -> listBackups(Optional.of(db)))),
                                post(() -> authorized(Scope.BACKUP, () -> createBackup(db))))),
                        path(segment("retention").slash("apply"), () -> post(() -> authorized(Scope.ADMIN, () -> retention(db))))))),
                path("backups", () -> get(() -> authorized(Scope.READ, () -> listBackups(Optional.empty())))),
                pathPrefix("backups", () -> pathPrefix(segment(), id -> concat(
                        pathEnd(() -> concat(
                                get(() -> authorized(Scope.READ, () -> showBackup(id))),
                                delete(() -> authorized(Scope.ADMIN, () -> deleteBackup(id))))),
                        path("manifest", () -> get(() -> authorized(Scope.READ, () -> manifest(id)))),
                        path("verify", () -> post(() -> authorized(Scope.READ, () -> verify(id)))),
                        path("restore", () -> post(() -> authorized(Scope.ADMIN, () -> restore(id))))))),
                path("stats", () -> get(() -> authorized(Scope.READ, this::stats))),
                path(segment("operations").slash(segment()), requestId -> delete(() -> authorized(Scope.BACKUP, () -> {
                    engine.cancel(requestId);
                    return complete(Responses.json(202, Map.of("request_id", requestId, "cancel_requested", true)));
                }))))));
    }

    Route authorized(Scope scope, Supplier<Route> inner) {
        return extractRequest(req -> {
            Optional<HttpResponse> denied = auth.check(req, scope);
            return denied.isPresent() ? complete(denied.get()) : inner.get();
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

    private static CompletionStage<HttpResponse> ok(Object body) {
        return CompletableFuture.completedFuture(Responses.json(200, body));
    }

    private Route withBody(Function<String, Route> inner) {
        return withSizeLimit(MAX_BODY, () -> entity(Unmarshaller.entityToString(), inner));
    }

    private Route listDatabases() {
        return handle(() -> engine.databases().thenApply(list -> Responses.json(200, new Views.DatabaseList(
                list.stream().map(s -> Views.database(s, engine.settings(), engine.catalog())).toList()))));
    }

    private Route listBackups(Optional<String> db) {
        return parameterOptional("database", dbParam -> parameterOptional("type", type -> parameterOptional("tag", tag ->
                parameterOptional("limit", limit -> parameterOptional("cursor", cursor -> handle(() -> {
                    String database = db.orElse(dbParam.orElse(null));
                    Catalog.Query q = new Catalog.Query(database == null ? null : engine.database(database),
                            type.map(BackupType::parse).orElse(null), tag.map(Validation::tag).orElse(null),
                            parseLimit(limit), Cursors.decode(cursor.orElse(null)));
                    return ok(Views.page(engine.listBackups(q)));
                }))))));
    }

    static int parseLimit(Optional<String> raw) {
        if (raw.isEmpty()) {
            return 50;
        }
        int n;
        try {
            n = Integer.parseInt(raw.get());
        } catch (NumberFormatException e) {
            throw BackupException.invalid("limit '" + Validation.printable(raw.get()) + "' is not a number; use 1..1000");
        }
        return Validation.limit(n, 50, 1000);
    }

    private Route createBackup(String db) {
        return withBody(body -> extractRequest(req -> {
            try {
                CreateBackupBody b = JsonBodies.parse(body, CreateBackupBody.class);
                String database = engine.database(db);
                BackupRequest request = backupRequest(req, b);
                return events.respond(req, p -> engine.createBackup(database, request, p),
                        summary -> Responses.json(201, summary)
                                .addHeader(Location.create("/api/v1/backups/" + summary.backupId().value())));
            } catch (RuntimeException e) {
                return complete(Responses.error(e));
            }
        }));
    }

    static BackupRequest backupRequest(HttpRequest req, CreateBackupBody b) {
        BackupType type = b.type() == null ? BackupType.MANUAL : BackupType.parse(b.type());
        String schema = Validation.schemaVersion(b.schemaVersion());
        if (type == BackupType.PRE_MIGRATION && schema == null) {
            throw BackupException.invalid("a pre_migration backup needs schema_version (the schema it was taken before)");
        }
        return new BackupRequest(requestId(req), type, Validation.description(b.description()), Validation.tags(b.tags()),
                schema, Boolean.TRUE.equals(b.waitForVerify()));
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
        return handle(() -> ok(engine.backup(BackupId.parse(id))));
    }

    private Route manifest(String id) {
        return handle(() -> {
            BackupId backupId = BackupId.parse(id);
            engine.backup(backupId);
            return engine.readManifest(backupId).thenApply(m -> Responses.json(200, m));
        });
    }

    private Route deleteBackup(String id) {
        return extractRequest(req -> handle(() -> engine.delete(BackupId.parse(id), requestId(req))
                .thenApply(r -> Responses.json(200, r))));
    }

    private Route verify(String id) {
        return withBody(body -> extractRequest(req -> {
            try {
                boolean deep = Boolean.TRUE.equals(JsonBodies.parse(body, VerifyBody.class).deep());
                BackupId backupId = BackupId.parse(id);
                String requestId = requestId(req);
                return events.respond(req, (ActorRef<ProgressUpdate> p) -> engine.verify(backupId, deep, requestId, p),
                        r -> Responses.json(200, r));
            } catch (RuntimeException e) {
                return complete(Responses.error(e));
            }
        }));
    }

    private Route restore(String id) {
        return withBody(body -> extractRequest(req -> {
            try {
                RestoreBody b = JsonBodies.parse(body, RestoreBody.class);
                BackupId backupId = BackupId.parse(id);
                String requestId = requestId(req);
                boolean safety = b.createSafetyBackup() == null || b.createSafetyBackup();
                return events.respond(req, p -> engine.restore(backupId, b.target(), safety, requestId, p),
                        r -> Responses.json(200, r));
            } catch (RuntimeException e) {
                return complete(Responses.error(e));
            }
        }));
    }

    private Route retention(String db) {
        return withBody(body -> extractRequest(req -> handle(() -> {
            RetentionBody b = JsonBodies.parse(body, RetentionBody.class);
            return engine.applyRetention(engine.database(db), Boolean.TRUE.equals(b.dryRun()), requestId(req))
                    .thenApply(r -> Responses.json(200, r));
        })));
    }

    private Route stats() {
        return parameterOptional("database", db -> handle(() -> ok(engine.stats(db.orElse(null)))));
    }
}
