package dev.meridian.backup.retention;

import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupSummary;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Which backups of one type to keep, in the manner of restic's {@code forget}: a backup is kept if any rule keeps
 * it. keep-last N keeps the N newest; keep-hourly/daily/weekly/monthly N keep the newest backup in each of the N
 * most recent hours/days/ISO weeks/months (UTC) that have one; keep-within D keeps all completed in the last D.
 * A policy with no rule keeps everything.
 */
public record RetentionPolicy(Integer keepLast, Integer keepHourly, Integer keepDaily, Integer keepWeekly,
        Integer keepMonthly, Duration keepWithin) {

    public static final RetentionPolicy KEEP_ALL = new RetentionPolicy(null, null, null, null, null, null);

    public boolean keepsEverything() {
        return keepLast == null && keepHourly == null && keepDaily == null && keepWeekly == null && keepMonthly == null
                && keepWithin == null;
    }

    /** The ids to keep among {@code backups} (all of one database and type). */
    public Set<BackupId> keep(List<BackupSummary> backups, Instant now) {
        List<BackupSummary> newestFirst = new ArrayList<>(backups);
        newestFirst.sort(Comparator.comparing(BackupSummary::backupId).reversed());
        if (keepsEverything()) {
            Set<BackupId> all = new LinkedHashSet<>();
            newestFirst.forEach(b -> all.add(b.backupId()));
            return all;
        }
        Set<BackupId> keep = new LinkedHashSet<>();
        if (keepLast != null) {
            newestFirst.stream().limit(keepLast).forEach(b -> keep.add(b.backupId()));
        }
        bucketed(newestFirst, keepHourly, t -> t.truncatedTo(ChronoUnit.HOURS), keep);
        bucketed(newestFirst, keepDaily, t -> t.truncatedTo(ChronoUnit.DAYS), keep);
        bucketed(newestFirst, keepWeekly,
                t -> t.get(IsoFields.WEEK_BASED_YEAR) * 100L + t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR), keep);
        bucketed(newestFirst, keepMonthly, t -> t.getYear() * 100L + t.getMonthValue(), keep);
        if (keepWithin != null) {
            Instant cutoff = now.minus(keepWithin);
            newestFirst.stream().filter(b -> !b.completedAt().isBefore(cutoff)).forEach(b -> keep.add(b.backupId()));
        }
        return keep;
    }

    private static void bucketed(List<BackupSummary> newestFirst, Integer count, Function<ZonedDateTime, Object> bucket,
            Set<BackupId> keep) {
        if (count == null) {
            return;
        }
        Set<Object> seen = new HashSet<>();
        for (BackupSummary b : newestFirst) {
            if (seen.size() >= count) {
                return;
            }
            if (seen.add(bucket.apply(b.completedAt().atZone(ZoneOffset.UTC)))) {
                keep.add(b.backupId());
            }
        }
    }
}
