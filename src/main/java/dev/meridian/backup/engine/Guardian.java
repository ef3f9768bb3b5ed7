package dev.meridian.backup.engine;

import dev.meridian.backup.config.Settings;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.Schedule;
import dev.meridian.backup.model.VerifyResult;
import dev.meridian.backup.database.DatabaseRegistry;
import dev.meridian.backup.retention.GarbageCollector;
import dev.meridian.backup.runtime.Blocking;
import dev.meridian.backup.runtime.JobContext;
import dev.meridian.backup.schedule.Scheduler;
import dev.meridian.backup.verify.HashingPool;
import dev.meridian.backup.verify.Verifier;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The root of the actor tree: the verifier (with its hashing pool), the garbage collector, the database registry
 * (and through it one actor per database), the scheduler, and one {@link Replicator} per configured replica. It
 * hands the {@link Engine} to whoever started it.
 */
public final class Guardian {
    private static final Logger LOG = LoggerFactory.getLogger(Guardian.class);

    private Guardian() {}

    public static Behavior<Void> create(Settings settings, JobContext jobs, CompletableFuture<Engine> ready) {
        return Behaviors.setup(ctx -> {
            HashingPool pool = new HashingPool(Blocking.executor(ctx.getSystem(), JobContext.HASH_DISPATCHER),
                    settings.hashPoolSize());
            jobs.metrics().filesInFlight(pool::inFlight);
            jobs.metrics().repository(jobs.repository().catalog()::repositoryBytes, jobs.repository().catalog()::size);
            seedAgeGauges(ctx.getSystem(), settings, jobs);
            ActorRef<Verifier.Command> verifier = ctx.spawn(Verifier.create(jobs, settings.jobLimits().verify(), pool), "verifier");
            ActorRef<GarbageCollector.Command> gc = ctx.spawn(GarbageCollector.create(jobs), "gc");
            ActorRef<DatabaseRegistry.Command> registry = ctx.spawn(DatabaseRegistry.create(jobs, settings, verifier, gc), "databases");
            ctx.spawn(Scheduler.create(jobs, settings, registry), "scheduler");
            Replicator.spawnAll(ctx, settings, jobs);
            // Objects left by backups that crashed before publishing are unreferenced: collect them once at start.
            gc.tell(GarbageCollector.Collect.INSTANCE);
            ready.complete(new Engine(ctx.getSystem(), new EngineContext(settings, jobs), registry, verifier, pool));
            return Behaviors.empty();
        });
    }

    /**
     * Registers each configured database's age gauges and seeds them from the repository: the newest backup from
     * the catalog at once, the newest passing verification from the verification records on the IO dispatcher.
     * A record that cannot be read is logged and skipped.
     */
    private static void seedAgeGauges(ActorSystem<?> system, Settings settings, JobContext jobs) {
        for (Settings.DatabaseSettings db : settings.databases().values()) {
            Schedule schedule = db.schedule();
            Instant slot = schedule == null ? null : schedule.previous(jobs.clock().instant());
            jobs.metrics().database(db.name(), schedule == null ? null : Duration.between(slot, schedule.next(slot)));
            for (BackupSummary b : jobs.repository().catalog().ofDatabase(db.name())) {
                jobs.metrics().backupSucceeded(db.name(), b.completedAt());
            }
        }
        Blocking.supply(system, JobContext.IO_DISPATCHER, () -> {
            for (Settings.DatabaseSettings db : settings.databases().values()) {
                for (BackupSummary b : jobs.repository().catalog().ofDatabase(db.name())) {
                    if (!Boolean.TRUE.equals(b.verified())) {
                        continue;
                    }
                    try {
                        jobs.repository().verification(b.backupId()).filter(VerifyResult::valid)
                                .ifPresent(r -> jobs.metrics().verifySucceeded(db.name(), r.checkedAt()));
                    } catch (IOException | RuntimeException e) {
                        LOG.warn("Verification record of backup {} is unreadable; "
                                + "meridian_last_successful_verify_timestamp_seconds ignores it: {}", b.backupId(), e.getMessage());
                    }
                }
            }
            return null;
        });
    }
}
