package dev.meridian.backup.database;

import dev.meridian.backup.model.DatabaseStatus;
import dev.meridian.backup.model.DeleteResult;
import dev.meridian.backup.runtime.Blocking;
import dev.meridian.backup.runtime.JobContext;
import dev.meridian.backup.runtime.EventLog;
import dev.meridian.backup.backup.BackupJob;
import dev.meridian.backup.model.BackupRequest;
import dev.meridian.backup.config.Settings;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.model.Manifest;
import dev.meridian.backup.model.ProgressUpdate;
import dev.meridian.backup.model.VerifyResult;
import dev.meridian.backup.restore.RestoreJob;
import dev.meridian.backup.model.RestoreRequest;
import dev.meridian.backup.model.RestoreResult;
import dev.meridian.backup.retention.GarbageCollector;
import dev.meridian.backup.retention.RetentionPlan;
import dev.meridian.backup.model.RetentionPolicy;
import dev.meridian.backup.model.RetentionResult;
import dev.meridian.backup.rocks.LiveDatabase;
import dev.meridian.backup.verify.Verifier;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.pattern.StatusReply;

/**
 * The coordinator of one database (invariant 1). It owns the RocksDB handle and runs one create, restore, delete
 * or retention at a time; later ones wait in a bounded queue in arrival order, and a request that finds the queue
 * full is refused as busy. Status queries are answered at once, from cached numbers, even while it works.
 */
public final class DatabaseActor extends AbstractBehavior<DatabaseActor.Command> {

    public sealed interface Command {}

    /** The commands that run one at a time and queue behind each other. */
    public sealed interface Operation extends Command {
        String requestId();

        String describe();

        /** Answers the caller with an error without running. */
        void refuse(BackupException error);
    }

    public record CreateBackup(BackupRequest request, ActorRef<ProgressUpdate> progress,
            ActorRef<StatusReply<BackupSummary>> replyTo) implements Operation {
        public String requestId() {
            return request.requestId();
        }

        public String describe() {
            return request.type().wireName() + " backup";
        }

        public void refuse(BackupException error) {
            replyTo.tell(StatusReply.error(error));
        }
    }

    public record Restore(RestoreRequest request, ActorRef<ProgressUpdate> progress,
            ActorRef<StatusReply<RestoreResult>> replyTo) implements Operation {
        public String requestId() {
            return request.requestId();
        }

        public String describe() {
            return "restore of backup " + request.backupId();
        }

        public void refuse(BackupException error) {
            replyTo.tell(StatusReply.error(error));
        }
    }

    public record DeleteBackup(String requestId, BackupId backupId, ActorRef<StatusReply<DeleteResult>> replyTo) implements Operation {
        public String describe() {
            return "delete of backup " + backupId;
        }

        public void refuse(BackupException error) {
            replyTo.tell(StatusReply.error(error));
        }
    }

    public record ApplyRetention(String requestId, boolean dryRun, ActorRef<StatusReply<RetentionResult>> replyTo) implements Operation {
        public String describe() {
            return dryRun ? "retention dry run" : "retention";
        }

        public void refuse(BackupException error) {
            replyTo.tell(StatusReply.error(error));
        }
    }

    /** Runs {@code work} against the open database, serialized with everything else (for embedding applications). */
    public record WithHandle(String requestId, Function<LiveDatabase, Object> work, ActorRef<StatusReply<Object>> replyTo) implements Operation {
        public String describe() {
            return "direct database work";
        }

        public void refuse(BackupException error) {
            replyTo.tell(StatusReply.error(error));
        }
    }

    public record GetStatus(ActorRef<DatabaseStatus> replyTo) implements Command {}

    /** Cancels a queued or running operation by its request id; a queued one is answered "cancelled" when reached. */
    public record Cancel(String requestId) implements Command {}

    /** Shutdown: refuse what is queued, let the running operation finish, close the database, then answer. */
    public record Close(ActorRef<org.apache.pekko.Done> replyTo) implements Command {}

    private record Closed() implements Command {}

