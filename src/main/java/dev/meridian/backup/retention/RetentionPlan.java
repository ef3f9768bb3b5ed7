package dev.meridian.backup.retention;

import dev.meridian.backup.config.Settings;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.RetentionPolicy;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which backups of one database the configured policies keep and which they delete. Pure; no I/O.
 * {@code reasons} says why each kept backup is kept; {@code future} lists the backups whose time lies ahead of the
 * run's clock (kept, and worth a warning: a clock is or was wrong).
 */
public record RetentionPlan(List<BackupId> delete, List<BackupId> keep, Map<BackupId, List<String>> reasons,
        List<BackupId> future) {
    public RetentionPlan {
        delete = List.copyOf(delete);
        keep = List.copyOf(keep);
        TreeMap<BackupId, List<String>> copy = new TreeMap<>();
        reasons.forEach((id, why) -> copy.put(id, List.copyOf(why)));
        reasons = java.util.Collections.unmodifiableMap(copy);
        future = List.copyOf(future);
    }

    /**
     * Applies each type's policy of {@code db} to {@code backups} (all of that database). {@code now} is the start of
     * the run: backups created after it (beyond {@link RetentionPolicy#FUTURE_TOLERANCE}) are kept and reported in
     * {@link #future()}.
     */
    public static RetentionPlan compute(Settings.DatabaseSettings db, List<BackupSummary> backups, Instant now) {
        List<BackupId> delete = new ArrayList<>();
        List<BackupId> keep = new ArrayList<>();
        Map<BackupId, List<String>> reasons = new TreeMap<>();
        List<BackupId> future = new ArrayList<>();
        for (BackupType type : BackupType.values()) {
            List<BackupSummary> ofType = backups.stream().filter(b -> b.type() == type).toList();
            Map<BackupId, List<String>> kept = db.policyFor(type).reasons(ofType, now);
            for (BackupSummary b : ofType) {
                (kept.containsKey(b.backupId()) ? keep : delete).add(b.backupId());
                if (RetentionPolicy.inFuture(b, now)) {
                    future.add(b.backupId());
                }
            }
            reasons.putAll(kept);
        }
        delete.sort(null);
        keep.sort(null);
        future.sort(null);
        return new RetentionPlan(delete, keep, reasons, future);
    }
}
