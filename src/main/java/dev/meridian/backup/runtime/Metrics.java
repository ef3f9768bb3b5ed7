package dev.meridian.backup.runtime;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.function.Supplier;

/** Operator metrics, scraped as Prometheus text at {@code GET /metrics}. */
public final class Metrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

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

    public String scrape() {
        return registry.scrape();
    }
}
