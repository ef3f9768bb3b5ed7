package dev.meridian.backup.mcp;

import static dev.meridian.backup.mcp.ToolSchemas.anchored;
import static dev.meridian.backup.mcp.ToolSchemas.arrayOf;
import static dev.meridian.backup.mcp.ToolSchemas.backup;
import static dev.meridian.backup.mcp.ToolSchemas.backupId;
import static dev.meridian.backup.mcp.ToolSchemas.backupType;
import static dev.meridian.backup.mcp.ToolSchemas.integer;
import static dev.meridian.backup.mcp.ToolSchemas.mapOf;
import static dev.meridian.backup.mcp.ToolSchemas.nullable;
import static dev.meridian.backup.mcp.ToolSchemas.object;
import static dev.meridian.backup.mcp.ToolSchemas.props;
import static dev.meridian.backup.mcp.ToolSchemas.string;
import static dev.meridian.backup.mcp.ToolSchemas.timestamp;
import static dev.meridian.backup.mcp.ToolSchemas.totals;
import static dev.meridian.backup.mcp.ToolSchemas.type;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.meridian.backup.engine.Engine;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.model.Json;
import dev.meridian.backup.model.Validation;
import dev.meridian.backup.model.VerifyResult;
import dev.meridian.backup.operation.Arguments;
import dev.meridian.backup.operation.Operation;
import dev.meridian.backup.operation.Operations;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;

/**
 * The eight backup tools. Each reads its arguments into an {@link Arguments} record and runs an entry of
 * {@link Operations}, as the REST routes do, so MCP and REST share scopes, validation, per-database queueing and
 * errors. What is MCP's own: the tool names, titles, descriptions and JSON schemas.
 */
final class BackupTools {
    static final String CREATE = "backup.create";
    static final String LIST = "backup.list";
    static final String RESTORE = "backup.restore";
    static final String VERIFY = "backup.verify";
    static final String DELETE = "backup.delete";
    static final String GET_STATS = "backup.get_stats";
    static final String CREATE_SCHEDULED = "backup.create_scheduled";
    static final String CREATE_PRE_MIGRATION = "backup.create_pre_migration";
    /** The description of a backup that backup.create_scheduled takes. */
    static final String SCHEDULED_DESCRIPTION = "Scheduled backup (MCP)";

    private final Engine engine;
    private final McpSettings.ToolNameStyle style;
    private final DestructivePolicy policy;
    private final List<Tool> tools;

    /** @param policy what destructive calls do, and which tools are listed ({@code meridian.mcp.destructive}, read-only) */
    BackupTools(Engine engine, McpSettings.ToolNameStyle style, DestructivePolicy policy) {
        this.engine = engine;
        this.style = style;
        this.policy = policy;
        this.tools = List.of(create(), list(), restore(), verify(), delete(), getStats(), createScheduled(), createPreMigration())
                .stream().map(t -> policy.gate(t, wireName(t.name()))).toList();
    }

    /** The tools tools/list shows: all eight, less those the policy hides (deny, read-only). */
    List<Tool> all() {
        return tools.stream().filter(policy::listed).toList();
    }

    /** See {@link DestructivePolicy#mayElicit}; false for anything but a known tool. */
    boolean mayElicit(McpSession s, com.fasterxml.jackson.databind.JsonNode callParams) {
        return byWireName(callParams.path("name").asText("")).map(t -> policy.mayElicit(s, t, callParams)).orElse(false);
    }

    /** See {@link DestructivePolicy#asksFirst}. */
    boolean asksFirst(McpSession s, Tool t, ToolArguments args) {
        return policy.asksFirst(s, t, args);
    }

    DestructivePolicy policy() {
        return policy;
    }

    /** The name clients see for a tool, in the configured style. */
    String wireName(String dotted) {
        return style.apply(dotted);
    }

