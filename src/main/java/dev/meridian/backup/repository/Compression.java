package dev.meridian.backup.repository;

import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.Validation;

/**
 * The repository's compression setting: {@code off}, {@code zstd:<level>} (-7..19; negative levels are zstd's
 * fast modes), or {@code auto}: zstd's fast level -3, block by block, storing as is any block that does not
 * shrink by at least 10%; a file whose first 64 KiB do not shrink, or that has two such blocks in a row, is stored
 * as is from there on (RocksDB SSTs are usually LZ4/Snappy-compressed already). Level -3 rather than 1: on the
 * benchmark's data it compresses as well and costs a third less CPU, and on 2 cores CPU is what a backup waits for.
 */
public record Compression(Mode mode, int level) {
    public enum Mode { OFF, ZSTD, AUTO }

    public static final int AUTO_LEVEL = -3;
    public static final int MIN_LEVEL = -7;
    public static final int MAX_LEVEL = 19;
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
                if (level >= MIN_LEVEL && level <= MAX_LEVEL && level != 0) {
                    return new Compression(Mode.ZSTD, level);
                }
            } catch (NumberFormatException e) {
                // falls through to the error below
            }
        }
        throw BackupException.invalid("invalid compression '" + Validation.printable(s) + "': use auto, off, or zstd:<level> with level -7..19 (not 0)");
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
