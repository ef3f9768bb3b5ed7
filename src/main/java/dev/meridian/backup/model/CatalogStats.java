package dev.meridian.backup.model;

import java.time.Instant;
import java.util.Map;

/**
 * Totals over the catalog: for all backups (or one database's), per backup type (keyed by its wire name) and per
 * database. Sizes are bytes: {@code sizeBytes} is the logical size of the files backed up, {@code storedBytes} what
 * their objects take in the repository after deduplication and compression. {@code unreadableManifests} counts
 * manifests the catalog could not read.
 */
public record CatalogStats(Totals total, long repositoryBytes, int objectCount, Map<String, Totals> byType,
        Map<String, DatabaseStats> byDatabase, int unreadableManifests) {

    /**
     * Totals for one group of backups. {@code dedupRatio} is logical over stored bytes (null when nothing is
     * stored); {@code oldest}/{@code newest} are creation times (UTC); {@code lastBackupAgeSeconds} is the newest
     * backup's age. Null fields mean the group is empty.
     */
    public record Totals(int backups, long sizeBytes, long storedBytes, Double dedupRatio, Instant oldest,
            Instant newest, Long lastBackupAgeSeconds) {}

    /** One database's totals, overall and per backup type. */
    public record DatabaseStats(Totals total, Map<String, Totals> byType) {}
}
