package dev.meridian.backup.model;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One backup: everything needed to restore it on its own, and to list it without reading its objects.
 * Immutable once published. {@code manifestHash} is the Blake3 of the manifest's canonical JSON without that field.
 */
public record Manifest(
        int format,
        BackupId id,
        String database,
        BackupType type,
        String description,
        List<String> tags,
        Instant createdAt,
        Instant completedAt,
        long queuedMs,
        long durationMs,
        long sequenceNumber,
        String schemaVersion,
        BackupId parent,
        long sizeBytes,
        long storedBytes,
        List<FileEntry> files,
        String manifestHash) {

    public static final int FORMAT = 1;

    public Manifest {
        Objects.requireNonNull(id, "id");
        Validation.databaseName(database);
        Objects.requireNonNull(type, "type");
        tags = List.copyOf(tags == null ? List.of() : tags);
        files = List.copyOf(files == null ? List.of() : files);
        description = description == null ? "" : description;
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(completedAt, "completedAt");
    }

    public int fileCount() {
        return files.size();
    }

    public Manifest withManifestHash(String hash) {
        return new Manifest(format, id, database, type, description, tags, createdAt, completedAt, queuedMs, durationMs,
                sequenceNumber, schemaVersion, parent, sizeBytes, storedBytes, files, hash);
    }
}
