package dev.meridian.backup.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

public enum BackupType {
    MANUAL,
    SCHEDULED,
    PRE_MIGRATION,
    INCREMENTAL;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static BackupType parse(String value) {
        for (BackupType t : values()) {
            if (t.wireName().equals(value)) {
                return t;
            }
        }
        throw BackupException.invalid("unknown backup type '" + Validation.printable(value) + "'; use one of "
                + Arrays.stream(values()).map(BackupType::wireName).collect(Collectors.joining(", ")));
    }
}
