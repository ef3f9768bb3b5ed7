package dev.meridian.backup.engine;

import dev.meridian.backup.config.Settings;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.runtime.Blocking;
import dev.meridian.backup.runtime.EventLog;
import dev.meridian.backup.runtime.JobContext;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies every backup the primary repository publishes to one replica ({@code meridian.repository.replicas}),
 * asynchronously: a backup's reply and its database's queue never wait for it. One actor per replica runs one
 * {@link ReplicaTarget} pass at a time on {@code meridian.replica-dispatcher}; a pass starts at once after the actor
 * starts, after every backup published in the primary (any type: a copy made by the diff), and every
 * {@code meridian.repository.replica-interval}. A publish during a pass starts another pass after it.
 *
 * <p>A failed pass is logged with the replica's name (and the backup, when it failed while copying one), counted in
 * {@code meridian_replica_copy_failures_total{replica}}, and retried after 5 s, doubling per consecutive failure up
 * to the interval; publishes meanwhile wait for that retry. The lag gauges come from {@link ReplicaTarget#lag()}.
 * The replica stays open (and locked) after a pass until no pass ran for {@link #IDLE} (60 s), then is closed, so
 * other processes (copy, another server pruning it) can take its lock between bursts. CoordinatedShutdown
 * (service-requests-done) asks a running pass to stop between files and closes the replica, waiting up to 30 s, so
 * the replica's lock is released before the primary closes.
 */
public final class Replicator extends AbstractBehavior<Replicator.Command> {
    private static final Logger log = LoggerFactory.getLogger(Replicator.class);
    public static final String DISPATCHER = "meridian.replica-dispatcher";
    static final Duration FIRST_RETRY = Duration.ofSeconds(5);
    /** How long an idle replica stays open (and locked) after a pass. */
    static final Duration IDLE = Duration.ofSeconds(60);

    public sealed interface Command {}

    /** Compare the replica with the primary now (a backup was published, or the interval passed). */
    public enum Sync implements Command { INSTANCE }

    private enum Retry implements Command { INSTANCE }

    private enum Release implements Command { INSTANCE }

    private record PassEnded(ReplicaTarget.Pass pass, Throwable error) implements Command {}

    private final ReplicaTarget target;
    private final Duration interval;
    private final TimerScheduler<Command> timers;
    private final JobContext jobs;
    private boolean running;
    private boolean again;
    private int failures;

    /**
     * Spawns one replicator per configured replica under {@code ctx}, registers their gauges and has the primary
     * tell them of every published backup. Nothing is opened here: an unreachable replica never delays the start.
     */
    public static void spawnAll(ActorContext<?> ctx, Settings settings, JobContext jobs) {
        for (Settings.Replica r : settings.replicas()) {
            ReplicaTarget target = new ReplicaTarget(r, jobs.repository(), settings.compression(), settings.ioRateLimit(),
                    settings.stateDir(), jobs.metrics(), jobs.clock());
            jobs.metrics().replica(r.name(), () -> target.lag().backups(), target::lagSeconds, target::lastSuccess);
            ActorRef<Command> ref = ctx.spawn(create(target, settings.replicaInterval(), jobs), "replica-" + r.name());
            jobs.repository().onPublished(id -> ref.tell(Sync.INSTANCE));
            CoordinatedShutdown.get(ctx.getSystem()).addTask(CoordinatedShutdown.PhaseServiceRequestsDone(),
                    "stop-replica-" + r.name(), () -> target.stop(Blocking.executor(ctx.getSystem(), DISPATCHER))
                            .completeOnTimeout(null, 30, TimeUnit.SECONDS).thenApply(x -> Done.getInstance()));
        }
    }

    static Behavior<Command> create(ReplicaTarget target, Duration interval, JobContext jobs) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> Behaviors.<Command>supervise(
                Behaviors.setup(c -> new Replicator(c, target, interval, timers, jobs)))
                .onFailure(SupervisorStrategy.restart())));
    }

    private Replicator(ActorContext<Command> ctx, ReplicaTarget target, Duration interval, TimerScheduler<Command> timers,
            JobContext jobs) {
        super(ctx);
        this.target = target;
        this.interval = interval;
        this.timers = timers;
        this.jobs = jobs;
        timers.startTimerWithFixedDelay("interval", Sync.INSTANCE, interval);
        startPass();
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessageEquals(Sync.INSTANCE, this::onSync)
                .onMessageEquals(Retry.INSTANCE, this::onRetry)
                .onMessageEquals(Release.INSTANCE, this::onRelease)
                .onMessage(PassEnded.class, this::onPassEnded)
                .build();
    }

    private Behavior<Command> onSync() {
        if (running) {
            again = true;
        } else if (!timers.isTimerActive("retry")) {
            startPass();
        }
        return this;
    }

    private Behavior<Command> onRetry() {
        if (running) {
            again = true;
        } else {
            startPass();
        }
        return this;
    }

    /** No pass ran for {@link #IDLE}: close the replica, releasing its lock (blocking, so on the replica dispatcher). */
    private Behavior<Command> onRelease() {
        if (!running) {
            Blocking.supply(getContext().getSystem(), DISPATCHER, () -> {
                target.release();
                return null;
            });
        }
        return this;
    }

    private void startPass() {
        timers.cancel("release");
        running = true;
        again = false;
        CompletableFuture<ReplicaTarget.Pass> pass = Blocking.supply(getContext().getSystem(), DISPATCHER, target::run);
        getContext().pipeToSelf(pass, PassEnded::new);
    }

    private Behavior<Command> onPassEnded(PassEnded ended) {
        running = false;
        if (ended.error() != null) {
            failures++;
            jobs.metrics().replicaCopyFailed(target.name());
            Throwable cause = Blocking.cause(ended.error());
            Duration wait = backoff(failures, interval);
            EventLog.event(log, "replica_failed").backup(target.failedOn()).field("replica", target.name())
                    .field("attempt", failures)
                    .warn("Replication to '" + target.name() + "' failed: " + (cause instanceof BackupException
                            ? cause.getMessage() : BackupException.from(cause, "replica '" + target.name() + "' ("
                                    + target.describe() + ")").getMessage()) + "; retrying in " + wait.toSeconds() + " s");
            timers.startSingleTimer("retry", Retry.INSTANCE, wait);
            return this;
        }
        ReplicaTarget.Pass p = ended.pass();
        if (p.stopped()) {
            return this;
        }
        if (failures > 0) {
            log.info("Replication to '{}' works again after {} failed attempt(s)", target.name(), failures);
        }
        failures = 0;
        timers.cancel("retry");
        if (p.copied() > 0 || p.failed() > 0) {
            log.info("Replica '{}': {} backup(s) copied, {} could not be (see above), {} deleted from the primary first",
                    target.name(), p.copied(), p.failed(), p.gone());
        }
        if (again) {
            startPass();
        } else {
            timers.startSingleTimer("release", Release.INSTANCE, IDLE);
        }
        return this;
    }

    /** 5 s, doubling per consecutive failure, never above {@code interval}. */
    static Duration backoff(int failures, Duration interval) {
        Duration d = FIRST_RETRY.multipliedBy(1L << Math.min(20, failures - 1));
        return d.compareTo(interval) > 0 ? interval : d;
    }
}
