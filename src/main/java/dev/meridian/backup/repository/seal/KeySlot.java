package dev.meridian.backup.repository.seal;

import java.time.Instant;

/**
 * {@code keys/<id>.json}: one password's way to the repository keys. {@code wrappedKeys} is base64 of the AES-256-GCM
 * sealing of {@code master || name} (64 bytes, so 80 with the tag) under the Argon2id key of the password and
 * {@code salt}, with {@code nonce}; the associated data is {@code "meridian-key-slot-v1\0" + repositoryId + "\0" + id}.
 */
public record KeySlot(int version, String id, String kdf, int memoryKib, int iterations, int parallelism, String salt,
        String nonce, String wrappedKeys, Instant createdAt) {
    public static final int VERSION = 1;
    public static final String KDF = "argon2id";

    public KdfParameters parameters() {
        return new KdfParameters(memoryKib, iterations, parallelism);
    }

    public static String key(String id) {
        return KeySlots.PREFIX + id + ".json";
    }
}
