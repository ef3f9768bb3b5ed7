/**
 * Restoring a backup. {@code RestoreJob} (child of the coordinator): stage every file hash-checked
 * ({@code Materializer}), take a safety backup (a {@code backup.BackupJob} child), then swap directories by rename
 * ({@code RestoreSwap}, journal-driven and recoverable) or publish a new directory. {@code RestoreTargets} checks
 * where a restore may write; {@code OfflineRestore} restores without a server ({@code --repo}).
 *
 * <p>Layer 6 (jobs). May import: {@code backup} (the safety backup), {@code runtime}, {@code config},
 * {@code repository}, {@code rocks}, {@code store}, {@code store.file}, {@code model}, {@code hash}; Pekko. Never
 * {@code database}, {@code engine} or a gateway.
 */
package dev.meridian.backup.restore;
