package dev.meridian.backup.model;

import dev.meridian.backup.model.BackupId;

public record DeleteResult(BackupId backupId, String database, boolean deleted) {}
