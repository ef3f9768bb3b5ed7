package dev.meridian.backup.retention;

import dev.meridian.backup.model.BackupId;
import java.util.List;

/** What applying retention to one database did (or, in a dry run, would do). */
public record RetentionResult(String database, boolean dryRun, List<BackupId> deleted, List<BackupId> kept) {
    public RetentionResult {
        deleted = List.copyOf(deleted);
        kept = List.copyOf(kept);
    }
}
