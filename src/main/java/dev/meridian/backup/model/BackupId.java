package dev.meridian.backup.model;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.random.RandomGenerator;
import java.util.regex.Pattern;

/**
 * A backup's id: UTC time to the millisecond, then 24 random bits, e.g. {@code 20261126T021948123Z-7f3a2c}.
 * Ids sort by time and contain only [0-9A-Za-z-], so they are safe as file names.
 */
public record BackupId(String value) implements Comparable<BackupId> {
    // Public so the MCP tool schemas publish exactly the format enforced here.
    public static final Pattern FORMAT = Pattern.compile("[0-9]{8}T[0-9]{9}Z-[0-9a-f]{6}");
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssSSS'Z'").withZone(ZoneOffset.UTC);

    public BackupId {
        if (value == null || !FORMAT.matcher(value).matches()) {
            throw BackupException.invalid("invalid backup id '" + Validation.printable(value)
                    + "'; ids look like 20261126T021948123Z-7f3a2c (list backups to find one)");
        }
    }

    public static BackupId parse(String value) {
        return new BackupId(value);
    }

    public static BackupId generate(Instant at, RandomGenerator random) {
        byte[] suffix = new byte[3];
        for (int i = 0; i < suffix.length; i++) {
            suffix[i] = (byte) random.nextInt(256);
        }
        return new BackupId(TIME.format(at) + "-" + HexFormat.of().formatHex(suffix));
    }

    @Override
    public int compareTo(BackupId o) {
        return value.compareTo(o.value);
    }

    @Override
    public String toString() {
        return value;
    }
}
