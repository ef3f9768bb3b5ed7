/**
 * Values every layer speaks, and nothing else: {@code BackupId}, {@code Hash}, {@code Manifest} (a backup's files,
 * each a {@code FileEntry}), {@code BackupSummary}, {@code BackupType}, {@code RetentionPolicy}, {@code Schedule},
 * the requests and results of the engine's operations ({@code BackupRequest}, {@code RestoreRequest},
 * {@code RestoreResult}, {@code DeleteResult}, {@code RetentionResult}, {@code VerifyResult}, {@code DatabaseStatus}),
 * progress ({@code Progress}, {@code ProgressUpdate}), and failures ({@code BackupException} with an {@code ErrorCode},
 * {@code OsError}). {@code Validation} checks every value that comes from outside; {@code Json} is the one JSON
 * mapping.
 *
 * <p>Layer 1 (bottom). May import: the JDK, Jackson, and {@code hash}. No Pekko, no RocksDB, no other Meridian
 * package.
 */
package dev.meridian.backup.model;
