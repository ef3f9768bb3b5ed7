/**
 * {@code Scheduler}: timers for scheduled backups (one per database, at its next {@code model.Schedule} slot, a missed
 * slot made up once at start) and for periodic retention. It asks the database coordinators, as any caller would; a
 * scheduled backup is followed by retention for its database.
 *
 * <p>Layer 8. May import: {@code database}, the jobs, {@code runtime}, {@code config}, {@code repository},
 * {@code rocks}, {@code store}, {@code model}, {@code hash}; Pekko.
 */
package dev.meridian.backup.schedule;
