/**
 * The facade. {@code Engine} is the one entry point the gateways and the process wiring share: it checks what callers
 * send against the configuration and the catalog, asks the actors and never blocks; every failure is a
 * {@code model.BackupException}. {@code Guardian} is the root of the actor tree (verifier, garbage collector,
 * database registry, scheduler); {@code StartupRecovery} finishes or undoes a crash's half-done work before any
 * database opens; {@code EngineWarmup} runs the hot paths once in the background at start (and rehearses a backup
 * and restore on a scratch database, then sends backups, a restore and a verify through a scratch engine of its own,
 * {@code EngineRehearsal}, whose log lines {@code RehearsalLogFilter} drops), which
 * {@code Server.start} waits for; {@code Replicator} copies every
 * published backup to each configured replica ({@code ReplicaTarget} does one pass's blocking work).
 *
 * <p>Layer 9. May import: every layer below ({@code schedule}, {@code database}, the jobs, {@code runtime},
 * {@code config}, {@code repository}, {@code rocks}, {@code store}, {@code model}, {@code hash}); Pekko. Never
 * {@code operation}, a gateway or the process wiring.
 */
package dev.meridian.backup.engine;
