package dev.meridian.backup.retention;

import dev.meridian.backup.repository.Repository;
import dev.meridian.backup.runtime.Blocking;
import dev.meridian.backup.runtime.EventLog;
import dev.meridian.backup.runtime.JobContext;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Phase two of deletion (invariant 6): collects objects no manifest references. Requests that arrive while a
 * collection runs are folded into one more run afterwards, so deletions never wait and never pile up.
 */
public final class GarbageCollector extends AbstractBehavior<GarbageCollector.Command> {

    public sealed interface Command {}

    public enum Collect implements Command { INSTANCE }

    private record Done(Repository.GcReport report, Throwable error) implements Command {}

    private final JobContext env;
    private boolean running;
    private boolean again;

    public static Behavior<Command> create(JobContext env) {
        return Behaviors.setup(ctx -> new GarbageCollector(ctx, env));
    }

    private GarbageCollector(ActorContext<Command> ctx, JobContext env) {
        super(ctx);
        this.env = env;
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessageEquals(Collect.INSTANCE, this::onCollect)
                .onMessage(Done.class, this::onDone)
                .build();
    }

    private Behavior<Command> onCollect() {
        if (running) {
            again = true;
            return this;
        }
        running = true;
        Repository repository = env.repository();
        getContext().pipeToSelf(Blocking.supply(getContext().getSystem(), JobContext.IO_DISPATCHER,
                repository::collectGarbage), Done::new);
        return this;
    }

    private Behavior<Command> onDone(Done msg) {
        running = false;
        if (msg.error() != null) {
            EventLog.event(getContext().getLog(), "gc").warn("Garbage collection failed: " + Blocking.cause(msg.error()).getMessage());
        } else if (msg.report().objectsDeleted() > 0) {
            EventLog.event(getContext().getLog(), "gc").bytes(msg.report().bytesFreed())
                    .field("objects_deleted", msg.report().objectsDeleted()).field("objects_kept", msg.report().objectsKept())
                    .info("Garbage collection removed " + msg.report().objectsDeleted() + " unreferenced objects");
        }
        if (again) {
            again = false;
            return onCollect();
        }
        return this;
    }
}
