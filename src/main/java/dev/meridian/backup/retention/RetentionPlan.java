package dev.meridian.backup.retention;

import dev.meridian.backup.config.Settings;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.BackupType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Which backups of one database the configured policies keep and which they delete. Pure; no I/O. */
public record RetentionPlan(List<BackupId> delete, List<BackupId> keep) {
    public RetentionPlan {
        delete = List.copyOf(delete);
        keep = List.copyOf(keep);
    }

    public static RetentionPlan compute(Settings.DatabaseSettings db, List<BackupSummary> backups, Instant now) {
        List<BackupId> delete = new ArrayList<>();
        List<BackupId> keep = new ArrayList<>();
        for (BackupType type : BackupType.values()) {
            List<BackupSummary> ofType = backups.stream().filter(b -> b.type() == type).toList();
            Set<BackupId> kept = db.policyFor(type).keep(ofType, now);
            for (BackupSummary b : ofType) {
                (kept.contains(b.backupId()) ? keep : delete).add(b.backupId());
            }
        }
        delete.sort(null);
        keep.sort(null);
        return new RetentionPlan(delete, keep);
    }
}
