package dev.meridian.backup.database;

import dev.meridian.backup.model.BackupId;

public record DeleteResult(BackupId backupId, String database, boolean deleted) {}
