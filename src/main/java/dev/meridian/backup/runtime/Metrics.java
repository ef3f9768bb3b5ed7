package dev.meridian.backup.runtime;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/** Operator metrics, scraped as Prometheus text at {@code GET /metrics}. */
public final class Metrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, AtomicLong> lastBackup = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> lastVerify = new ConcurrentHashMap<>();

    public void operation(String operation, String database, String type, String outcome, Duration duration) {
        Timer.builder("meridian_operation_duration")
                .description("Duration of backup, restore, verify, delete and retention operations")
                .tags("operation", operation, "database", database, "type", type, "outcome", outcome)
                .register(registry).record(duration);
    }

    public void bytes(String operation, String database, String kind, long bytes) {
        Counter.builder("meridian_bytes").description("Bytes processed: logical (read) and stored (new in the repository)")
                .tags("operation", operation, "database", database, "kind", kind).register(registry).increment(bytes);
    }

    public void queueDepth(String database, Supplier<Number> depth) {
        Gauge.builder("meridian_database_queue_depth", depth).description("Operations waiting for a database")
                .tags("database", database).register(registry);
    }

    public void repository(Supplier<Number> bytes, Supplier<Number> backups) {
        Gauge.builder("meridian_repository_bytes", bytes).description("Bytes of objects in the repository").register(registry);
        Gauge.builder("meridian_repository_backups", backups).description("Backups in the repository").register(registry);
    }

    public void filesInFlight(Supplier<Number> n) {
        Gauge.builder("meridian_verify_files_in_flight", n).description("Files being hashed by the verification pool").register(registry);
    }

    public void verifyErrors(String database, int errors) {
        DistributionSummary.builder("meridian_verify_errors").tags("database", database).register(registry).record(errors);
    }

    /**
     * Registers a database's age gauges, {@code meridian_last_successful_backup_timestamp_seconds} and
     * {@code meridian_last_successful_verify_timestamp_seconds} (Unix seconds, UTC; 0 until the first success), and,
     * when it has a schedule, {@code meridian_backup_schedule_interval_seconds}. Idempotent.
     */
    public void database(String database, Duration scheduleInterval) {
        Gauge.builder("meridian_last_successful_backup_timestamp_seconds", timestamp(lastBackup, database), AtomicLong::get)
                .description("Completion time of the newest published backup, Unix seconds; 0 if there is none")
                .tags("database", database).register(registry);
        Gauge.builder("meridian_last_successful_verify_timestamp_seconds", timestamp(lastVerify, database), AtomicLong::get)
                .description("Time of the newest verification that passed, Unix seconds; 0 if there is none")
                .tags("database", database).register(registry);
        if (scheduleInterval != null) {
            Gauge.builder("meridian_backup_schedule_interval_seconds", scheduleInterval, d -> d.toMillis() / 1000.0)
                    .description("Interval between scheduled backups").tags("database", database).strongReference(true)
                    .register(registry);
        }
    }

    /** A backup of {@code database} completed at {@code at}; the gauge only moves forward. */
    public void backupSucceeded(String database, Instant at) {
        timestamp(lastBackup, database).accumulateAndGet(at.getEpochSecond(), Math::max);
    }

    /** A verification of a backup of {@code database} passed at {@code at}; the gauge only moves forward. */
    public void verifySucceeded(String database, Instant at) {
        timestamp(lastVerify, database).accumulateAndGet(at.getEpochSecond(), Math::max);
    }

    /**
     * Registers a replica's gauges (label {@code replica}): {@code meridian_replica_lag_backups} (backups the primary
     * lists that the replica is not known to hold), {@code meridian_replica_lag_seconds} (seconds since the oldest of
     * them completed; 0 when caught up), {@code meridian_replica_last_success_timestamp_seconds} (Unix seconds, UTC,
     * of the last pass that left the replica caught up; 0 until then), and the counter
     * {@code meridian_replica_copy_failures_total} at 0.
     */
    public void replica(String replica, Supplier<Number> lagBackups, Supplier<Number> lagSeconds, Supplier<Number> lastSuccess) {
        Gauge.builder("meridian_replica_lag_backups", lagBackups)
                .description("Backups published in the primary repository and not yet copied to the replica")
                .tags("replica", replica).register(registry);
        Gauge.builder("meridian_replica_lag_seconds", lagSeconds)
                .description("Age of the oldest backup not yet copied to the replica, seconds; 0 when caught up")
                .tags("replica", replica).register(registry);
        Gauge.builder("meridian_replica_last_success_timestamp_seconds", lastSuccess)
                .description("End of the last replication pass that left the replica caught up, Unix seconds; 0 if none")
                .tags("replica", replica).register(registry);
        replicaFailures(replica);
    }

    /** A copy to {@code replica} failed: opening it, or copying one backup ({@code meridian_replica_copy_failures_total}). */
    public void replicaCopyFailed(String replica) {
        replicaFailures(replica).increment();
    }

    private Counter replicaFailures(String replica) {
        return Counter.builder("meridian_replica_copy_failures")
                .description("Failed attempts to open a replica or to copy a backup to it")
                .tags("replica", replica).register(registry);
    }

    private static AtomicLong timestamp(Map<String, AtomicLong> of, String database) {
        return of.computeIfAbsent(database, k -> new AtomicLong());
    }

    public String scrape() {
        return registry.scrape();
    }
}
