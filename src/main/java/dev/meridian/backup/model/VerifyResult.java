package dev.meridian.backup.model;

import java.time.Instant;
import java.util.List;

/** The outcome of re-reading every object a backup references. {@code errors} names every bad file. */
public record VerifyResult(
        BackupId backupId,
        String database,
        boolean valid,
        int filesChecked,
        long bytesChecked,
        List<FileError> errors,
        Instant checkedAt,
        long durationMs) {

    public VerifyResult {
        errors = List.copyOf(errors);
    }

    /** One file that failed: its name in the backup, its object, and what was wrong. */
    public record FileError(String file, String object, String problem) {}
}
