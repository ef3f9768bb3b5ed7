package dev.meridian.backup.model;

import dev.meridian.backup.model.BackupId;

/** What a restore did. {@code safetyBackupId} is null when no safety backup was taken. */
public record RestoreResult(BackupId backupId, String database, String target, BackupId safetyBackupId, long durationMs,
        int fileCount, long bytes) {}
