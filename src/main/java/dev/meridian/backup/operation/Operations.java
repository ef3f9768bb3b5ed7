package dev.meridian.backup.operation;

import dev.meridian.backup.config.Settings.Scope;
import dev.meridian.backup.engine.Engine;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupRequest;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.CatalogStats;
import dev.meridian.backup.model.DatabaseStatus;
import dev.meridian.backup.model.DeleteResult;
import dev.meridian.backup.model.Manifest;
import dev.meridian.backup.model.RestoreResult;
import dev.meridian.backup.model.RetentionResult;
import dev.meridian.backup.model.VerifyResult;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The table of operations. REST routes ({@code http.ApiRoutes}) and MCP tools ({@code mcp.BackupTools}) both bind
 * to these entries, so an operation's scope, validation, Engine call and result shape exist once. Scopes: reading
 * needs read; taking a backup and cancelling need backup; whatever deletes or replaces data (delete, restore,
 * retention, and a scheduled backup, which applies retention) needs admin.
 */
public final class Operations {
    private Operations() {}

    /** The configured databases with their live status and backups. */
    public static final Operation<Void, Views.DatabaseList> DATABASES = new Operation<>("database.list", Scope.READ,
            (engine, none, call) -> engine.databases().thenApply(list -> new Views.DatabaseList(
                    list.stream().map(s -> database(engine, s)).toList())));

    /** A page of backups. */
    public static final Operation<Arguments.ListQuery, Views.BackupPage> LIST = new Operation<>("backup.list", Scope.READ,
            (engine, q, call) -> {
                if (q.database() != null) {
                    engine.database(q.database());
                }
                return CompletableFuture.completedFuture(Views.page(engine.listBackups(q.catalogQuery())));
            });

    /** One backup's metadata. */
    public static final Operation<BackupId, BackupSummary> SHOW = new Operation<>("backup.show", Scope.READ,
            (engine, id, call) -> CompletableFuture.completedFuture(engine.backup(id)));

    /** One backup's manifest: every file with its size and Blake3 hash. */
    public static final Operation<BackupId, Manifest> MANIFEST = new Operation<>("backup.manifest", Scope.READ,
            (engine, id, call) -> {
                engine.backup(id);
                return engine.readManifest(id);
            });

    /** Takes a backup of any type; the database may be left out when only one is configured. */
    public static final Operation<Arguments.Create, BackupSummary> CREATE = new Operation<>("backup.create", Scope.BACKUP,
            (engine, a, call) -> {
                String db = engine.databaseOrOnly(a.database());
                return engine.createBackup(db, new BackupRequest(call.requestId(), a.type(), a.description(), a.tags(),
                        a.schemaVersion(), a.waitForVerify(), a.checkpointDir(), a.removeCheckpoint()), call.progress());
            });

    /** Applies a database's retention policy, which deletes the backups beyond it (or, dry, lists them). */
    public static final Operation<Arguments.Retention, RetentionResult> RETENTION = new Operation<>("retention.apply",
            Scope.ADMIN, (engine, a, call) -> engine.applyRetention(engine.database(a.database()), a.dryRun(), call.requestId()));

    /**
     * Takes a backup, then applies retention (what the scheduler does). It needs the scope of {@link #RETENTION},
     * which it includes: retention deletes backups, however it is reached.
     */
    public static final Operation<Arguments.Create, Views.ScheduledOutcome> CREATE_SCHEDULED = new Operation<>(
            "backup.create_scheduled", RETENTION.scope(), Operations::createScheduled);

    public static final Operation<Arguments.Verify, VerifyResult> VERIFY = new Operation<>("backup.verify", Scope.READ,
            (engine, a, call) -> engine.verify(a.backupId(), a.deep(), call.requestId(), call.progress()));

    public static final Operation<Arguments.Restore, RestoreResult> RESTORE = new Operation<>("backup.restore", Scope.ADMIN,
            (engine, a, call) -> engine.restore(a.backupId(), a.target(), a.createSafetyBackup(), call.requestId(),
                    call.progress()));

    public static final Operation<BackupId, DeleteResult> DELETE = new Operation<>("backup.delete", Scope.ADMIN,
            (engine, id, call) -> engine.delete(id, call.requestId()));

    /** Totals for one database, or for all when the argument is null. */
    public static final Operation<String, CatalogStats> STATS = new Operation<>("backup.get_stats", Scope.READ,
            (engine, db, call) -> CompletableFuture.completedFuture(engine.stats(db)));

    /** Asks the operation with this request id to stop, wherever it runs or waits; unknown ids are ignored. */
    public static final Operation<String, Map<String, Object>> CANCEL = new Operation<>("operation.cancel", Scope.BACKUP,
            (engine, requestId, call) -> engine.cancel(requestId).thenApply(found -> {
                if (!found) {
                    throw BackupException.notFound("no queued or running operation has request id '" + requestId
                            + "'; it may have finished already (the id is the X-Request-Id of the call to cancel)");
                }
                return Map.<String, Object>of("request_id", requestId, "cancel_requested", true);
            }));

    private static Views.DatabaseView database(Engine engine, DatabaseStatus s) {
        var db = engine.settings().database(s.name());
        List<BackupSummary> backups = engine.backupsOf(s.name());
        return new Views.DatabaseView(s.name(), s.path(), s.state(), s.currentOperation(), s.queued(), s.queueCapacity(),
                s.sequenceNumber(), s.estimatedKeys(), s.liveSstBytes(), s.statsAt(), s.error(),
                db.map(d -> d.schedule() == null ? "off" : d.schedule().spec()).orElse(null), backups.size(),
                backups.isEmpty() ? null : backups.get(backups.size() - 1),
                db.map(d -> d.owner().wireName()).orElse(null));
    }

    private static CompletionStage<Views.ScheduledOutcome> createScheduled(Engine engine, Arguments.Create a,
            Operation.Call call) {
        String db = engine.databaseOrOnly(a.database());
        Arguments.Create here = new Arguments.Create(db, a.type(), a.description(), a.tags(), a.schemaVersion(), a.waitForVerify(),
                a.checkpointDir(), a.removeCheckpoint());
        return CREATE.run(engine, here, call).thenCompose(summary -> {
            call.notes().accept("backup " + summary.backupId() + " of " + db + " created; applying retention");
            return RETENTION.run(engine, new Arguments.Retention(db, false), call).handle((r, err) -> {
                if (err != null) {
                    BackupException e = BackupException.from(err, "retention failed");
                    throw new BackupException(e.code(), "backup " + summary.backupId() + " of " + db
                            + " was created, but applying retention failed: " + e.getMessage()
                            + "; the backup is kept, and retention runs again on its timer");
                }
                return new Views.ScheduledOutcome(summary, new Views.RetentionOutcome(r.deleted(), r.kept()));
            });
        });
    }
}
