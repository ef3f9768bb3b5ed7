package dev.meridian.backup.model;

import java.util.Locale;

/** Byte counts for people, in IEC binary units (IEC 80000-13: 1 KiB = 1024 bytes): "512 B", "1.5 MiB", "120 GiB". */
public final class IecSize {
    private static final String[] UNITS = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

    private IecSize() {}

    /**
     * {@code bytes} below 1024 as "N B"; above, in the largest unit that keeps the value at or above 1, with one
     * decimal below 100 ("1.5 MiB") and none from 100 on ("120 GiB"). Negative counts are shown as "N B".
     */
    public static String format(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < UNITS.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, v >= 100 ? "%.0f %s" : "%.1f %s", v, UNITS[u]);
    }
}