    private record Opened(LiveDatabase database, Stats stats, int seededKeys) implements Command {}

    private record OpenFailed(Throwable cause) implements Command {}

    private record Queued(Operation operation, Instant receivedAt) implements Command {}

    private record BackupEnded(BackupJob.Outcome outcome) implements Command {}

    private record RestoreEnded(RestoreJob.Outcome outcome) implements Command {}

    /** A quick operation's outcome; {@code operation} tells a stale one (from before a restart) from the current. */
    private record QuickDone(Operation operation, Runnable reply, String event) implements Command {}

    private record StatsRefreshed(Stats stats) implements Command {}

    /** A job child stopped; if it never reported an outcome (a bug), its caller still gets an answer. */
    private record JobStopped(ActorRef<?> job) implements Command {}

    private record VerifiedForReply(BackupSummary summary, VerifyResult result, Throwable error,
            ActorRef<StatusReply<BackupSummary>> replyTo) implements Command {}

    private record Stats(long sequenceNumber, long estimatedKeys, long liveSstBytes, Instant at) {}

    private final JobContext env;
    private final Settings.DatabaseSettings settings;
    private final ActorRef<Verifier.Command> verifier;
    private final ActorRef<GarbageCollector.Command> gc;
    private final StashBuffer<Command> queue;
    private final Set<String> cancelledWhileQueued = new HashSet<>();
    private final SplittableRandom random = new SplittableRandom();

    private LiveDatabase database;
    private String state = "opening";
    private String unavailableReason;
    private Stats stats;
    /** The running operation, or null when idle. */
    private Running current;
    private final List<ActorRef<org.apache.pekko.Done>> closeWaiters = new ArrayList<>();
    /** Job children still alive; a finished backup's job may still be removing its checkpoint. Closing waits for them. */
    private int jobsAlive;

    /** The running operation: what it is, its job child (null for quick ones), and how to cancel it. */
    private record Running(String kind, Operation operation, ActorRef<?> job, Runnable cancel) {
        static Running quick(String kind, Operation operation) {
            return new Running(kind, operation, null, () -> { });
        }
    }

    public static Behavior<Command> create(JobContext env, Settings.DatabaseSettings settings,
            ActorRef<Verifier.Command> verifier, ActorRef<GarbageCollector.Command> gc) {
        return Behaviors.setup(ctx -> Behaviors.withStash(env.settings().queueSize(),
                stash -> new DatabaseActor(ctx, env, settings, verifier, gc, stash)));
    }

    private DatabaseActor(ActorContext<Command> ctx, JobContext env, Settings.DatabaseSettings settings,
            ActorRef<Verifier.Command> verifier, ActorRef<GarbageCollector.Command> gc, StashBuffer<Command> queue) {
        super(ctx);
        this.env = env;
        this.settings = settings;
        this.verifier = verifier;
        this.gc = gc;
        this.queue = queue;
        env.metrics().queueDepth(settings.name(), queue::size);
        ctx.pipeToSelf(Blocking.supply(ctx.getSystem(), JobContext.ROCKSDB_DISPATCHER, () -> {
            LiveDatabase db = openRetryingWhileLocked();
            int seeded = db.seedIfEmpty(settings.seedKeys());
            return new Opened(db, readStats(db), seeded);
        }), (opened, err) -> err == null ? opened : new OpenFailed(err));
    }

