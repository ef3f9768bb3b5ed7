package dev.meridian.backup.retention;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.BackupType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class RetentionPolicyTest {
    static final Instant NOW = Instant.parse("2026-11-26T12:00:00Z");

    static BackupSummary at(Instant when) {
        return new BackupSummary(BackupId.generate(when, new SplittableRandom(when.toEpochMilli())), "db", BackupType.SCHEDULED,
                "", List.of(), when, when, 0, 0, 1, 0, 1, 1, null, null, null);
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
        return h.stream().filter(b -> ids.contains(b.backupId())).map(BackupSummary::completedAt).collect(Collectors.toSet());
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
}
