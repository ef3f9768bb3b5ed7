/**
 * One backup of one database: {@code BackupJob}, a short-lived child of the database's coordinator. Journal,
 * checkpoint on the database's own filesystem, hash and store each file (unchanged SSTs recognised by fingerprint,
 * new SSTs checked against their block checksums first), publish the manifest, remove the checkpoint; it reports
 * its outcome to its parent as a message.
 *
 * <p>Layer 6 (jobs). May import: {@code runtime}, {@code config}, {@code repository}, {@code rocks}, {@code store},
 * {@code model}, {@code hash}, and another job package while acyclic; Pekko. Never {@code database}, {@code engine}
 * or a gateway.
 */
package dev.meridian.backup.backup;