    /**
     * The tool a tools/call names. Both spellings are accepted whatever the configured style, so a client (or a
     * prompt) written for either keeps working: {@code backup.create} and {@code backup_create} are the same tool.
     */
    Optional<Tool> byWireName(String name) {
        return tools.stream().filter(t -> t.name().equals(name)
                || McpSettings.ToolNameStyle.UNDERSCORE.apply(t.name()).equals(name)).findFirst();
    }

    // ---- arguments shared by several tools ----

    private String databaseNames() {
        return String.join(", ", engine.settings().databases().keySet());
    }

    private Tool.Param database(String description) {
        ObjectNode s = string(description + " Configured: " + databaseNames() + ".");
        ArrayNode names = s.putArray("enum");
        engine.settings().databases().keySet().forEach(names::add);
        return new Tool.Param("database", Tool.Param.Type.STRING, false, s);
    }

    private Tool.Param databaseToBackUp() {
        return database("Database to back up; may be omitted only when exactly one database is configured.");
    }

    private static Tool.Param backupIdParam(String description) {
        return new Tool.Param("backup_id", Tool.Param.Type.STRING, true, backupId(description));
    }

    private static Tool.Param description() {
        ObjectNode s = string("Free text stored with the backup, e.g. why it was taken.")
                .put("maxLength", Validation.MAX_DESCRIPTION);
        return new Tool.Param("description", Tool.Param.Type.STRING, false, s);
    }

    private static ObjectNode tagSchema(String description) {
        return string(description).put("pattern", anchored(Validation.TAG));
    }

    /** Runs an operation for a tool call, with the call's request id, progress listener and log notes. */
    private <A, R> CompletionStage<R> run(Operation<A, R> op, A args, Tool.Context ctx) {
        return op.run(engine, args, new Operation.Call(ctx.requestId(), ctx.progress(),
                note -> ctx.notifier().log(LogLevel.INFO, note)));
    }

    /** {@link #run}, with the result view as the tool's structured result. */
    private <A, R> CompletionStage<Tool.Result> result(Operation<A, R> op, A args, Tool.Context ctx) {
        return run(op, args, ctx).thenApply(Tool.Result::ok);
    }

    // ---- the tools ----

    private Tool create() {
        ObjectNode tags = arrayOf(tagSchema(null), "Labels to find the backup by later (backup.list tag=...).")
                .put("maxItems", Validation.MAX_TAGS);
        return new Tool(CREATE, "Create backup",
                "Take a manual backup of one database now: a consistent RocksDB checkpoint, stored deduplicated "
                        + "(files unchanged since an earlier backup take no new space). It runs after any create, "
                        + "restore or delete already running or queued on that database; if that queue is full the "
                        + "call fails with [busy]: wait and retry. Returns the backup's metadata; 'verified' is null "
                        + "at first because verification runs in the background (call " + wireName(VERIFY)
                        + " to check it now). Manual backups are kept until deleted unless a manual retention "
                        + "policy is configured. Sends progress notifications when the request has a progressToken.",
                List.of(databaseToBackUp(), description(),
                        new Tool.Param("tags", Tool.Param.Type.STRING_LIST, false, tags),
                        new Tool.Param("checkpoint_dir", Tool.Param.Type.STRING, false, string("For a database with owner "
                                + "= application only: the absolute path of a RocksDB checkpoint its owning process "
                                + "wrote under the database's checkpoint roots, ingested instead of a checkpoint "
                                + "Meridian takes.")),
                        new Tool.Param("remove_checkpoint", Tool.Param.Type.BOOLEAN, false, type("boolean",
                                "Remove checkpoint_dir once the backup is published (default false; never on failure)."))),
                backup(), false, false, false, Operations.CREATE.scope(), "backup",
                (args, ctx) -> result(Operations.CREATE, Arguments.Create.of(args.string("database"), null,
                        args.string("description"), args.strings("tags"), null, null, args.string("checkpoint_dir"),
                        args.bool("remove_checkpoint")), ctx));
    }

