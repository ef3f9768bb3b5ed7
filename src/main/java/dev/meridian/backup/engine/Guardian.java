package dev.meridian.backup.engine;

import dev.meridian.backup.config.Settings;
import dev.meridian.backup.database.DatabaseRegistry;
import dev.meridian.backup.retention.GarbageCollector;
import dev.meridian.backup.runtime.Blocking;
import dev.meridian.backup.runtime.JobContext;
import dev.meridian.backup.schedule.Scheduler;
import dev.meridian.backup.verify.HashingPool;
import dev.meridian.backup.verify.Verifier;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The root of the actor tree: the verifier (with its hashing pool), the garbage collector, the database registry
 * (and through it one actor per database), and the scheduler. It hands the {@link Engine} to whoever started it.
 */
public final class Guardian {
    private Guardian() {}

    public static Behavior<Void> create(Settings settings, JobContext jobs, CompletableFuture<Engine> ready) {
        return Behaviors.setup(ctx -> {
            HashingPool pool = new HashingPool(Blocking.executor(ctx.getSystem(), JobContext.HASH_DISPATCHER),
                    settings.hashPoolSize());
            jobs.metrics().filesInFlight(pool::inFlight);
            jobs.metrics().repository(jobs.repository().catalog()::repositoryBytes, jobs.repository().catalog()::size);
            ActorRef<Verifier.Command> verifier = ctx.spawn(Verifier.create(jobs, settings.jobLimits().verify(), pool), "verifier");
            ActorRef<GarbageCollector.Command> gc = ctx.spawn(GarbageCollector.create(jobs), "gc");
            ActorRef<DatabaseRegistry.Command> registry = ctx.spawn(DatabaseRegistry.create(jobs, settings, verifier, gc), "databases");
            ctx.spawn(Scheduler.create(jobs, settings, registry), "scheduler");
            // Objects left by backups that crashed before publishing are unreferenced: collect them once at start.
            gc.tell(GarbageCollector.Collect.INSTANCE);
            ready.complete(new Engine(ctx.getSystem(), new EngineContext(settings, jobs), registry, verifier, pool));
            return Behaviors.empty();
        });
    }
}
