package dev.meridian.backup.model;

import java.util.HexFormat;
import java.util.regex.Pattern;

/** A Blake3-256 digest in lowercase hex; also the name of a repository object. */
public record Hash(String hex) implements Comparable<Hash> {
    private static final Pattern FORMAT = Pattern.compile("[0-9a-f]{64}");

    public Hash {
        if (hex == null || !FORMAT.matcher(hex).matches()) {
            throw BackupException.invalid("invalid blake3 hash '" + Validation.printable(hex) + "': expected 64 lowercase hex digits");
        }
    }

    public static Hash of(byte[] digest) {
        if (digest.length != 32) {
            throw new IllegalArgumentException("blake3-256 digest must be 32 bytes, got " + digest.length);
        }
        return new Hash(HexFormat.of().formatHex(digest));
    }

    public static boolean isValid(String hex) {
        return hex != null && FORMAT.matcher(hex).matches();
    }

    @Override
    public int compareTo(Hash o) {
        return hex.compareTo(o.hex);
    }

    @Override
    public String toString() {
        return hex;
    }
}