    private Tool createPreMigration() {
        // The schema says string only: JSON Schema counts 7.0 as an integer, and 7.0 is refused here (it may mean
        // "7.0"). A whole number such as 42 is still accepted and recorded as "42", for clients that send one anyway.
        ObjectNode version = string("The schema version the data is in now, before the migration, as a string (e.g. "
                + "\"2026.11.1\" or \"42\").").put("pattern", anchored(Validation.SCHEMA_VERSION));
        return new Tool(CREATE_PRE_MIGRATION, "Create pre-migration backup",
                "Take a backup of type pre_migration right before a schema change, recording schema_version (the "
                        + "schema the data is in now) so the backup to return to is easy to find if the migration "
                        + "goes wrong. Queues like " + wireName(CREATE) + " and returns the backup's metadata. "
                        + "Kept until deleted unless a pre_migration retention policy is configured.",
                List.of(databaseToBackUp(), new Tool.Param("schema_version", Tool.Param.Type.STRING_OR_INTEGER, true, version),
                        description()),
                backup(), false, false, false, Operations.CREATE.scope(), "backup",
                (args, ctx) -> result(Operations.CREATE, Arguments.Create.of(args.string("database"),
                        BackupType.PRE_MIGRATION.wireName(), args.string("description"), null,
                        args.string("schema_version"), null), ctx));
    }

    private Tool createScheduled() {
        ObjectNode ids = arrayOf(backupId(null), null);
        ObjectNode retention = props();
        retention.set("deleted", ids.deepCopy().put("description", "Backups the retention policy deleted."));
        retention.set("kept", ids.deepCopy().put("description", "Backups the policy keeps."));
        ObjectNode out = props();
        out.set("backup", backup());
        out.set("retention", object(retention, "deleted", "kept"));
        return new Tool(CREATE_SCHEDULED, "Create scheduled backup and apply retention",
                "Take a backup of type scheduled (what the built-in scheduler does), then apply the database's "
                        + "retention policy, which DELETES older backups beyond it (scheduled backups default to "
                        + "keep-last 7). Returns the new backup and the ids retention deleted and kept. Use "
                        + wireName(CREATE) + " for a backup that the default policies never remove." + policy.descriptionNote(),
                concat(List.of(databaseToBackUp()), policy.confirmationParam(wireName(CREATE_SCHEDULED))),
                policy.outputSchema(object(out, "backup", "retention")), false, true, false,
                Operations.CREATE_SCHEDULED.scope(), "backup", (args, ctx) -> {
                    Arguments.Create c = Arguments.Create.of(args.string("database"), BackupType.SCHEDULED.wireName(),
                            SCHEDULED_DESCRIPTION, null, null, null);
                    return policy.run(CREATE_SCHEDULED, args, ctx, () -> policy.planScheduled(c.database()),
                            plan -> plan == null ? result(Operations.CREATE_SCHEDULED, c, ctx) : scheduledAsPlanned(c, plan, ctx));
                });
    }

    /**
     * A confirmed scheduled backup: the backup, then retention only if it deletes no backup beyond the confirmed
     * plan (a dry run decides); otherwise the backup is kept and nothing is deleted.
     */
    private CompletionStage<Tool.Result> scheduledAsPlanned(Arguments.Create c, DestructivePlan plan, Tool.Context ctx) {
        String db = plan.database();
        Arguments.Create here = new Arguments.Create(db, c.type(), c.description(), c.tags(), c.schemaVersion(), c.waitForVerify());
        return run(Operations.CREATE, here, ctx).thenCompose(summary ->
                run(Operations.RETENTION, new Arguments.Retention(db, true), ctx).thenCompose(dry -> {
                    List<BackupId> extra = DestructivePolicy.unplanned(plan, dry.deleted());
                    if (!extra.isEmpty()) {
                        return java.util.concurrent.CompletableFuture.completedFuture(new Tool.Result(null, true, "["
                                + ErrorCode.CONFLICT.wireName() + "] backup " + summary.backupId() + " of " + db + " was "
                                + "created, but retention was NOT applied: it would now also delete " + extra + ", which the "
                                + "confirmed plan did not list. Nothing was deleted; the scheduler applies retention on its "
                                + "timer, or call " + wireName(CREATE_SCHEDULED) + " again for a new plan."));
                    }
                    return run(Operations.RETENTION, new Arguments.Retention(db, false), ctx).thenApply(r -> Tool.Result.ok(
                            new dev.meridian.backup.operation.Views.ScheduledOutcome(summary,
                                    new dev.meridian.backup.operation.Views.RetentionOutcome(r.deleted(), r.kept()))));
                }));
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }

