package dev.meridian.backup.model;

import dev.meridian.backup.model.BackupId;
import java.nio.file.Path;

/**
 * A validated restore. {@code directory} is null to replace the database itself (after a safety backup unless
 * {@code createSafetyBackup} is false), or a checked path under a restore root to leave the database untouched.
 */
public record RestoreRequest(String requestId, BackupId backupId, Path directory, boolean createSafetyBackup) {}
