package dev.meridian.backup.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.meridian.backup.config.Settings;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.RetentionPolicy;
import dev.meridian.backup.retention.RetentionPlan;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class RetentionPolicyTest {
    static final Instant NOW = Instant.parse("2026-11-26T12:00:00Z");

    static BackupSummary at(Instant when) {
        return at(when, BackupType.SCHEDULED);
    }

    static BackupSummary at(Instant when, BackupType type) {
        return new BackupSummary(BackupId.generate(when, new SplittableRandom(when.toEpochMilli())), "db", type,
                "", List.of(), when, when.plusSeconds(30), 0, 0, 1, 0, 1, 1, null, null, null);
    }

    /** One backup every 6 hours for 70 days. */
    static List<BackupSummary> history() {
        List<BackupSummary> all = new ArrayList<>();
        for (int i = 0; i < 70 * 4; i++) {
            all.add(at(NOW.minus(Duration.ofHours(6L * i))));
        }
        return all;
    }

    static Set<Instant> kept(RetentionPolicy p) {
        List<BackupSummary> h = history();
        Set<BackupId> ids = p.keep(h, NOW);
        return h.stream().filter(b -> ids.contains(b.backupId())).map(BackupSummary::createdAt).collect(Collectors.toSet());
    }

    @Test
    void keepLastKeepsTheNewestN() {
        Set<Instant> k = kept(new RetentionPolicy(7, null, null, null, null, null));
        assertEquals(7, k.size());
        assertEquals(NOW, k.stream().max(Instant::compareTo).orElseThrow());
        assertEquals(NOW.minus(Duration.ofHours(36)), k.stream().min(Instant::compareTo).orElseThrow());
    }

    @Test
    void keepDailyKeepsTheNewestOfEachOfTheLastNDays() {
        Set<Instant> k = kept(new RetentionPolicy(null, null, 3, null, null, null));
        assertEquals(Set.of(NOW, Instant.parse("2026-11-25T18:00:00Z"), Instant.parse("2026-11-24T18:00:00Z")), k);
    }

    @Test
    void rulesCombineAndAnEmptyPolicyKeepsEverything() {
        assertEquals(history().size(), kept(RetentionPolicy.KEEP_ALL).size());
        Set<Instant> k = kept(new RetentionPolicy(2, null, null, 2, 3, Duration.ofHours(13)));
        // keep-within 13h: 3 backups; keep-last 2 is inside that; 2 weeks and 3 months add the newest of each.
        assertEquals(true, k.contains(NOW.minus(Duration.ofHours(12))));
        assertEquals(false, k.contains(NOW.minus(Duration.ofHours(18))));
        assertEquals(3 + 1 + 2, k.size(), k.toString());
    }

    /** The database settings of a config snippet, read the way the server reads them. */
    static Settings.DatabaseSettings database(String retention) {
        Config c = ConfigFactory.parseString("meridian.databases = [{ name = db, path = \"/tmp/retention-test-db\", "
                + "retention { " + retention + " } }]").withFallback(Settings.load(Optional.empty())).resolve();
        return Settings.from(c).database("db").orElseThrow();
    }

    // Issue 7 item 2: keep-within 2m, retention every 1m, one manual backup; 3 minutes later it was deleted and the
    // database had no backup left. keep-within is measured from the newest backup, which is always kept.
    @Test
    void keepWithinNeverDeletesTheOnlyBackupAfterAQuietPeriod() {
        Settings.DatabaseSettings db = database("manual { keep-within = 2m }");
        BackupSummary only = at(NOW, BackupType.MANUAL);
        for (Duration later : List.of(Duration.ofMinutes(1), Duration.ofMinutes(3), Duration.ofDays(91), Duration.ofDays(3650))) {
            RetentionPlan plan = RetentionPlan.compute(db, List.of(only), NOW.plus(later));
            assertEquals(List.of(), plan.delete(), "after " + later);
            assertEquals(List.of(only.backupId()), plan.keep());
            assertTrue(plan.reasons().get(only.backupId()).contains(RetentionPolicy.NEWEST), plan.reasons().toString());
        }
    }

    // restic's semantics: keep-within D keeps what was made within D of the newest backup, however long ago that was.
    @Test
    void keepWithinCountsBackFromTheNewestBackupNotFromNow() {
        Settings.DatabaseSettings db = database("manual { keep-within = 90d }");
        List<BackupSummary> manual = new ArrayList<>();
        for (int day = 0; day < 200; day += 10) {
            manual.add(at(NOW.minus(Duration.ofDays(day)), BackupType.MANUAL));
        }
        // The README's keep-within = 90d after 120 quiet days: the last 90 days of backups stay, not none of them.
        RetentionPlan plan = RetentionPlan.compute(db, manual, NOW.plus(Duration.ofDays(120)));
        Set<BackupId> within = manual.stream().filter(b -> !b.createdAt().isBefore(NOW.minus(Duration.ofDays(90))))
                .map(BackupSummary::backupId).collect(Collectors.toSet());
        assertEquals(10, within.size());
        assertEquals(within, Set.copyOf(plan.keep()));
        assertEquals(manual.size() - within.size(), plan.delete().size());
        assertEquals(List.of("keep-within 90d"), plan.reasons().get(manual.get(5).backupId()));
    }

    // The whole kind: whatever the policy, the newest backup of every type survives, and a backup made just before
    // a run (the scheduled backup that the run follows) is never deleted by it.
    @Test
    void everyPolicyKeepsTheNewestBackupOfEachType() {
        SplittableRandom r = new SplittableRandom(7);
        for (int round = 0; round < 500; round++) {
            List<BackupSummary> backups = new ArrayList<>();
            Instant t = NOW.minus(Duration.ofDays(400));
            int n = 1 + r.nextInt(40);
            for (int i = 0; i < n; i++) {
                t = t.plus(Duration.ofMinutes(1 + r.nextLong(60L * 24 * 20)));
                backups.add(at(t, BackupType.values()[r.nextInt(BackupType.values().length)]));
            }
            String type = BackupType.values()[r.nextInt(BackupType.values().length)].wireName();
            String rule = RetentionPolicy.RULES.get(r.nextInt(RetentionPolicy.RULES.size()));
            String value = rule.equals("keep-within") ? (1 + r.nextInt(120)) + "m" : "1";
            Settings.DatabaseSettings db = database(type + " { " + rule + " = " + value + " }");
            Instant now = t.plus(Duration.ofMinutes(r.nextLong(60L * 24 * 365)));
            RetentionPlan plan = RetentionPlan.compute(db, backups, now);
            for (BackupType bt : BackupType.values()) {
                backups.stream().filter(b -> b.type() == bt).max(Comparator.comparing(BackupSummary::createdAt))
                        .ifPresent(newest -> assertTrue(plan.keep().contains(newest.backupId()),
                                "history " + backups + ": newest " + bt + " kept under " + rule + " = " + value));
            }
            assertEquals(backups.size(), plan.keep().size() + plan.delete().size());
        }
    }

    // Clock trouble 1: a backup dated a year ahead (made while the clock was wrong) is kept, warned about, and does
    // not count for keep-last: it must not push every real backup out.
    @Test
    void aBackupDatedAYearAheadDoesNotPushRealBackupsOutOfKeepLast() {
        Settings.DatabaseSettings db = database("manual { keep-last = 2 }");
        List<BackupSummary> real = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            real.add(at(NOW.minus(Duration.ofHours(i)), BackupType.MANUAL));
        }
        BackupSummary ahead = at(NOW.plus(Duration.ofDays(365)), BackupType.MANUAL);
        List<BackupSummary> all = new ArrayList<>(real);
        all.add(ahead);
        RetentionPlan plan = RetentionPlan.compute(db, all, NOW.plusSeconds(5));
        assertEquals(Set.of(ahead.backupId(), real.get(0).backupId(), real.get(1).backupId()), Set.copyOf(plan.keep()));
        assertEquals(List.of(ahead.backupId()), plan.future());
        assertEquals(List.of(RetentionPolicy.FUTURE), plan.reasons().get(ahead.backupId()));
        assertEquals(List.of(RetentionPolicy.NEWEST, "keep-last 2"), plan.reasons().get(real.get(0).backupId()));
        // A backup a little ahead (clock steps within the tolerance) is ranked as usual.
        BackupSummary slightly = at(NOW.plus(Duration.ofMinutes(2)), BackupType.MANUAL);
        RetentionPlan near = RetentionPlan.compute(db, List.of(real.get(0), real.get(1), slightly), NOW);
        assertEquals(List.of(real.get(1).backupId()), near.delete());
        assertEquals(List.of(), near.future());
    }

    // Clock trouble 2: the clock jumps a year forward. keep-within is anchored at the newest backup, so nothing
    // changes; the clock jumping back a year makes every backup "future", and then nothing is deleted.
    @Test
    void aClockThatJumpsAYearDoesNotTurnKeepWithinIntoAMassDeletion() {
        RetentionPolicy p = new RetentionPolicy(null, null, null, null, null, Duration.ofHours(13));
        List<BackupSummary> h = history();
        Set<BackupId> today = p.keep(h, NOW);
        assertEquals(3, today.size());
        assertEquals(today, p.keep(h, NOW.plus(Duration.ofDays(365))));
        assertEquals(h.size(), p.keep(h, NOW.minus(Duration.ofDays(365))).size(), "all ahead of the clock: all kept");
        assertEquals(h.size(), new RetentionPolicy(1, null, null, null, null, null).keep(h, NOW.minus(Duration.ofDays(365))).size());
    }

    @Test
    void eachKeptBackupSaysWhichRulesKeepIt() {
        List<BackupSummary> h = history(); // every 6 hours back from NOW = 2026-11-26T12:00Z
        Map<BackupId, List<String>> why = new RetentionPolicy(3, null, 2, null, null, Duration.ofHours(1)).reasons(h, NOW);
        assertEquals(List.of(RetentionPolicy.NEWEST, "keep-last 3", "keep-daily 2", "keep-within 1h"), why.get(h.get(0).backupId()));
        assertEquals(List.of("keep-last 3"), why.get(h.get(1).backupId()));
        assertEquals(List.of("keep-last 3"), why.get(h.get(2).backupId()));
        assertEquals(List.of("keep-daily 2"), why.get(h.get(3).backupId()), "18:00 on the 25th is that day's newest");
        assertEquals(4, why.size());
        assertEquals(List.of(RetentionPolicy.NO_POLICY), RetentionPolicy.KEEP_ALL.reasons(h, NOW).get(h.get(9).backupId()));
    }
}
