package dev.meridian.backup.repository.seal;

import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.Validation;
import java.util.Locale;

/** A repository's encryption mode, chosen when it is created ({@code meridian.repository.encryption}). */
public enum Encryption {
    NONE("none"),
    AES_256_GCM("aes-256-gcm");

    private final String wireName;

    Encryption(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    /** Parses {@code none} or {@code aes-256-gcm}; anything else is an invalid-argument error naming both. */
    public static Encryption parse(String s) {
        for (Encryption e : values()) {
            if (e.wireName.equals(s == null ? "" : s.trim().toLowerCase(Locale.ROOT))) {
                return e;
            }
        }
        throw BackupException.invalid("encryption '" + Validation.printable(String.valueOf(s))
                + "' is unknown; use none or aes-256-gcm");
    }

    @Override
    public String toString() {
        return wireName;
    }
}
