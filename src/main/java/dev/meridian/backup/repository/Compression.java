package dev.meridian.backup.repository;

import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.Validation;

/**
 * The repository's compression setting: {@code off}, {@code zstd:<level>}, or {@code auto} (zstd at a fast level,
 * but a file whose first block does not shrink by at least 10% is stored as is, e.g. RocksDB SSTs that are
 * already LZ4/Snappy-compressed).
 */
public record Compression(Mode mode, int level) {
    public enum Mode { OFF, ZSTD, AUTO }

    public static final int AUTO_LEVEL = 1;
    /** A block must compress to at most this fraction of its size for auto mode to compress the file. */
    public static final double AUTO_THRESHOLD = 0.9;

    public static Compression parse(String s) {
        if (s == null || s.equals("off") || s.equals("none")) {
            return new Compression(Mode.OFF, 0);
        }
        if (s.equals("auto")) {
            return new Compression(Mode.AUTO, AUTO_LEVEL);
        }
        if (s.equals("zstd")) {
            return new Compression(Mode.ZSTD, 3);
        }
        if (s.startsWith("zstd:")) {
            try {
                int level = Integer.parseInt(s.substring(5));
                if (level >= 1 && level <= 19) {
                    return new Compression(Mode.ZSTD, level);
                }
            } catch (NumberFormatException e) {
                // falls through to the error below
            }
        }
        throw BackupException.invalid("invalid compression '" + Validation.printable(s) + "': use auto, off, or zstd:<1-19>");
    }

    @Override
    public String toString() {
        return switch (mode) {
            case OFF -> "off";
            case AUTO -> "auto";
            case ZSTD -> "zstd:" + level;
        };
    }
}
