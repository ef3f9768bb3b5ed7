package dev.meridian.backup.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.Schedule;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ScheduleTest {
    static Instant t(String s) {
        return Instant.parse(s);
    }

    @Test
    void dailyRunsAtItsTimeAndNextIsStrictlyAfter() {
        Schedule s = Schedule.parse("daily@02:00");
        assertEquals(t("2026-11-26T02:00:00Z"), s.next(t("2026-11-26T01:59:59Z")));
        assertEquals(t("2026-11-27T02:00:00Z"), s.next(t("2026-11-26T02:00:00Z")));
        assertEquals(t("2026-11-26T02:00:00Z"), s.previous(t("2026-11-26T02:00:00Z")));
        assertEquals(t("2026-11-25T02:00:00Z"), s.previous(t("2026-11-26T01:00:00Z")));
    }

    @Test
    void hourlyWeeklyAndIntervals() {
        assertEquals(t("2026-11-26T04:00:00Z"), Schedule.parse("hourly").next(t("2026-11-26T03:10:00Z")));
        Schedule w = Schedule.parse("weekly@SUN@03:30");
        assertEquals(t("2026-11-29T03:30:00Z"), w.next(t("2026-11-26T00:00:00Z")));
        assertEquals(t("2026-11-22T03:30:00Z"), w.previous(t("2026-11-26T00:00:00Z")));
        Schedule e = Schedule.parse("every 6h");
        assertEquals(t("2026-11-26T06:00:00Z"), e.next(t("2026-11-26T03:00:00Z")));
        assertEquals(t("2026-11-26T00:00:00Z"), e.previous(t("2026-11-26T03:00:00Z")));
        assertNull(Schedule.parse("off"));
    }

    @Test
    void badSchedulesAreRefusedWithTheAcceptedForms() {
        for (String bad : new String[] {"daily", "daily@25:00", "weekly@XYZ@01:00", "every 0m", "every 5s", "sometimes"}) {
            BackupException e = assertThrows(BackupException.class, () -> Schedule.parse(bad), bad);
            assertEquals(true, e.getMessage().contains(bad.split("@")[0].split(" ")[0]) || e.getMessage().contains("weekday")
                    || e.getMessage().contains("interval"), e.getMessage());
        }
    }
}