    private Tool list() {
        ObjectNode limit = integer("Backups per page, 1-1000 (default 50).").put("minimum", 1).put("maximum", 1000)
                .put("default", 50);
        ObjectNode out = props();
        out.set("backups", arrayOf(backup(), "This page, newest first."));
        out.set("total_count", integer("How many backups match, over all pages."));
        out.set("next_cursor", string("Present when more pages follow: pass it as 'cursor'."));
        return new Tool(LIST, "List backups",
                "List backups newest first, optionally only one database's, one type, or one tag. Returns one page "
                        + "and total_count; when next_cursor is present, call again with cursor set to it (and the "
                        + "same filters) for the next page. Read-only.",
                List.of(database("Only this database's backups; omit for all databases."),
                        new Tool.Param("type", Tool.Param.Type.STRING, false, backupType("Only backups of this type.")),
                        new Tool.Param("tag", Tool.Param.Type.STRING, false, tagSchema("Only backups carrying this tag.")),
                        new Tool.Param("limit", Tool.Param.Type.INTEGER, false, limit),
                        new Tool.Param("cursor", Tool.Param.Type.STRING, false,
                                string("next_cursor from the previous page, unchanged."))),
                object(out, "backups", "total_count"), true, false, true, Operations.LIST.scope(), null, this::listBackups);
    }

    private CompletionStage<Tool.Result> listBackups(ToolArguments args, Tool.Context ctx) {
        Arguments.ListQuery q = Arguments.ListQuery.of(args.string("database"), args.string("type"), args.string("tag"),
                args.integer("limit"), args.string("cursor"));
        return run(Operations.LIST, q, ctx).thenApply(p -> {
            ObjectNode page = Json.MAPPER.valueToTree(p);
            if (page.path("next_cursor").isNull()) {
                page.remove("next_cursor");
            }
            return new Tool.Result(page, false, null);
        });
    }

    private Tool restore() {
        ObjectNode out = props();
        out.set("backup_id", backupId("The backup restored."));
        out.set("database", string("The database restored into, or whose backup was copied out."));
        out.set("target", string("Where the files went: the live database path or the new directory."));
        out.set("safety_backup_id", nullable(backupId("Backup of the state before the restore; restore it to undo. "
                + "null when none was taken.")));
        out.set("duration_ms", integer("How long the restore took."));
        out.set("file_count", integer("Files restored."));
        out.set("bytes", integer("Bytes restored."));
        ObjectNode target = string("Leave out to REPLACE the live database the backup came from. To restore a copy "
                + "instead, give an absolute path of a new or empty directory under a restore root ("
                + engine.settings().restoreRoots().stream().map(Object::toString).collect(Collectors.joining(", "))
                + "), or the path of another configured database to replace that one.");
        ObjectNode safety = type("boolean", "Take a backup of the current state before replacing it (default true). "
                + "Turn off only when the current state is known to be worthless.").put("default", true);
        return new Tool(RESTORE, "Restore backup",
                "Restore a backup. Without target_path it REPLACES the live database the backup was taken from: the "
                        + "files are first written to a staging directory with every checksum checked, then a safety "
                        + "backup of the current state is taken (unless create_safety_backup is false; its id is "
                        + "returned as safety_backup_id, so the restore can be undone), then the database is swapped "
                        + "atomically and reopened. Writes to the database made after the backup are lost. With "
                        + "target_path it writes a copy elsewhere and leaves the source alone. Run " + wireName(VERIFY)
                        + " first and confirm with the user before replacing a live database. Queues behind other "
                        + "operations on the database; can be cancelled until the swap starts. Sends progress "
                        + "notifications when the request has a progressToken." + policy.descriptionNote(),
                concat(List.of(backupIdParam("The backup to restore (from " + wireName(LIST) + ")."),
                        new Tool.Param("target_path", Tool.Param.Type.STRING, false, target),
                        new Tool.Param("target", Tool.Param.Type.STRING, false, target.deepCopy().put("description",
                                "The same as target_path, under the name REST uses; give one of the two.")),
                        new Tool.Param("create_safety_backup", Tool.Param.Type.BOOLEAN, false, safety)),
                        policy.confirmationParam(wireName(RESTORE))),
                policy.outputSchema(object(out, "backup_id", "database", "target", "safety_backup_id", "duration_ms")),
                false, true, false, Operations.RESTORE.scope(), "restore", (args, ctx) -> {
                    Arguments.Restore restore = Arguments.Restore.of(args.string("backup_id"), restoreTarget(args),
                            args.bool("create_safety_backup"));
                    return policy.run(RESTORE, args, ctx,
                            () -> policy.planRestore(restore.backupId(), restore.target(), restore.createSafetyBackup()),
                            plan -> result(Operations.RESTORE, restore, ctx));
                });
    }

