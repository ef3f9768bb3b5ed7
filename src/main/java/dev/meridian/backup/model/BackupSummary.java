package dev.meridian.backup.model;

import java.time.Instant;
import java.util.List;

/**
 * A backup's metadata: the one JSON object REST, CLI {@code --json} and MCP all return.
 * {@code verified} is null until a verification has run, then its outcome.
 */
public record BackupSummary(
        BackupId backupId,
        String database,
        BackupType type,
        String description,
        List<String> tags,
        Instant createdAt,
        Instant completedAt,
        long queuedMs,
        long durationMs,
        long sizeBytes,
        long storedBytes,
        int fileCount,
        long sequenceNumber,
        String schemaVersion,
        BackupId parent,
        Boolean verified,
        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
        MigrationRecord migration) {

    public BackupSummary {
        tags = List.copyOf(tags);
    }

    /** A backup no schema migration ran after ({@code migration} null). */
    public BackupSummary(BackupId backupId, String database, BackupType type, String description, List<String> tags,
            Instant createdAt, Instant completedAt, long queuedMs, long durationMs, long sizeBytes, long storedBytes,
            int fileCount, long sequenceNumber, String schemaVersion, BackupId parent, Boolean verified) {
        this(backupId, database, type, description, tags, createdAt, completedAt, queuedMs, durationMs, sizeBytes,
                storedBytes, fileCount, sequenceNumber, schemaVersion, parent, verified, null);
    }

    public static BackupSummary of(Manifest m, Boolean verified) {
        return new BackupSummary(m.id(), m.database(), m.type(), m.description(), m.tags(), m.createdAt(),
                m.completedAt(), m.queuedMs(), m.durationMs(), m.sizeBytes(), m.storedBytes(), m.fileCount(),
                m.sequenceNumber(), m.schemaVersion(), m.parent(), verified);
    }

    public BackupSummary withVerified(Boolean v) {
        return new BackupSummary(backupId, database, type, description, tags, createdAt, completedAt, queuedMs,
                durationMs, sizeBytes, storedBytes, fileCount, sequenceNumber, schemaVersion, parent, v, migration);
    }

    /** This summary with the record of the schema migration that ran after this (pre_migration) backup. */
    public BackupSummary withMigration(MigrationRecord m) {
        return new BackupSummary(backupId, database, type, description, tags, createdAt, completedAt, queuedMs,
                durationMs, sizeBytes, storedBytes, fileCount, sequenceNumber, schemaVersion, parent, verified, m);
    }
}