    /**
     * Opens the database; while RocksDB reports its LOCK held (the previous incarnation of this actor still
     * closing after a restart), retries for up to ten seconds before giving up.
     */
    private LiveDatabase openRetryingWhileLocked() throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                return LiveDatabase.open(settings.name(), settings.path(), settings.createIfMissing());
            } catch (BackupException e) {
                String m = String.valueOf(e.getMessage());
                boolean locked = m.contains("lock hold by current process") || m.contains("lock file");
                if (!locked || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Operation.class, m -> admit(m, env.clock().instant(), false))
                .onMessage(Queued.class, m -> admit(m.operation(), m.receivedAt(), true))
                .onMessage(GetStatus.class, this::onGetStatus)
                .onMessage(Close.class, this::onClose)
                .onMessage(Closed.class, m -> {
                    closeWaiters.forEach(r -> r.tell(org.apache.pekko.Done.getInstance()));
                    closeWaiters.clear();
                    return this;
                })
                .onMessage(Cancel.class, this::onCancel)
                .onMessage(Opened.class, this::onOpened)
                .onMessage(OpenFailed.class, this::onOpenFailed)
                .onMessage(BackupEnded.class, this::onBackupEnded)
                .onMessage(RestoreEnded.class, this::onRestoreEnded)
                .onMessage(QuickDone.class, this::onQuickDone)
                .onMessage(StatsRefreshed.class, m -> {
                    stats = m.stats();
                    return this;
                })
                .onMessage(VerifiedForReply.class, this::onVerifiedForReply)
                .onMessage(JobStopped.class, this::onJobStopped)
                .onSignal(PostStop.class, s -> onPostStop())
                .onSignal(PreRestart.class, s -> onPreRestart())
                .build();
    }

    private EventLog event(String name) {
        return EventLog.event(getContext().getLog(), name).database(settings.name());
    }

    // ---- admission: run now, queue, or refuse ----

    private Behavior<Command> admit(Operation op, Instant receivedAt, boolean fromQueue) {
        if (state.equals("closing") || state.equals("closed")) {
            op.refuse(new BackupException(ErrorCode.UNAVAILABLE, "the service is shutting down; " + op.describe()
                    + " of " + settings.name() + " did not run. Retry once it is back"));
            return this;
        }
        if (state.equals("unavailable")) {
            op.refuse(new BackupException(ErrorCode.UNAVAILABLE, "database " + settings.name() + " is unavailable: "
                    + unavailableReason));
            return this;
        }
        if (op.requestId() != null && cancelledWhileQueued.remove(op.requestId())) {
            op.refuse(new BackupException(ErrorCode.CONFLICT, op.describe() + " of " + settings.name()
                    + " was cancelled before it started"));
            return this;
        }
        if (current != null || state.equals("opening")) {
            if (!fromQueue && queue.isFull()) {
                op.refuse(new BackupException(ErrorCode.BUSY, "database " + settings.name() + " is busy: "
                        + queue.size() + " operations are already queued (limit " + queue.capacity()
                        + ", meridian.database.queue-size); retry later"));
                return this;
            }
            queue.stash(new Queued(op, receivedAt));
            if (!fromQueue) {
                tellQueued(op, queue.size());
                event("queued").field("operation", op.describe()).field("position", queue.size())
                        .info(op.describe() + " of " + settings.name() + " queued behind "
                                + (current == null ? "opening" : current.kind()));
            }
            return this;
        }
        if (op instanceof CreateBackup c) {
            return startBackup(c, receivedAt);
        } else if (op instanceof Restore r) {
            return startRestore(r);
        } else if (op instanceof DeleteBackup d) {
            return startDelete(d);
        } else if (op instanceof ApplyRetention a) {
            return startRetention(a);
        } else {
            return startWithHandle((WithHandle) op);
        }
    }

    /** The running operation ended: take the next one from the queue, in arrival order. */
    private Behavior<Command> next() {
        current = null;
        if (state.equals("closing")) {
            return jobsAlive == 0 ? closeNow() : this;
        }
        refreshStats();
        return unstashAndTellPositions();
    }

    /** Starts the first waiting operation; the others hear their new place in line. */
    private Behavior<Command> unstashAndTellPositions() {
        Behavior<Command> b = queue.unstashAll(this);
        int[] position = {0};
        queue.forEach(m -> {
            if (m instanceof Queued q) {
                tellQueued(q.operation(), ++position[0]);
            }
        });
        return b;
    }

    /**
     * Tells a waiting create or restore where it stands ("queued: 2nd in line, behind ..."), as a progress step,
     * when it is queued and whenever the line moves, so a caller waiting behind others is not left silent.
     */
    private void tellQueued(Operation op, int position) {
        String ordinal = position + (position % 100 >= 11 && position % 100 <= 13 ? "th"
                : switch (position % 10) { case 1 -> "st"; case 2 -> "nd"; case 3 -> "rd"; default -> "th"; });
        String message = "queued: " + ordinal + " in line, behind " + (current == null ? "opening the database"
                : "the running " + current.operation().describe() + " of " + settings.name())
                + (position > 1 ? " and " + (position - 1) + " more queued" : "");
        if (op instanceof CreateBackup c) {
            c.progress().tell(new ProgressUpdate(c.requestId(), "backup", settings.name(), 0, 0, message));
        } else if (op instanceof Restore r) {
            r.progress().tell(new ProgressUpdate(r.requestId(), "restore", r.request().backupId().value(), 0, 0, message));
        }
    }

    private Behavior<Command> onClose(Close msg) {
        closeWaiters.add(msg.replyTo());
        if (state.equals("closing") || state.equals("closed")) {
            return this;
        }
        boolean opening = state.equals("opening");
        state = "closing";
        Behavior<Command> b = queue.unstashAll(this);
        return current == null && !opening && jobsAlive == 0 ? closeNow() : b;
    }

    private Behavior<Command> closeNow() {
        state = "closed";
        LiveDatabase db = database;
        database = null;
        getContext().pipeToSelf(Blocking.supply(getContext().getSystem(), JobContext.ROCKSDB_DISPATCHER, () -> {
            if (db != null) {
                db.close();
            }
            return null;
        }), (v, err) -> {
            if (err != null) {
                getContext().getLog().warn("Closing database {} failed: {}", settings.name(), err.getMessage());
            }
            return new Closed();
        });
        event("closed").info("Database " + settings.name() + " closed");
        return this;
    }

    // ---- operations ----

    private Behavior<Command> startBackup(CreateBackup c, Instant receivedAt) {
        Instant now = env.clock().instant().truncatedTo(ChronoUnit.MILLIS);
        BackupId id = BackupId.generate(now, random);
        BackupId parent = c.request().type() == BackupType.INCREMENTAL
                ? env.repository().catalog().latest(settings.name()).map(BackupSummary::backupId).orElse(null)
                : null;
        long queuedMs = Math.max(0, Duration.between(receivedAt, now).toMillis());
        ActorRef<BackupJob.Outcome> adapter = getContext().messageAdapter(BackupJob.Outcome.class, BackupEnded::new);
        var job = getContext().spawn(BackupJob.create(env, database, new BackupJob.Spec(id, c.request(), parent, now, queuedMs),
                adapter, c.progress()), "backup-" + id);
        getContext().watchWith(job, new JobStopped(job));
        jobsAlive++;
        current = new Running("backup", c, job, () -> job.tell(BackupJob.Cancel.INSTANCE));
        return this;
    }

    private Behavior<Command> onBackupEnded(BackupEnded msg) {
        if (current == null || !current.kind().equals("backup")) {
            return this;
        }
        CreateBackup c = (CreateBackup) current.operation();
        if (msg.outcome() instanceof BackupJob.Succeeded s) {
            BackupSummary summary = BackupSummary.of(s.manifest(), null);
            if (c.request().waitForVerify()) {
                askVerify(summary, c.replyTo());
            } else {
                c.replyTo().tell(StatusReply.success(summary));
                if (env.settings().autoVerify()) {
                    verifyInBackground(s.manifest());
                }
            }
        } else {
            c.replyTo().tell(StatusReply.error(((BackupJob.Failed) msg.outcome()).error()));
            // Objects the failed backup committed are referenced by no manifest: give their space back now, which
            // matters most when the failure was a full disk. Pins keep other in-flight work safe (invariant 6).
            gc.tell(GarbageCollector.Collect.INSTANCE);
        }
        return next();
    }

    private void verifyInBackground(Manifest m) {
        verifier.tell(new Verifier.Verify(m.id(), "auto-verify-" + m.id(), getContext().getSystem().ignoreRef(),
                getContext().getSystem().ignoreRef()));
    }

    /** Waits for verification without blocking: the answer comes back as a message while other work proceeds. */
    private void askVerify(BackupSummary summary, ActorRef<StatusReply<BackupSummary>> replyTo) {
        getContext().askWithStatus(VerifyResult.class, verifier,
                Duration.ofMillis(env.settings().verifyTimeout().toMillis() + 5_000),
                (ActorRef<StatusReply<VerifyResult>> ref) -> new Verifier.Verify(summary.backupId(), "verify-" + summary.backupId(),
                        getContext().getSystem().ignoreRef(), ref),
                (result, err) -> new VerifiedForReply(summary, result, err, replyTo));
    }

    private Behavior<Command> onVerifiedForReply(VerifiedForReply msg) {
        if (msg.error() != null) {
            msg.replyTo().tell(StatusReply.error(new BackupException(ErrorCode.VERIFICATION_FAILED, "backup "
                    + msg.summary().backupId() + " was published but could not be verified: " + Blocking.cause(msg.error()).getMessage())));
        } else {
            msg.replyTo().tell(StatusReply.success(msg.summary().withVerified(msg.result().valid())));
        }
        return this;
    }

    private Behavior<Command> startRestore(Restore r) {
        ActorRef<RestoreJob.Outcome> adapter = getContext().messageAdapter(RestoreJob.Outcome.class, RestoreEnded::new);
        var job = getContext().spawn(RestoreJob.create(env, database, r.request(), adapter, r.progress()),
                "restore-" + r.request().backupId() + "-" + Long.toHexString(random.nextLong() & 0xffffff));
        getContext().watchWith(job, new JobStopped(job));
        jobsAlive++;
        current = new Running("restore", r, job, () -> job.tell(RestoreJob.Cancel.INSTANCE));
        return this;
    }

    private Behavior<Command> onRestoreEnded(RestoreEnded msg) {
        if (current == null || !current.kind().equals("restore")) {
            return this;
        }
        Restore r = (Restore) current.operation();
        if (msg.outcome() instanceof RestoreJob.Restored ok) {
            database = ok.database();
            r.replyTo().tell(StatusReply.success(ok.result()));
            if (ok.safetyBackup() != null && env.settings().autoVerify()) {
                verifyInBackground(ok.safetyBackup());
            }
        } else {
            RestoreJob.Failed f = (RestoreJob.Failed) msg.outcome();
            r.replyTo().tell(StatusReply.error(f.error()));
            if (f.database() == null) {
                database = null;
                state = "unavailable";
                unavailableReason = "it could not be reopened after a failed restore (" + f.error().getMessage()
                        + "); check " + settings.path() + " and restart the service";
                event("failed").warn("Database " + settings.name() + " is unavailable: " + unavailableReason);
            } else {
                database = f.database();
            }
        }
        return next();
    }

    private Behavior<Command> startDelete(DeleteBackup d) {
        current = Running.quick("delete", d);
        getContext().pipeToSelf(Blocking.supply(getContext().getSystem(), JobContext.IO_DISPATCHER, () -> {
            var summary = env.repository().catalog().get(d.backupId());
            if (summary.isEmpty() || !summary.get().database().equals(settings.name())) {
                throw BackupException.notFound("backup " + d.backupId() + " of database " + settings.name()
                        + " not found; list backups to see the ids that exist");
            }
            return env.repository().deleteBackup(d.backupId());
        }), (m, err) -> {
            if (err != null) {
                BackupException e = BackupException.from(err, "delete of backup " + d.backupId() + " failed");
                return new QuickDone(d, () -> d.replyTo().tell(StatusReply.error(e)), null);
            }
            return new QuickDone(d, () -> {
                event("deleted").backup(m.id()).type(m.type()).bytes(m.sizeBytes())
                        .info("Backup " + m.id() + " of " + m.database() + " deleted (manifest removed; objects go at the next collection)");
                gc.tell(GarbageCollector.Collect.INSTANCE);
                d.replyTo().tell(StatusReply.success(new DeleteResult(m.id(), m.database(), true)));
            }, "delete");
        });
        return this;
    }

    private Behavior<Command> startRetention(ApplyRetention a) {
        current = Running.quick("retention", a);
        Instant now = env.clock().instant();
        RetentionPlan plan = RetentionPlan.compute(settings, env.repository().catalog().ofDatabase(settings.name()), now);
        if (!plan.future().isEmpty()) {
            event("retention").field("future", plan.future().size()).warn("Retention for " + settings.name() + ": "
                    + plan.future().size() + " backup(s) are dated more than " + RetentionPolicy.FUTURE_TOLERANCE.toMinutes()
                    + " min after this host's clock (" + now + "); they are kept and not counted by any rule. Check the"
                    + " clock of this host (and of the host that made them): " + plan.future());
        }
        if (a.dryRun() || plan.delete().isEmpty()) {
            RetentionResult result = new RetentionResult(settings.name(), a.dryRun(), plan.delete(), plan.keep(), plan.reasons());
            getContext().getSelf().tell(new QuickDone(a, () -> a.replyTo().tell(StatusReply.success(result)), null));
            return this;
        }
        getContext().pipeToSelf(Blocking.supply(getContext().getSystem(), JobContext.IO_DISPATCHER, () -> {
            List<BackupId> deleted = new ArrayList<>();
            for (BackupId id : plan.delete()) {
                env.repository().deleteBackup(id);
                deleted.add(id);
            }
            return deleted;
        }), (deleted, err) -> {
            if (err != null) {
                BackupException e = BackupException.from(err, "retention for database " + settings.name() + " failed");
                return new QuickDone(a, () -> a.replyTo().tell(StatusReply.error(e)), null);
            }
            RetentionResult result = new RetentionResult(settings.name(), false, deleted, plan.keep(), plan.reasons());
            return new QuickDone(a, () -> {
                event("retention").field("deleted", deleted.size()).field("kept", plan.keep().size())
                        .info("Retention for " + settings.name() + " deleted " + deleted.size() + " backups, kept " + plan.keep().size());
                gc.tell(GarbageCollector.Collect.INSTANCE);
                a.replyTo().tell(StatusReply.success(result));
            }, "retention");
        });
        return this;
    }

    private Behavior<Command> startWithHandle(WithHandle w) {
        current = Running.quick("direct", w);
        LiveDatabase db = database;
        getContext().pipeToSelf(Blocking.supply(getContext().getSystem(), JobContext.ROCKSDB_DISPATCHER, () -> db.use(w.describe(), () -> w.work().apply(db))),
                (result, err) -> new QuickDone(w, () -> w.replyTo().tell(err == null ? StatusReply.success(result)
                        : StatusReply.error(BackupException.from(err, "work on database " + settings.name() + " failed"))), null));
        return this;
    }

    private Behavior<Command> onJobStopped(JobStopped msg) {
        jobsAlive = Math.max(0, jobsAlive - 1); // never below zero, even for a job of an incarnation before a restart
        if (state.equals("closing") && current == null && jobsAlive == 0) {
            return closeNow();
        }
        if (current != null && msg.job().equals(current.job())) {
            Operation op = current.operation();
            BackupException e = new BackupException(ErrorCode.INTERNAL, op.describe() + " of " + settings.name()
                    + " stopped unexpectedly; see the server log");
            op.refuse(e);
            event("failed").warn(e.getMessage());
            if (op instanceof Restore) {
                // The handle may have been closed mid-swap; only a restart can say what state it is in.
                state = "unavailable";
                unavailableReason = "a restore stopped unexpectedly; restart the service to recover it";
                database = null;
            }
            return next();
        }
        return this;
    }

    private Behavior<Command> onQuickDone(QuickDone msg) {
        msg.reply().run();
        if (current == null || current.operation() != msg.operation()) {
            return this; // finished after a restart already answered it; whatever runs now is not done
        }
        return next();
    }

    // ---- lifecycle, status, cancel ----

    private Behavior<Command> onOpened(Opened msg) {
        if (state.equals("closing")) {
            database = msg.database();
            return closeNow();
        }
        database = msg.database();
        stats = msg.stats();
        state = "ready";
        event("opened").field("sequence_number", stats.sequenceNumber())
                .info("Database " + settings.name() + " open at " + settings.path()
                        + (msg.seededKeys() > 0 ? "; it was empty, seeded " + msg.seededKeys() + " demo keys" : ""));
        return unstashAndTellPositions(); // those queued while it opened were told "behind opening the database"
    }

    private Behavior<Command> onOpenFailed(OpenFailed msg) {
        if (state.equals("closing")) {
            return closeNow();
        }
        state = "unavailable";
        unavailableReason = Blocking.cause(msg.cause()).getMessage();
        event("failed").warn("Database " + settings.name() + " could not be opened: " + unavailableReason);
        return queue.unstashAll(this);
    }

    private void refreshStats() {
        LiveDatabase db = database;
        if (db == null) {
            return;
        }
        getContext().pipeToSelf(Blocking.supply(getContext().getSystem(), JobContext.ROCKSDB_DISPATCHER, () -> readStats(db)),
                (s, err) -> new StatsRefreshed(err == null ? s : stats));
    }

    private Stats readStats(LiveDatabase db) {
        return new Stats(db.latestSequenceNumber(), db.estimatedKeys(), db.liveSstBytes(), env.clock().instant());
    }

    private Behavior<Command> onGetStatus(GetStatus msg) {
        String s = current != null ? "busy" : state;
        msg.replyTo().tell(new DatabaseStatus(settings.name(), settings.path().toString(), s,
                current == null ? null : current.kind(), queue.size(), queue.capacity(),
                stats == null ? null : stats.sequenceNumber(), stats == null ? null : stats.estimatedKeys(),
                stats == null ? null : stats.liveSstBytes(), stats == null ? null : stats.at(), unavailableReason));
        return this;
    }

    private Behavior<Command> onCancel(Cancel msg) {
        if (current != null && msg.requestId().equals(current.operation().requestId())) {
            current.cancel().run();
        } else if (queue.anyMatch(m -> m instanceof Queued q && msg.requestId().equals(q.operation().requestId()))) {
            // Remembered only while the operation waits here, so the set never outgrows the queue.
            cancelledWhileQueued.add(msg.requestId());
        }
        return this;
    }

    /**
     * The supervisor restarts this actor after an unexpected failure (a bug). Its state is lost, so everyone still
     * waiting is answered now, and the handle is closed so the new incarnation can open the database again (it
     * retries while this close finishes). Running jobs are stopped with it; startup recovery at the next start
     * removes a checkpoint they leave.
     */
    private Behavior<Command> onPreRestart() {
        BackupException restarting = new BackupException(ErrorCode.UNAVAILABLE, "database " + settings.name()
                + " hit an internal error and is restarting (see the server log); retry in a few seconds");
        if (current != null) {
            current.operation().refuse(restarting);
        }
        queue.forEach(m -> {
            if (m instanceof Queued q) {
                q.operation().refuse(restarting);
            } else if (m instanceof Operation op) {
                op.refuse(restarting);
            }
        });
        closeWaiters.forEach(r -> r.tell(org.apache.pekko.Done.getInstance()));
        getContext().getLog().error("Database actor {} is restarting after an internal error; queued operations were refused",
                settings.name());
        return onPostStop();
    }

    private Behavior<Command> onPostStop() {
        if (database != null) {
            LiveDatabase db = database;
            database = null;
            // Shutdown: close on the RocksDB dispatcher; CoordinatedShutdown waits for the guardian to stop.
            Blocking.supply(getContext().getSystem(), JobContext.ROCKSDB_DISPATCHER, () -> {
                db.close();
                return null;
            });
        }
        return this;
    }
}