    /**
     * The restore target, given as target_path or (REST's name) target; null when neither is given. Both may be
     * given only with the same value. Only leaving it out means "replace the live database": an empty string is
     * more likely a mistake than a request to overwrite production, so it is refused.
     */
    private String restoreTarget(ToolArguments args) {
        String targetPath = args.string("target_path");
        String target = args.string("target");
        if (targetPath != null && target != null && !targetPath.equals(target)) {
            throw BackupException.invalid("arguments 'target_path' and 'target' of " + wireName(RESTORE) + " differ; they "
                    + "name the same thing, so give only one of them");
        }
        String name = targetPath != null ? "target_path" : "target";
        String given = targetPath != null ? targetPath : target;
        if (given != null && given.isBlank()) {
            throw BackupException.invalid("argument '" + name + "' of " + wireName(RESTORE) + " is empty; leave it "
                    + "out to restore over the live database, or give an absolute directory under a restore root");
        }
        return given;
    }

    private Tool verify() {
        ObjectNode error = props();
        error.set("file", string("The database file."));
        error.set("object", nullable(string("The repository object holding it.")));
        error.set("problem", string("What is wrong with it."));
        error.set("reason", string("object_damaged (missing, or size/Blake3 mismatch), sst_corrupt (intact copy of an "
                + "SST that fails RocksDB's block checksums; deep only) or unreadable."));
        ObjectNode out = props();
        out.set("backup_id", backupId("The backup verified."));
        out.set("database", string("Its database."));
        out.set("valid", type("boolean", "true when every file is intact."));
        out.set("files_checked", integer("Files read back."));
        out.set("bytes_checked", integer("Bytes read back."));
        out.set("errors", arrayOf(object(error, "file", "problem"), "One entry per damaged file; empty when valid."));
        out.set("checked_at", timestamp("When the check finished."));
        out.set("duration_ms", integer("How long it took."));
        out.set("deep", type("boolean", "Whether SST block checksums were checked too."));
        ObjectNode deep = type("boolean", "Also check every SST against RocksDB's own block checksums, as RocksDB "
                + "would when reading it (default false). Slower: each SST is written to a temporary file and read "
                + "again. Use it on backups taken before this check ran at backup time, or when a restored database "
                + "reports 'block checksum mismatch'.").put("default", false);
        return new Tool(VERIFY, "Verify backup",
                "Read every file of a backup back from the repository and check its Blake3 checksum (with "
                        + "deep=true, also RocksDB's block checksums of every SST). Returns valid=true when all files "
                        + "are intact; when any is damaged the call is an error result that lists each bad file: do not restore that backup, pick an older valid one. Changes no "
                        + "backup or database (it only records the outcome in the backup's 'verified' flag), and "
                        + "runs beside other work on the database. Run it before a restore. Sends progress "
                        + "notifications when the request has a progressToken.",
                List.of(backupIdParam("The backup to verify (from " + wireName(LIST) + ")."),
                        new Tool.Param("deep", Tool.Param.Type.BOOLEAN, false, deep)),
                object(out, "backup_id", "database", "valid", "files_checked", "bytes_checked", "errors"),
                true, false, true, Operations.VERIFY.scope(), "verify",
                (args, ctx) -> run(Operations.VERIFY, Arguments.Verify.of(args.string("backup_id"), args.bool("deep")), ctx)
                        .thenApply(BackupTools::verified));
    }

