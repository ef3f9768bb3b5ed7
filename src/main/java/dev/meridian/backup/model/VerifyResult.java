package dev.meridian.backup.model;

import java.time.Instant;
import java.util.List;

/**
 * The outcome of re-reading every object a backup references. {@code errors} names every bad file. {@code deep}
 * says whether the SSTs were also checked against RocksDB's block checksums (null in records written before deep
 * verification existed, which were not).
 */
public record VerifyResult(
        BackupId backupId,
        String database,
        boolean valid,
        int filesChecked,
        long bytesChecked,
        List<FileError> errors,
        Instant checkedAt,
        long durationMs,
        Boolean deep) {

    public VerifyResult {
        errors = List.copyOf(errors);
    }

    /**
     * One file that failed: its name in the backup, its object, what was wrong, and the kind of fault
     * ({@link #OBJECT_DAMAGED}, {@link #SST_CORRUPT} or {@link #UNREADABLE}; null in older records).
     */
    public record FileError(String file, String object, String problem, String reason) {
        /** The object is missing, or its header, size or Blake3 hash does not match the manifest. */
        public static final String OBJECT_DAMAGED = "object_damaged";
        /** The object is intact, but the SST it holds fails RocksDB's block checksums (found by a deep verify). */
        public static final String SST_CORRUPT = "sst_corrupt";
        /** The object could not be read (an I/O error), so nothing is known of its content. */
        public static final String UNREADABLE = "unreadable";
    }
}
