package dev.meridian.backup.model;

import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.Validation;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** When scheduled backups run: {@code hourly}, {@code daily@HH:MM}, {@code weekly@MON@HH:MM}, {@code every 6h}. Times are UTC. */
public sealed interface Schedule {

    /** The first slot strictly after {@code t}. */
    Instant next(Instant t);

    /** The last slot at or before {@code t}. */
    Instant previous(Instant t);

    String spec();

    record Hourly() implements Schedule {
        public Instant next(Instant t) {
            return t.truncatedTo(ChronoUnit.HOURS).plus(1, ChronoUnit.HOURS);
        }

        public Instant previous(Instant t) {
            return t.truncatedTo(ChronoUnit.HOURS);
        }

        public String spec() {
            return "hourly";
        }
    }

    record Daily(LocalTime at) implements Schedule {
        public Instant next(Instant t) {
            ZonedDateTime z = t.atZone(ZoneOffset.UTC).with(at).truncatedTo(ChronoUnit.MINUTES);
            return z.toInstant().isAfter(t) ? z.toInstant() : z.plusDays(1).toInstant();
        }

        public Instant previous(Instant t) {
            ZonedDateTime z = t.atZone(ZoneOffset.UTC).with(at).truncatedTo(ChronoUnit.MINUTES);
            return !z.toInstant().isAfter(t) ? z.toInstant() : z.minusDays(1).toInstant();
        }

        public String spec() {
            return "daily@" + at;
        }
    }

    record Weekly(DayOfWeek day, LocalTime at) implements Schedule {
        public Instant next(Instant t) {
            ZonedDateTime z = t.atZone(ZoneOffset.UTC).with(TemporalAdjusters.nextOrSame(day)).with(at)
                    .truncatedTo(ChronoUnit.MINUTES);
            return z.toInstant().isAfter(t) ? z.toInstant() : z.plusWeeks(1).toInstant();
        }

        public Instant previous(Instant t) {
            ZonedDateTime z = t.atZone(ZoneOffset.UTC).with(TemporalAdjusters.previousOrSame(day)).with(at)
                    .truncatedTo(ChronoUnit.MINUTES);
            return !z.toInstant().isAfter(t) ? z.toInstant() : z.minusWeeks(1).toInstant();
        }

        public String spec() {
            return "weekly@" + day.name().substring(0, 3) + "@" + at;
        }
    }

    /** Every fixed interval, in slots aligned to the Unix epoch so restarts do not shift them. */
    record Every(Duration interval) implements Schedule {
        public Instant next(Instant t) {
            return previous(t).plus(interval);
        }

        public Instant previous(Instant t) {
            long ms = interval.toMillis();
            return Instant.ofEpochMilli(Math.floorDiv(t.toEpochMilli(), ms) * ms);
        }

        public String spec() {
            return "every " + interval.toString().substring(2).toLowerCase(Locale.ROOT);
        }
    }

    Pattern DAILY = Pattern.compile("daily@(\\d{2}:\\d{2})");
    Pattern WEEKLY = Pattern.compile("weekly@([A-Za-z]{3})@(\\d{2}:\\d{2})");
    Pattern EVERY = Pattern.compile("every\\s+(\\d+)\\s*([mhd])");

    /** Parses a schedule; {@code off} or empty gives null (no scheduled backups). */
    static Schedule parse(String spec) {
        if (spec == null || spec.isBlank() || spec.equals("off")) {
            return null;
        }
        String s = spec.trim();
        if (s.equals("hourly")) {
            return new Hourly();
        }
        try {
            Matcher m = DAILY.matcher(s);
            if (m.matches()) {
                return new Daily(LocalTime.parse(m.group(1)));
            }
            m = WEEKLY.matcher(s);
            if (m.matches()) {
                return new Weekly(day(m.group(1)), LocalTime.parse(m.group(2)));
            }
        } catch (DateTimeParseException e) {
            throw invalid(spec);
        }
        Matcher m = EVERY.matcher(s);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            Duration d = switch (m.group(2)) {
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
            if (d.compareTo(Duration.ofMinutes(1)) < 0 || d.compareTo(Duration.ofDays(366)) > 0) {
                throw BackupException.invalid("schedule '" + spec + "': the interval must be between 1 minute and 366 days");
            }
            return new Every(d);
        }
        throw invalid(spec);
    }

    private static DayOfWeek day(String abbrev) {
        String a = abbrev.toUpperCase(Locale.ROOT);
        for (DayOfWeek d : DayOfWeek.values()) {
            if (d.name().startsWith(a)) {
                return d;
            }
        }
        throw BackupException.invalid("unknown weekday '" + abbrev + "'; use MON, TUE, WED, THU, FRI, SAT or SUN");
    }

    private static BackupException invalid(String spec) {
        return BackupException.invalid("invalid schedule '" + Validation.printable(spec)
                + "': use hourly, daily@HH:MM, weekly@MON@HH:MM, every <n>m|h|d, or off");
    }
}
