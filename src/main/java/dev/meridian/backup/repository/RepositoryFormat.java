package dev.meridian.backup.repository;

import java.time.Instant;

/**
 * {@code config.json}: written once when the repository is created. Readers refuse a format or hash they do not
 * know. {@code compression} records the setting at creation; each object's header says how it was actually stored.
 */
public record RepositoryFormat(int formatVersion, String repositoryId, String hash, String compression,
        String encryption, Instant createdAt) {
    public static final int CURRENT = 1;
    public static final String HASH = "blake3-256";
    public static final String KEY = "config.json";
}
