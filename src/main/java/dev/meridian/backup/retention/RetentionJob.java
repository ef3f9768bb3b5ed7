package dev.meridian.backup.retention;

import dev.meridian.backup.config.Settings;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.RetentionPolicy;
import dev.meridian.backup.model.RetentionResult;
import dev.meridian.backup.repository.Repository;
import dev.meridian.backup.runtime.Blocking;
import dev.meridian.backup.runtime.EventLog;
import dev.meridian.backup.runtime.JobContext;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.pattern.StatusReply;

/**
 * One retention run for one database, as a short-lived child of its actor: computes the {@link RetentionPlan} at
 * the run's start (by the job context's clock), deletes what it condemns unless this is a dry run, then asks the
 * garbage collector for the objects. Backups dated in the future are kept and warned about once per run.
 */
public final class RetentionJob extends AbstractBehavior<RetentionJob.Command> {

    public sealed interface Command {}

    /** The deletions ran: {@code deleted} in order, or {@code error} stopped them. */
    private record Applied(List<BackupId> deleted, Throwable error) implements Command {}

    /** What the job tells its parent when it ends: the caller's reply. */
    public record Ended(StatusReply<RetentionResult> reply) {}

    private final String database;
    private final RetentionPlan plan;
    private final ActorRef<GarbageCollector.Command> gc;
    private final ActorRef<Ended> replyTo;

    /** Applies {@code database}'s retention policies; a dry run deletes nothing and reports what it would. */
    public static Behavior<Command> create(JobContext env, Settings.DatabaseSettings database, boolean dryRun,
            ActorRef<GarbageCollector.Command> gc, ActorRef<Ended> replyTo) {
        return Behaviors.setup(ctx -> {
            Instant now = env.clock().instant();
            RetentionPlan plan = RetentionPlan.compute(database, env.repository().catalog().ofDatabase(database.name()), now);
            if (!plan.future().isEmpty()) {
                EventLog.event(ctx.getLog(), "retention").database(database.name()).field("future", plan.future().size())
                        .warn("Retention for " + database.name() + ": " + plan.future().size() + " backup(s) are dated more than "
                                + RetentionPolicy.FUTURE_TOLERANCE.toMinutes() + " min after this host's clock (" + now
                                + "); they are kept and not counted by any rule. Check the clock of this host (and of the"
                                + " host that made them): " + plan.future());
            }
            if (dryRun || plan.delete().isEmpty()) {
                replyTo.tell(new Ended(StatusReply.success(new RetentionResult(database.name(), dryRun, plan.delete(),
                        plan.keep(), plan.reasons()))));
                return Behaviors.stopped();
            }
            return new RetentionJob(ctx, env.repository(), database.name(), plan, gc, replyTo);
        });
    }

    private RetentionJob(ActorContext<Command> ctx, Repository repository, String database, RetentionPlan plan,
            ActorRef<GarbageCollector.Command> gc, ActorRef<Ended> replyTo) {
        super(ctx);
        this.database = database;
        this.plan = plan;
        this.gc = gc;
        this.replyTo = replyTo;
        List<BackupId> condemned = plan.delete();
        ctx.pipeToSelf(Blocking.supply(ctx.getSystem(), JobContext.IO_DISPATCHER, () -> delete(repository, condemned)),
                Applied::new);
    }

    // I/O dispatcher: phase one of deletion for each condemned backup, in order.
    private static List<BackupId> delete(Repository repository, List<BackupId> condemned) throws java.io.IOException {
        List<BackupId> deleted = new ArrayList<>();
        for (BackupId id : condemned) {
            repository.deleteBackup(id);
            deleted.add(id);
        }
        return List.copyOf(deleted);
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder().onMessage(Applied.class, this::onApplied).build();
    }

    private Behavior<Command> onApplied(Applied msg) {
        if (msg.error() != null) {
            replyTo.tell(new Ended(StatusReply.error(BackupException.from(msg.error(), "retention for database " + database + " failed"))));
            return Behaviors.stopped();
        }
        List<BackupId> deleted = msg.deleted();
        EventLog.event(getContext().getLog(), "retention").database(database).field("deleted", deleted.size())
                .field("kept", plan.keep().size())
                .info("Retention for " + database + " deleted " + deleted.size() + " backups, kept " + plan.keep().size());
        gc.tell(GarbageCollector.Collect.INSTANCE);
        replyTo.tell(new Ended(StatusReply.success(new RetentionResult(database, false, deleted, plan.keep(), plan.reasons()))));
        return Behaviors.stopped();
    }
}
