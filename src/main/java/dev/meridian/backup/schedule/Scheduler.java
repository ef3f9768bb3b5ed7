package dev.meridian.backup.schedule;

import dev.meridian.backup.config.Settings;
import dev.meridian.backup.database.DatabaseActor;
import dev.meridian.backup.database.DatabaseRegistry;
import dev.meridian.backup.model.BackupRequest;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.RetentionResult;
import dev.meridian.backup.runtime.EventLog;
import dev.meridian.backup.runtime.JobContext;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.pattern.StatusReply;

/**
 * Timers for scheduled backups (one per database, set to the next slot) and for periodic retention. A scheduled
 * backup is followed by retention for its database. After downtime, a missed slot is made up once at startup,
 * never once per missed slot: only if the newest scheduled backup predates the last slot that has passed.
 */
public final class Scheduler extends AbstractBehavior<Scheduler.Command> {

    public sealed interface Command {}

    /** Runs the scheduled backup of a database now (also what the timer sends). */
    public record RunNow(String database) implements Command {}

    /** A timer fired for a slot; the backup runs only once the wall clock has reached it. */
    private record SlotDue(String database, Instant slot) implements Command {}

    private enum RetentionTick implements Command { INSTANCE }

    /**
     * Longest single timer. Pekko refuses delays over about 248 days, and the timer's clock (monotonic) and the
     * schedule's (wall) drift apart over long waits, so a far slot is reached by re-arming at most this far ahead.
     */
    private static final Duration MAX_TIMER = Duration.ofDays(1);

    private record BackupDone(String database, BackupSummary summary, Throwable error) implements Command {}

    private record RetentionDone(String database, RetentionResult result, Throwable error) implements Command {}

    private final JobContext env;
    private final Settings settings;
    private final ActorRef<DatabaseRegistry.Command> registry;
    private final TimerScheduler<Command> timers;

    public static Behavior<Command> create(JobContext env, Settings settings, ActorRef<DatabaseRegistry.Command> registry) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Scheduler(ctx, timers, env, settings, registry)));
    }

    private Scheduler(ActorContext<Command> ctx, TimerScheduler<Command> timers, JobContext env, Settings settings,
            ActorRef<DatabaseRegistry.Command> registry) {
        super(ctx);
        this.env = env;
        this.settings = settings;
        this.registry = registry;
        this.timers = timers;
        Instant now = env.clock().instant();
        for (Settings.DatabaseSettings db : settings.databases().values()) {
            if (db.schedule() == null) {
                continue;
            }
            if (missedSlot(db, now)) {
                ctx.getLog().info("Database {} missed its scheduled backup at {}; running it once now",
                        db.name(), db.schedule().previous(now));
                ctx.getSelf().tell(new RunNow(db.name()));
            } else {
                arm(db, now);
            }
        }
        timers.startTimerWithFixedDelay(RetentionTick.INSTANCE, settings.retentionInterval());
    }

    /** True if there was a scheduled backup before, and none since the last slot that has passed. */
    private boolean missedSlot(Settings.DatabaseSettings db, Instant now) {
        Optional<BackupSummary> last = env.repository().catalog().ofDatabase(db.name()).stream()
                .filter(b -> b.type() == BackupType.SCHEDULED).reduce((a, b) -> b);
        return last.isPresent() && last.get().createdAt().isBefore(db.schedule().previous(now));
    }

    private void arm(Settings.DatabaseSettings db, Instant now) {
        Instant next = db.schedule().next(now);
        armFor(db.name(), next, now);
        getContext().getLog().info("Next scheduled backup of {} at {} ({})", db.name(), next, db.schedule().spec());
    }

    private void armFor(String database, Instant slot, Instant now) {
        Duration delay = Duration.between(now, slot);
        if (delay.isNegative()) {
            delay = Duration.ZERO;
        }
        timers.startSingleTimer("backup-" + database, new SlotDue(database, slot), delay.compareTo(MAX_TIMER) > 0 ? MAX_TIMER : delay);
    }

    /**
     * Runs the slot's backup once the wall clock says it is due. A timer can fire early by that clock: a long
     * wait split into pieces, or a wall clock that NTP is slowing. Running then would re-arm for the same slot
     * and back up twice, so an early timer only re-arms for what is left.
     */
    private Behavior<Command> onSlotDue(SlotDue msg) {
        Instant now = env.clock().instant();
        if (now.isBefore(msg.slot())) {
            armFor(msg.database(), msg.slot(), now);
            return this;
        }
        return onRunNow(new RunNow(msg.database()));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(RunNow.class, this::onRunNow)
                .onMessage(SlotDue.class, this::onSlotDue)
                .onMessage(BackupDone.class, this::onBackupDone)
                .onMessageEquals(RetentionTick.INSTANCE, this::onRetentionTick)
                .onMessage(RetentionDone.class, this::onRetentionDone)
                .build();
    }

    private Behavior<Command> onRunNow(RunNow msg) {
        String db = msg.database();
        BackupRequest request = new BackupRequest("scheduled-" + UUID.randomUUID(), BackupType.SCHEDULED,
                "Scheduled backup", List.of(), null, false);
        getContext().askWithStatus(BackupSummary.class, registry, askTimeout(settings.backupTimeout()),
                (ActorRef<StatusReply<BackupSummary>> ref) -> new DatabaseRegistry.Forward(db,
                        new DatabaseActor.CreateBackup(request, getContext().getSystem().ignoreRef(), ref)),
                (summary, err) -> new BackupDone(db, summary, err));
        settings.database(db).filter(d -> d.schedule() != null).ifPresent(d -> arm(d, env.clock().instant()));
        return this;
    }

    private Behavior<Command> onBackupDone(BackupDone msg) {
        if (msg.error() != null) {
            EventLog.event(getContext().getLog(), "failed").database(msg.database()).type(BackupType.SCHEDULED)
                    .warn("Scheduled backup of " + msg.database() + " failed: " + msg.error().getMessage());
            return this;
        }
        applyRetention(msg.database());
        return this;
    }

    private Behavior<Command> onRetentionTick() {
        settings.databases().keySet().forEach(this::applyRetention);
        return this;
    }

    private void applyRetention(String db) {
        getContext().askWithStatus(RetentionResult.class, registry, askTimeout(settings.backupTimeout()),
                (ActorRef<StatusReply<RetentionResult>> ref) -> new DatabaseRegistry.Forward(db,
                        new DatabaseActor.ApplyRetention("retention-" + UUID.randomUUID(), false, ref)),
                (result, err) -> new RetentionDone(db, result, err));
    }

    private Behavior<Command> onRetentionDone(RetentionDone msg) {
        if (msg.error() != null) {
            getContext().getLog().warn("Retention for {} failed: {}", msg.database(), msg.error().getMessage());
        }
        return this;
    }

    /** Long operations may queue behind others; allow for a full queue of them. */
    private Duration askTimeout(Duration operation) {
        return operation.multipliedBy(2).plusMinutes(1);
    }
}
