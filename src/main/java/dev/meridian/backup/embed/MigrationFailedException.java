package dev.meridian.backup.embed;

import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.model.MigrationRecord;

/**
 * A migration failed: {@link #record()} holds both the migration's error and the rollback's outcome
 * ({@code rolled_back}: the database equals the pre-migration backup again; {@code rollback_failed}: it may still
 * hold part of the migration, and {@code record().rollback()} says what the operator must do). The message names
 * both. The migration's own exception, when it threw one, is the cause.
 */
public final class MigrationFailedException extends BackupException {
    private final transient MigrationRecord record;

    MigrationFailedException(MigrationRecord record, Throwable migrationError) {
        super(ErrorCode.CONFLICT, "migration of database " + record.database() + " to schema version "
                + record.schemaVersionTo() + " failed: " + record.error() + ". Rollback to pre-migration backup "
                + record.backupId() + ": " + (MigrationRecord.ROLLED_BACK.equals(record.outcome()) ? "done, " : "FAILED, ")
                + record.rollback(), migrationError);
        this.record = record;
    }

    /** The recorded attempt, as {@code migration} of the pre-migration backup in list/show. */
    public MigrationRecord record() {
        return record;
    }

    /** {@code rolled_back} or {@code rollback_failed}. */
    public String outcome() {
        return record.outcome();
    }
}
