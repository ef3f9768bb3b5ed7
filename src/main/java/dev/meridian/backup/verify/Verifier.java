package dev.meridian.backup.verify;

import dev.meridian.backup.config.Settings;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.model.ProgressUpdate;
import dev.meridian.backup.model.VerifyResult;
import dev.meridian.backup.runtime.JobContext;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.pattern.StatusReply;

/**
 * Runs verifications: one {@link VerifyJob} child per request, all sharing the hashing pool, so verifications of
 * different backups (and files of one backup) proceed in parallel up to the pool's size (invariant 2). It is a
 * sibling of the database actors, which only ever tell it; none of them waits on a verification.
 */
public final class Verifier extends AbstractBehavior<Verifier.Command> {

    public sealed interface Command {}

    /**
     * Verifies one backup. {@code deep}: also check every SST against RocksDB's block checksums (see
     * {@link OfflineVerification#check}); the shorter form is a plain verification (sizes and Blake3 hashes).
     */
    public record Verify(BackupId backupId, boolean deep, String requestId, ActorRef<ProgressUpdate> progress,
            ActorRef<StatusReply<VerifyResult>> replyTo) implements Command {
        public Verify(BackupId backupId, String requestId, ActorRef<ProgressUpdate> progress,
                ActorRef<StatusReply<VerifyResult>> replyTo) {
            this(backupId, false, requestId, progress, replyTo);
        }
    }

    /**
     * Stops a running verification; its caller gets a "cancelled" error. {@code found} (may be null) hears whether
     * a verification with that request id was running.
     */
    public record Cancel(String requestId, ActorRef<Boolean> found) implements Command {
        public Cancel(String requestId) {
            this(requestId, null);
        }
    }

    /**
     * Shutdown: cancels every running verification (a verification is re-doable; its caller gets a "cancelled"
     * error), refuses new ones, and replies once every job has stopped, that is, once the files its hashing threads
     * were reading are done, so the repository can be closed under none of them.
     */
    public record Stop(ActorRef<org.apache.pekko.Done> replyTo) implements Command {}

    private record JobEnded(String requestId) implements Command {}

    private final JobContext env;
    private final Settings.VerifyLimits limits;
    private final HashingPool pool;
    private final Map<String, ActorRef<VerifyJob.Command>> running = new HashMap<>();
    private final java.util.List<ActorRef<org.apache.pekko.Done>> stopWaiters = new java.util.ArrayList<>();
    private boolean stopped;
    private long counter;

    public static Behavior<Command> create(JobContext env, Settings.VerifyLimits limits, HashingPool pool) {
        return Behaviors.setup(ctx -> Behaviors.supervise(Behaviors.setup((ActorContext<Command> c) -> new Verifier(c, env, limits, pool)))
                .onFailure(SupervisorStrategy.resume()));
    }

    private Verifier(ActorContext<Command> ctx, JobContext env, Settings.VerifyLimits limits, HashingPool pool) {
        super(ctx);
        this.env = env;
        this.limits = limits;
        this.pool = pool;
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Verify.class, this::onVerify)
                .onMessage(Cancel.class, this::onCancel)
                .onMessage(Stop.class, this::onStop)
                .onMessage(JobEnded.class, this::onJobEnded)
                .build();
    }

    private Behavior<Command> onVerify(Verify msg) {
        if (stopped) {
            msg.replyTo().tell(StatusReply.error(new BackupException(ErrorCode.UNAVAILABLE, "verification of backup "
                    + msg.backupId() + " was refused: the server is shutting down; run it again after the restart")));
            return this;
        }
        String requestId = msg.requestId() != null ? msg.requestId() : "verify-" + (++counter);
        ActorRef<VerifyJob.Command> job = getContext().spawn(
                VerifyJob.create(env, limits, pool, msg.backupId(), msg.deep(), requestId, msg.progress(), msg.replyTo()),
                "verify-" + msg.backupId() + "-" + (++counter));
        getContext().watchWith(job, new JobEnded(requestId));
        running.put(requestId, job);
        return this;
    }

    private Behavior<Command> onCancel(Cancel msg) {
        ActorRef<VerifyJob.Command> job = running.get(msg.requestId());
        if (job != null) {
            job.tell(VerifyJob.Cancel.INSTANCE);
        }
        if (msg.found() != null) {
            msg.found().tell(job != null);
        }
        return this;
    }

    private Behavior<Command> onStop(Stop msg) {
        stopped = true;
        stopWaiters.add(msg.replyTo());
        running.values().forEach(job -> job.tell(VerifyJob.Cancel.INSTANCE));
        return answerStopWaiters();
    }

    private Behavior<Command> onJobEnded(JobEnded msg) {
        running.remove(msg.requestId());
        return answerStopWaiters();
    }

    private Behavior<Command> answerStopWaiters() {
        if (stopped && running.isEmpty()) {
            stopWaiters.forEach(w -> w.tell(org.apache.pekko.Done.getInstance()));
            stopWaiters.clear();
        }
        return this;
    }
}
