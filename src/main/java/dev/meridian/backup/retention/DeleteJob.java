package dev.meridian.backup.retention;

import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.DeleteResult;
import dev.meridian.backup.model.Manifest;
import dev.meridian.backup.repository.Repository;
import dev.meridian.backup.runtime.Blocking;
import dev.meridian.backup.runtime.EventLog;
import dev.meridian.backup.runtime.JobContext;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.pattern.StatusReply;

/**
 * Deletes one backup of one database, as a short-lived child of that database's actor: phase one of deletion
 * (the manifest goes; invariant 6), then a request to the garbage collector for phase two (its objects).
 */
public final class DeleteJob extends AbstractBehavior<DeleteJob.Command> {

    public sealed interface Command {}

    /** The manifest is removed ({@code manifest} is what it said), or {@code error} says why not. */
    private record Removed(Manifest manifest, Throwable error) implements Command {}

    /** What the job tells its parent when it ends: the caller's reply. */
    public record Ended(StatusReply<DeleteResult> reply) {}

    private final BackupId backupId;
    private final ActorRef<GarbageCollector.Command> gc;
    private final ActorRef<Ended> replyTo;

    /** Deletes {@code backupId}, which must be a backup of {@code database} (else the reply is not_found). */
    public static Behavior<Command> create(JobContext env, String database, BackupId backupId,
            ActorRef<GarbageCollector.Command> gc, ActorRef<Ended> replyTo) {
        return Behaviors.setup(ctx -> new DeleteJob(ctx, env, database, backupId, gc, replyTo));
    }

    private DeleteJob(ActorContext<Command> ctx, JobContext env, String database, BackupId backupId,
            ActorRef<GarbageCollector.Command> gc, ActorRef<Ended> replyTo) {
        super(ctx);
        this.backupId = backupId;
        this.gc = gc;
        this.replyTo = replyTo;
        Repository repository = env.repository();
        ctx.pipeToSelf(Blocking.supply(ctx.getSystem(), JobContext.IO_DISPATCHER, () -> remove(repository, database, backupId)),
                Removed::new);
    }

    // I/O dispatcher.
    private static Manifest remove(Repository repository, String database, BackupId backupId) throws java.io.IOException {
        var summary = repository.catalog().get(backupId);
        if (summary.isEmpty() || !summary.get().database().equals(database)) {
            throw BackupException.notFound("backup " + backupId + " of database " + database
                    + " not found; list backups to see the ids that exist");
        }
        return repository.deleteBackup(backupId);
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder().onMessage(Removed.class, this::onRemoved).build();
    }

    private Behavior<Command> onRemoved(Removed msg) {
        if (msg.error() != null) {
            replyTo.tell(new Ended(StatusReply.error(BackupException.from(msg.error(), "delete of backup " + backupId + " failed"))));
            return Behaviors.stopped();
        }
        Manifest m = msg.manifest();
        EventLog.event(getContext().getLog(), "deleted").database(m.database()).backup(m.id()).type(m.type())
                .bytes(m.sizeBytes())
                .info("Backup " + m.id() + " of " + m.database() + " deleted (manifest removed; objects go at the next collection)");
        gc.tell(GarbageCollector.Collect.INSTANCE);
        replyTo.tell(new Ended(StatusReply.success(new DeleteResult(m.id(), m.database(), true))));
        return Behaviors.stopped();
    }
}
