package dev.meridian.backup.model;

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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Which backups of one type to keep, in the manner of restic's {@code forget}: a backup is kept if any rule keeps
 * it. A backup's time is its {@code created_at} (the time in its id). keep-last N keeps the N newest;
 * keep-hourly/daily/weekly/monthly N keep the newest backup in each of the N most recent hours/days/ISO
 * weeks/months (UTC) that have one; keep-within D keeps every backup made at most D before the newest one (measured
 * from the newest backup, not from now, so a quiet period never empties a type). A policy with no rule keeps
 * everything.
 *
 * <p>Two rules hold whatever the policy says:
 * <ul>
 *   <li>the newest backup of the type is always kept, so retention never leaves a type without its latest backup
 *       (and the backup that a retention run follows is never deleted by it);</li>
 *   <li>a backup whose time lies more than {@link #FUTURE_TOLERANCE} ahead of {@code now} (a clock that was wrong
 *       when it was made, or is wrong now) is kept and left out of the ranking: it cannot push real backups out of
 *       keep-last or anchor keep-within, and it is never deleted until the clock has caught up with it.</li>
 * </ul>
 */
public record RetentionPolicy(Integer keepLast, Integer keepHourly, Integer keepDaily, Integer keepWeekly,
        Integer keepMonthly, Duration keepWithin) {

    public static final RetentionPolicy KEEP_ALL = new RetentionPolicy(null, null, null, null, null, null);

    /** The rules as spelled in the configuration ({@code retention.<type>.<rule>}). */
    public static final List<String> RULES = List.of("keep-last", "keep-hourly", "keep-daily", "keep-weekly",
            "keep-monthly", "keep-within");

    /** How far ahead of the clock a backup's time may lie and still be ranked (small clock steps, NTP slew). */
    public static final Duration FUTURE_TOLERANCE = Duration.ofMinutes(5);

    public static final String NEWEST = "newest of its type";
    public static final String FUTURE = "future timestamp";
    public static final String NO_POLICY = "no policy for its type";

    /** Newest first: by created_at, then by id (ids carry the same time to the millisecond). */
    private static final Comparator<BackupSummary> NEWEST_FIRST =
            Comparator.comparing(BackupSummary::createdAt).thenComparing(BackupSummary::backupId).reversed();

    public boolean keepsEverything() {
        return keepLast == null && keepHourly == null && keepDaily == null && keepWeekly == null && keepMonthly == null
                && keepWithin == null;
    }

    /** Whether {@code b} lies further ahead of {@code now} than {@link #FUTURE_TOLERANCE}. */
    public static boolean inFuture(BackupSummary b, Instant now) {
        return b.createdAt().isAfter(now.plus(FUTURE_TOLERANCE));
    }

    /** The ids to keep among {@code backups} (all of one database and type); {@code now} is the run's start. */
    public Set<BackupId> keep(List<BackupSummary> backups, Instant now) {
        return reasons(backups, now).keySet();
    }

    /**
     * The backups to keep among {@code backups} (all of one database and type), each with why it is kept
     * (e.g. "newest of its type", "keep-last 3", "future timestamp"), the reasons in rule order. Every backup not in the map
     * may be deleted. {@code now} is the start of the retention run; it only decides which backups lie in the
     * future.
     */
    public Map<BackupId, List<String>> reasons(List<BackupSummary> backups, Instant now) {
        Map<BackupId, List<String>> keep = new LinkedHashMap<>();
        List<BackupSummary> newestFirst = new ArrayList<>();
        List<BackupSummary> sorted = new ArrayList<>(backups);
        sorted.sort(NEWEST_FIRST);
        for (BackupSummary b : sorted) {
            if (inFuture(b, now)) {
                because(keep, b, FUTURE);
            } else {
                newestFirst.add(b);
            }
        }
        if (keepsEverything()) {
            newestFirst.forEach(b -> because(keep, b, NO_POLICY));
            return keep;
        }
        if (!newestFirst.isEmpty()) {
            because(keep, newestFirst.get(0), NEWEST);
        }
        if (keepLast != null) {
            newestFirst.stream().limit(keepLast).forEach(b -> because(keep, b, "keep-last " + keepLast));
        }
        bucketed(newestFirst, keepHourly, "keep-hourly", t -> t.truncatedTo(ChronoUnit.HOURS), keep);
        bucketed(newestFirst, keepDaily, "keep-daily", t -> t.truncatedTo(ChronoUnit.DAYS), keep);
        bucketed(newestFirst, keepWeekly, "keep-weekly",
                t -> t.get(IsoFields.WEEK_BASED_YEAR) * 100L + t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR), keep);
        bucketed(newestFirst, keepMonthly, "keep-monthly", t -> t.getYear() * 100L + t.getMonthValue(), keep);
        if (keepWithin != null && !newestFirst.isEmpty()) {
            Instant cutoff = newestFirst.get(0).createdAt().minus(keepWithin);
            String reason = "keep-within " + format(keepWithin);
            newestFirst.stream().filter(b -> !b.createdAt().isBefore(cutoff)).forEach(b -> because(keep, b, reason));
        }
        return keep;
    }

    private static void because(Map<BackupId, List<String>> keep, BackupSummary b, String reason) {
        keep.computeIfAbsent(b.backupId(), id -> new ArrayList<>()).add(reason);
    }

    private static void bucketed(List<BackupSummary> newestFirst, Integer count, String rule,
            Function<ZonedDateTime, Object> bucket, Map<BackupId, List<String>> keep) {
        if (count == null) {
            return;
        }
        Set<Object> seen = new HashSet<>();
        for (BackupSummary b : newestFirst) {
            if (seen.size() >= count) {
                return;
            }
            if (seen.add(bucket.apply(b.createdAt().atZone(ZoneOffset.UTC)))) {
                because(keep, b, rule + " " + count);
            }
        }
    }

    /** A duration as the configuration writes it: 90d, 36h, 2m, 45s (ISO-8601 when none fits). */
    static String format(Duration d) {
        long s = d.getSeconds();
        if (d.getNano() != 0) {
            return d.toString();
        }
        if (s % 86_400 == 0) {
            return s / 86_400 + "d";
        }
        if (s % 3_600 == 0) {
            return s / 3_600 + "h";
        }
        if (s % 60 == 0) {
            return s / 60 + "m";
        }
        return s + "s";
    }
}
