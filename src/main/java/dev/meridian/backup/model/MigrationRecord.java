package dev.meridian.backup.model;

import java.time.Instant;

/**
 * One schema migration run through the embedding API, recorded beside the {@code pre_migration} backup taken
 * before it ({@code migrations/<database>/<backup id>.json} in the repository, sealed when the repository is
 * encrypted) and shown as that backup's {@code migration} in list/show (REST, MCP, CLI).
 *
 * @param schemaVersionTo the schema version the migration was to reach
 * @param outcome         {@code applied}, {@code rolled_back} (the database was restored to this backup) or
 *                        {@code rollback_failed} (the operator must act; {@code rollback} says what)
 * @param error           why the migration failed (its exception, or the failed check), null when applied
 * @param rollback        what the rollback did or why it failed, null when applied
 * @param at              when the outcome was known (UTC)
 */
public record MigrationRecord(BackupId backupId, String database, String schemaVersionTo, String outcome, String error,
        String rollback, Instant at) {
    public static final String APPLIED = "applied";
    public static final String ROLLED_BACK = "rolled_back";
    public static final String ROLLBACK_FAILED = "rollback_failed";
}