    /** A damaged backup is a tool error, but its report still matches the output schema, so it goes along. */
    private static Tool.Result verified(VerifyResult r) {
        if (r.valid()) {
            return Tool.Result.ok(r);
        }
        String bad = r.errors().stream().limit(10).map(e -> e.file() + " (" + e.problem() + ")").collect(Collectors.joining("; "));
        String message = "[" + ErrorCode.VERIFICATION_FAILED.wireName() + "] backup " + r.backupId() + " of " + r.database()
                + " failed verification: " + r.errors().size() + " of " + r.filesChecked() + " files are damaged: " + bad
                + (r.errors().size() > 10 ? "; ..." : "") + ". Do not restore from it; restore an older backup that "
                + "verifies, and take a new backup.";
        return new Tool.Result(Json.MAPPER.valueToTree(r), true, message);
    }

    private Tool delete() {
        ObjectNode out = props();
        out.set("backup_id", backupId("The backup deleted."));
        out.set("database", string("Its database."));
        out.set("deleted", type("boolean", "true once the backup is gone."));
        return new Tool(DELETE, "Delete backup",
                "Permanently delete one backup. It disappears at once and the storage only it used is reclaimed "
                        + "later; other backups that share files are unaffected. This cannot be undone: confirm with "
                        + "the user first. Deleting it again reports not_found." + policy.descriptionNote(),
                concat(List.of(backupIdParam("The backup to delete (from " + wireName(LIST) + ").")),
                        policy.confirmationParam(wireName(DELETE))),
                policy.outputSchema(object(out, "backup_id", "database", "deleted")), false, true, true,
                Operations.DELETE.scope(), "delete", (args, ctx) -> {
                    BackupId id = BackupId.parse(args.string("backup_id"));
                    return policy.run(DELETE, args, ctx, () -> policy.planDelete(id), plan -> result(Operations.DELETE, id, ctx));
                });
    }

    private Tool getStats() {
        ObjectNode perDb = props();
        perDb.set("total", totals());
        perDb.set("by_type", mapOf(totals(), "Totals per backup type."));
        ObjectNode out = props();
        out.set("total", totals());
        out.set("repository_bytes", integer("Bytes the whole repository occupies (all databases)."));
        out.set("object_count", integer("Distinct stored objects in the repository."));
        out.set("by_type", mapOf(totals(), "Totals per backup type (manual, scheduled, pre_migration, incremental)."));
        out.set("by_database", mapOf(object(perDb, "total", "by_type"), "Totals per database."));
        out.set("unreadable_manifests", integer("Manifests that could not be read at startup (should be 0)."));
        return new Tool(GET_STATS, "Backup statistics",
                "Statistics for one database or, without 'database', for all: number of backups and bytes in total, "
                        + "by type and by database; logical vs stored bytes and the deduplication ratio; oldest and "
                        + "newest backup; and last_backup_age_seconds, to check that backups are current. Read-only.",
                List.of(database("Only this database; omit for all databases.")),
                object(out, "total", "repository_bytes", "object_count", "by_type", "by_database", "unreadable_manifests"),
                true, false, true, Operations.STATS.scope(), null,
                (args, ctx) -> result(Operations.STATS, args.string("database"), ctx));
    }

    /** Names of all tools in the configured style, for messages. */
    String names() {
        return all().stream().map(t -> wireName(t.name())).collect(Collectors.joining(", "));
    }
}
