package dev.meridian.backup.model;

import dev.meridian.backup.model.BackupId;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What applying retention to one database did (or, in a dry run, would do). {@code reasons} maps each kept backup
 * to why it is kept, e.g. {@code ["newest of its type", "keep-last 3"]} or {@code ["future timestamp"]}.
 */
public record RetentionResult(String database, boolean dryRun, List<BackupId> deleted, List<BackupId> kept,
        Map<BackupId, List<String>> reasons) {
    public RetentionResult {
        deleted = List.copyOf(deleted);
        kept = List.copyOf(kept);
        TreeMap<BackupId, List<String>> copy = new TreeMap<>();
        reasons.forEach((id, why) -> copy.put(id, List.copyOf(why)));
        reasons = java.util.Collections.unmodifiableMap(copy);
    }

    /** A result without reasons (a caller that only needs the ids). */
    public RetentionResult(String database, boolean dryRun, List<BackupId> deleted, List<BackupId> kept) {
        this(database, dryRun, deleted, kept, Map.of());
    }
}
