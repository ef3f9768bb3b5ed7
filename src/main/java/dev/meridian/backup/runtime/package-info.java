/**
 * What every job runs on, below the jobs: {@code Blocking} (blocking work on a named dispatcher, piped back to the
 * actor), {@code JobContext} (settings, repository, journal, fingerprint cache, metrics, event log: what a job
 * needs besides its request), {@code ProgressReporter} (progress from I/O threads, throttled, carrying cancellation),
 * {@code EventLog} (one line per lifecycle event), {@code Metrics} (Prometheus) and {@code CrashPoints} (named instants
 * where the crash tests halt the process).
 *
 * <p>Layer 5. May import: {@code config}, {@code repository}, {@code rocks}, {@code store}, {@code model},
 * {@code hash}, Pekko, Micrometer, SLF4J, the JDK.
 */
package dev.meridian.backup.runtime;
