package dev.meridian.backup.database;

import dev.meridian.backup.backup.BackupJob;
import dev.meridian.backup.config.Settings;
import dev.meridian.backup.database.OperationQueue.Ticket;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupRequest;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.DatabaseStatus;
import dev.meridian.backup.model.DeleteResult;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.model.Manifest;
import dev.meridian.backup.model.ProgressUpdate;
import dev.meridian.backup.model.RestoreRequest;
import dev.meridian.backup.model.RestoreResult;
import dev.meridian.backup.model.RetentionResult;
import dev.meridian.backup.model.VerifyResult;
import dev.meridian.backup.restore.RestoreJob;
import dev.meridian.backup.retention.DeleteJob;
import dev.meridian.backup.retention.GarbageCollector;
import dev.meridian.backup.retention.RetentionJob;
import dev.meridian.backup.rocks.LiveDatabase;
import dev.meridian.backup.runtime.Blocking;
import dev.meridian.backup.runtime.EventLog;
import dev.meridian.backup.runtime.JobContext;
import dev.meridian.backup.verify.Verifier;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.ReceiveBuilder;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.pattern.StatusReply;

/**
 * The coordinator of one database (invariant 1). It owns the RocksDB handle and runs one create, restore, delete,
 * retention or direct work at a time, each but the last as a child job; later ones wait in a bounded queue in
 * arrival order, and a request that finds the queue full is refused as busy. Status queries are answered at once,
 * from cached numbers, even while it works.
 *
 * <p>Each phase is its own behavior: {@link Opening} (the handle is being opened; operations queue), {@link Ready}
 * (idle; the next operation starts at once), {@link Running} (one operation runs; others queue, or are refused once
 * a close has come), {@link Unavailable} (no handle; operations are refused), {@link Closing} (waiting for jobs to
 * stop) and {@link Closed}.
 *
 * <p>A database its application owns ({@code owner = application}) is never opened: the actor starts in
 * {@link Ready} without a handle (state {@code application}). Backups of checkpoints the application hands over,
 * restores into a directory, deletes and retention run and queue as for any database; whatever needs the handle (a
 * checkpoint of its own, an in-place restore, direct work) is refused with what to do instead.
 */
public final class DatabaseActor {

    public sealed interface Command {}

    /** The commands that run one at a time and queue behind each other; the caller gets an {@code R} back. */
    public sealed interface Operation<R> extends Command {
        String requestId();

        ActorRef<StatusReply<R>> replyTo();
    }

    public record CreateBackup(BackupRequest request, ActorRef<ProgressUpdate> progress,
            ActorRef<StatusReply<BackupSummary>> replyTo) implements Operation<BackupSummary> {
        public String requestId() {
            return request.requestId();
        }
    }

    public record Restore(RestoreRequest request, ActorRef<ProgressUpdate> progress,
            ActorRef<StatusReply<RestoreResult>> replyTo) implements Operation<RestoreResult> {
        public String requestId() {
            return request.requestId();
        }
    }

    public record DeleteBackup(String requestId, BackupId backupId, ActorRef<StatusReply<DeleteResult>> replyTo)
            implements Operation<DeleteResult> {}

    public record ApplyRetention(String requestId, boolean dryRun, ActorRef<StatusReply<RetentionResult>> replyTo)
            implements Operation<RetentionResult> {}

    /** Runs {@code work} against the open database, serialized with everything else (for embedding applications). */
    public record WithHandle(String requestId, Function<LiveDatabase, Object> work, ActorRef<StatusReply<Object>> replyTo)
            implements Operation<Object> {}

    public record GetStatus(ActorRef<DatabaseStatus> replyTo) implements Command {}

    /**
     * The embedding API: the host application registers its open handle ({@link LiveDatabase#attach}) of a
     * database it owns ({@code owner = application}). Registering only sets the handle: from then on backups and
     * scheduled backups checkpoint through it, and an in-place restore goes through its hand-off. Refused (conflict)
     * for a database Meridian owns, and (busy) while a restore runs; a later registration replaces the handle.
     * {@code handle} null unregisters: the reply comes once Meridian's use of the old handle has ended, so the host
     * may close it then.
     */
    public record RegisterHandle(LiveDatabase handle, ActorRef<StatusReply<Done>> replyTo) implements Command {}

    /**
     * Cancels a queued or running operation by its request id; a queued one is answered "cancelled" when reached.
     * {@code found} (may be null) hears whether this database had an operation with that id.
     */
    public record Cancel(String requestId, ActorRef<Boolean> found) implements Command {
        public Cancel(String requestId) {
            this(requestId, null);
        }
    }

    /** Shutdown: refuse what is queued, let the running operation finish, close the database, then answer. */
    public record Close(ActorRef<Done> replyTo) implements Command {}

    private record Opened(LiveDatabase database, Stats stats, int seededKeys) implements Command {}

    private record OpenFailed(Throwable cause) implements Command {}

    private enum HandleClosed implements Command { INSTANCE }

    // A job's end, adapted. {@code run} tells the current run from a stale one (from before a restart).

    private record BackupEnded(long run, CreateBackup operation, BackupJob.Ended ended) implements Command {}

    private record RestoreEnded(long run, Restore operation, RestoreJob.Ended ended) implements Command {}

    private record DeleteEnded(long run, DeleteBackup operation, DeleteJob.Ended ended) implements Command {}

    private record RetentionEnded(long run, ApplyRetention operation, RetentionJob.Ended ended) implements Command {}

    private record DirectWorkEnded(long run, WithHandle operation, StatusReply<Object> reply) implements Command {}

    private record StatsRefreshed(Stats stats) implements Command {}

    /** A job child stopped; if it never reported its end (a bug), its caller still gets an answer. */
    private record JobStopped(ActorRef<?> job) implements Command {}

    private record VerifiedForReply(BackupSummary summary, VerifyResult result, Throwable error,
            ActorRef<StatusReply<BackupSummary>> replyTo) implements Command {}

    private record Stats(long sequenceNumber, long estimatedKeys, long liveSstBytes, Instant at) {}

    /** The states a database reports ({@link DatabaseStatus#state()}); the strings are the wire's. */
    private enum State {
        OPENING("opening"), READY("ready"), APPLICATION("application"), BUSY("busy"), UNAVAILABLE("unavailable"), CLOSING("closing"), CLOSED("closed");

        private final String wireName;

        State(String wireName) {
            this.wireName = wireName;
        }
    }

    /** How to stop a running job early: its cancel message. */
    private record Stop<T>(ActorRef<T> job, T message) {
        void send() {
            job.tell(message);
        }
    }

    /** The running operation: its run number, ticket, job child (null for direct work) and how to stop it (null: cannot). */
    private record Current(long run, Ticket ticket, ActorRef<?> job, Stop<?> stop) {}

    private final ActorContext<Command> context;
    private final JobContext jobs;
    private final Settings.DatabaseSettings settings;
    private final Settings.JobLimits limits;
    private final boolean autoVerify;
    private final ActorRef<Verifier.Command> verifier;
    private final ActorRef<GarbageCollector.Command> gc;
    private final OperationQueue queue;
    /** What a handed-over checkpoint must not overlap: every database, the repository and the state directory. */
    private final java.util.Map<java.nio.file.Path, String> handOverBounds = new java.util.LinkedHashMap<>();
    private final SplittableRandom random = new SplittableRandom();
    private final List<ActorRef<Done>> closeWaiters = new ArrayList<>();

    private LiveDatabase database;
    /**
     * A scheduled backup of an embedded database that came before its application registered the handle (the
     * scheduler's catch-up at start, before the host's register): it runs on registration. At most one is kept.
     */
    private CreateBackup scheduledBeforeRegistration;
    private Stats stats;
    /** Why the database is unavailable; null while it is not. */
    private String unavailableReason;
    /** The running operation, or null. */
    private Current current;
    /** Job children still alive; a finished backup's job may still be removing its checkpoint. Closing waits for them. */
    private int jobsAlive;

    public static Behavior<Command> create(JobContext jobs, Settings settings, Settings.DatabaseSettings database,
            ActorRef<Verifier.Command> verifier, ActorRef<GarbageCollector.Command> gc) {
        return Behaviors.setup(ctx -> Behaviors.withStash(settings.queueSize(),
                stash -> new DatabaseActor(ctx, jobs, settings, database, verifier, gc, stash).open()));
    }

    /**
     * Answers one command for a database that is not configured: an operation is refused with {@code error},
     * anything else is dropped. Then it stops.
     */
    public static Behavior<Command> notConfigured(BackupException error) {
        return Behaviors.receive(Command.class)
                .onMessage(Operation.class, op -> {
                    refuseOperation(op, error);
                    return Behaviors.stopped();
                })
                .onAnyMessage(m -> Behaviors.stopped())
                .build();
    }

    private DatabaseActor(ActorContext<Command> context, JobContext jobs, Settings all, Settings.DatabaseSettings settings,
            ActorRef<Verifier.Command> verifier, ActorRef<GarbageCollector.Command> gc, StashBuffer<Command> stash) {
        this.context = context;
        this.jobs = jobs;
        this.settings = settings;
        this.limits = all.jobLimits();
        this.autoVerify = all.autoVerify();
        this.verifier = verifier;
        this.gc = gc;
        this.queue = new OperationQueue(stash);
        all.databases().values().forEach(d -> handOverBounds.put(d.path(), "database '" + d.name() + "'"));
        handOverBounds.put(all.repositoryPath(), "the repository");
        handOverBounds.put(all.stateDir(), "the state directory");
    }

    private boolean applicationOwned() {
        return settings.owner() == Settings.Owner.APPLICATION;
    }

    private Behavior<Command> open() {
        jobs.metrics().queueDepth(settings.name(), queue::size);
        if (applicationOwned()) {
            // Never opened: its application holds it (and its LOCK); backups come as checkpoints it hands over.
            event("attached").field("owner", settings.owner().wireName())
                    .info("Database " + settings.name() + " at " + settings.path() + " is owned by its application;"
                            + " Meridian does not open it and ingests the checkpoints it hands over under "
                            + settings.checkpointRoots());
            return new Ready();
        }
        Settings.DatabaseSettings db = settings;
        JobContext env = jobs;
        context.pipeToSelf(Blocking.supply(context.getSystem(), JobContext.ROCKSDB_DISPATCHER, () -> {
            LiveDatabase handle = openRetryingWhileLocked(db);
            int seeded = handle.seedIfEmpty(db.seedKeys());
            return new Opened(handle, readStats(handle, env), seeded);
        }), (opened, err) -> err == null ? opened : new OpenFailed(err));
        return new Opening();
    }

    /**
     * Opens the database; while RocksDB reports its LOCK held (the previous incarnation of this actor still
     * closing after a restart), retries for up to ten seconds before giving up.
     */
    private static LiveDatabase openRetryingWhileLocked(Settings.DatabaseSettings db) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                return LiveDatabase.open(db.name(), db.path(), db.createIfMissing(), db.dbPaths());
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

    private static Stats readStats(LiveDatabase db, JobContext env) {
        return new Stats(db.latestSequenceNumber(), db.estimatedKeys(), db.liveSstBytes(), env.clock().instant());
    }

    private EventLog event(String name) {
        return EventLog.event(context.getLog(), name).database(settings.name());
    }

    private static <R> void refuse(Operation<R> op, BackupException error) {
        op.replyTo().tell(StatusReply.error(error));
    }

    private static void refuseOperation(Operation<?> op, BackupException error) {
        refuse(op, error);
    }

    // ---- tickets: what admission records of each kind of operation ----

    private Ticket ticket(CreateBackup c) {
        return queue.ticketOf(c).orElseGet(() -> newTicket(c, OperationKind.BACKUP, c.request().type().wireName() + " backup",
                c.progress(), settings.name()));
    }

    private Ticket ticket(Restore r) {
        return queue.ticketOf(r).orElseGet(() -> newTicket(r, OperationKind.RESTORE, "restore of backup " + r.request().backupId(),
                r.progress(), r.request().backupId().value()));
    }

    private Ticket ticket(DeleteBackup d) {
        return queue.ticketOf(d).orElseGet(() -> newTicket(d, OperationKind.DELETE, "delete of backup " + d.backupId(), null, null));
    }

    private Ticket ticket(ApplyRetention a) {
        return queue.ticketOf(a).orElseGet(() -> newTicket(a, OperationKind.RETENTION,
                a.dryRun() ? "retention dry run" : "retention", null, null));
    }

    private Ticket ticket(WithHandle w) {
        return queue.ticketOf(w).orElseGet(() -> newTicket(w, OperationKind.DIRECT, "direct database work", null, null));
    }

    private Ticket newTicket(Operation<?> op, OperationKind kind, String description, ActorRef<ProgressUpdate> positions,
            String progressSubject) {
        return new Ticket(op, kind, description, jobs.clock().instant(), positions, progressSubject, queue.nextNumber());
    }

    // ---- the queue ----

    /** Queues an operation behind the running one (or the opening), or refuses it: cancelled, or the queue is full. */
    private void waitInLine(Ticket t, String behind) {
        if (queue.takeCancelled(t)) {
            queue.remove(t);
            refuse(t.operation(), cancelledBeforeStart(t));
            return;
        }
        boolean fromQueue = queue.ticketOf(t.operation()).isPresent();
        if (!fromQueue && queue.isFull()) {
            refuse(t.operation(), new BackupException(ErrorCode.BUSY, "database " + settings.name() + " is busy: "
                    + queue.size() + " operations are already queued (limit " + queue.capacity()
                    + ", meridian.database.queue-size); retry later"));
            return;
        }
        queue.add(t);
        if (!fromQueue) {
            tellQueued(t, queue.size());
            event("queued").field("operation", t.description()).field("position", queue.size())
                    .info(t.description() + " of " + settings.name() + " queued behind " + behind);
        }
    }

    private BackupException cancelledBeforeStart(Ticket t) {
        return new BackupException(ErrorCode.CONFLICT, t.description() + " of " + settings.name()
                + " was cancelled before it started");
    }

    private BackupException shuttingDown(Ticket t) {
        return new BackupException(ErrorCode.UNAVAILABLE, "the service is shutting down; " + t.description()
                + " of " + settings.name() + " did not run. Retry once it is back");
    }

    /** Hands the queue to {@code next} (the first waiting operation may start); the others hear their new place. */
    private Behavior<Command> unstashAndTellPositions(Behavior<Command> next) {
        Behavior<Command> b = queue.unstashAll(next);
        int position = 0;
        for (Ticket t : queue.inOrder()) {
            tellQueued(t, ++position);
        }
        return b;
    }

    /**
     * Tells a waiting create or restore where it stands ("queued: 2nd in line, behind ..."), as a progress step,
     * when it is queued and whenever the line moves, so a caller waiting behind others is not left silent.
     */
    private void tellQueued(Ticket t, int position) {
        if (t.positions() == null) {
            return;
        }
        String ordinal = position + (position % 100 >= 11 && position % 100 <= 13 ? "th"
                : switch (position % 10) { case 1 -> "st"; case 2 -> "nd"; case 3 -> "rd"; default -> "th"; });
        String message = "queued: " + ordinal + " in line, behind " + (current == null ? "opening the database"
                : "the running " + current.ticket().description() + " of " + settings.name())
                + (position > 1 ? " and " + (position - 1) + " more queued" : "");
        t.positions().tell(new ProgressUpdate(t.operation().requestId(), t.kind().wireName(), t.progressSubject(), 0, 0, message));
    }

    // ---- starting operations (from Ready) ----

    private Behavior<Command> running(Current started) {
        if (started.job() != null) {
            context.watchWith(started.job(), new JobStopped(started.job()));
            jobsAlive++;
        }
        current = started;
        return new Running();
    }

    private String suffix() {
        return Long.toHexString(random.nextLong() & 0xffffff);
    }

    /** Refuses an operation that needs the handle of a database Meridian does not hold (its application owns it). */
    private Behavior<Command> refuseWithoutHandle(Operation<?> op, String what, String instead) {
        refuseOperation(op, new BackupException(ErrorCode.CONFLICT, what + " of database " + settings.name()
                + " was refused: its application owns it (owner = application), so Meridian never opens it. " + instead));
        return Behaviors.same();
    }

    private Behavior<Command> startBackup(CreateBackup c, Ticket t) {
        if (c.request().checkpointDir() == null && database == null && c.request().type() == BackupType.SCHEDULED
                && settings.schedule() != null) {
            // A schedule on an application-owned database exists only embedded: wait for the host's handle.
            if (scheduledBeforeRegistration != null) {
                refuse(scheduledBeforeRegistration, new BackupException(ErrorCode.CONFLICT, "a later scheduled backup of "
                        + settings.name() + " replaced this one while both waited for the application to register its handle"));
            }
            scheduledBeforeRegistration = c;
            event("waiting").info("Scheduled backup of " + settings.name() + " waits for the application to register its handle");
            return Behaviors.same();
        }
        if (c.request().checkpointDir() == null && database == null) {
            return refuseWithoutHandle(c, "a backup", "Hand over a checkpoint: the owning process writes one with"
                    + " RocksDB's Checkpoint under " + settings.checkpointRoots() + " and sends its path as"
                    + " checkpoint_dir (REST POST /api/v1/databases/" + settings.name() + "/backups, MCP backup.create,"
                    + " CLI create --checkpoint DIR)");
        }
        Instant now = jobs.clock().instant().truncatedTo(ChronoUnit.MILLIS);
        BackupId id = BackupId.generate(now, random);
        BackupId parent = c.request().type() == BackupType.INCREMENTAL
                ? jobs.repository().catalog().latest(settings.name()).map(BackupSummary::backupId).orElse(null)
                : null;
        long queuedMs = Math.max(0, Duration.between(t.receivedAt(), now).toMillis());
        long run = random.nextLong();
        ActorRef<BackupJob.Ended> adapter = context.messageAdapter(BackupJob.Ended.class, e -> new BackupEnded(run, c, e));
        BackupJob.Spec spec = new BackupJob.Spec(id, c.request(), parent, now, queuedMs);
        Behavior<BackupJob.Command> behavior = c.request().checkpointDir() == null
                ? BackupJob.create(jobs, limits.backup(), database, spec, adapter, c.progress())
                : BackupJob.ingest(jobs, limits.backup(), settings.name(), settings.path(),
                        new BackupJob.HandOver(c.request().checkpointDir(), c.request().removeCheckpoint(),
                                settings.checkpointRoots(), handOverBounds), spec, adapter, c.progress());
        ActorRef<BackupJob.Command> job = context.spawn(behavior, "backup-" + id);
        return running(new Current(run, t, job, new Stop<>(job, BackupJob.Cancel.INSTANCE)));
    }

    private Behavior<Command> startRestore(Restore r, Ticket t) {
        if (r.request().directory() == null && (database == null || !database.canBeSwapped())) {
            return refuseWithoutHandle(r, "restore of backup " + r.request().backupId() + " in place", "Restore into a"
                    + " new directory under a restore root instead (target = a path under " + limits.restore().restoreRoots()
                    + "), stop the application and move that directory into place yourself; or, in a JVM application"
                    + " that embeds Meridian, register a restore hand-off with its handle (Meridian.register with a"
                    + " HandOff, docs/embedding.md), which lets Meridian swap the database while the application"
                    + " has closed it");
        }
        long run = random.nextLong();
        ActorRef<RestoreJob.Ended> adapter = context.messageAdapter(RestoreJob.Ended.class, e -> new RestoreEnded(run, r, e));
        Behavior<RestoreJob.Command> behavior = database == null
                ? RestoreJob.intoDirectory(jobs, limits.restore(), settings.name(), r.request(), adapter, r.progress())
                : RestoreJob.create(jobs, limits.restore(), database, r.request(), adapter, r.progress());
        ActorRef<RestoreJob.Command> job = context.spawn(behavior, "restore-" + r.request().backupId() + "-" + suffix());
        return running(new Current(run, t, job, new Stop<>(job, RestoreJob.Cancel.INSTANCE)));
    }

    private Behavior<Command> startDelete(DeleteBackup d, Ticket t) {
        long run = random.nextLong();
        ActorRef<DeleteJob.Ended> adapter = context.messageAdapter(DeleteJob.Ended.class, e -> new DeleteEnded(run, d, e));
        ActorRef<DeleteJob.Command> job = context.spawn(DeleteJob.create(jobs, settings.name(), d.backupId(), gc, adapter),
                "delete-" + d.backupId() + "-" + suffix());
        return running(new Current(run, t, job, null));
    }

    private Behavior<Command> startRetention(ApplyRetention a, Ticket t) {
        long run = random.nextLong();
        ActorRef<RetentionJob.Ended> adapter = context.messageAdapter(RetentionJob.Ended.class, e -> new RetentionEnded(run, a, e));
        ActorRef<RetentionJob.Command> job = context.spawn(RetentionJob.create(jobs, settings, a.dryRun(), gc, adapter),
                "retention-" + suffix());
        return running(new Current(run, t, job, null));
    }

    private Behavior<Command> startDirectWork(WithHandle w, Ticket t) {
        if (database == null) {
            return refuseWithoutHandle(w, "direct work", "Do that work in the owning application");
        }
        long run = random.nextLong();
        LiveDatabase db = database;
        String what = t.description();
        context.pipeToSelf(Blocking.supply(context.getSystem(), JobContext.ROCKSDB_DISPATCHER, () -> db.use(what, () -> w.work().apply(db))),
                (result, err) -> new DirectWorkEnded(run, w, err == null ? StatusReply.success(result)
                        : StatusReply.error(BackupException.from(err, "work on database " + settings.name() + " failed"))));
        return running(new Current(run, t, null, null));
    }

    // ---- after an operation ----

    /** The host learns how an in-place restore through its hand-off ended, in every case (off this actor's thread). */
    private void tellHost(dev.meridian.backup.rocks.HostHandOff handOff, RestoreJob.Ended ended, BackupId backupId) {
        boolean restored = ended.reply().isSuccess();
        String message = restored
                ? "backup " + backupId + " of " + settings.name() + " was restored in place and the database reopened"
                : ended.reply().getError().getMessage()
                        + (ended.database() == null ? "; Meridian holds no handle of " + settings.name()
                                + " now: reopen the database and register it again" : "");
        String name = settings.name();
        Blocking.supply(context.getSystem(), JobContext.IO_DISPATCHER, () -> {
            handOff.restoreEnded(restored, message);
            return Done.getInstance();
        }).whenComplete((x, err) -> {
            if (err != null) {
                org.slf4j.LoggerFactory.getLogger(DatabaseActor.class).warn(
                        "The application's restoreEnded callback for {} failed: {}", name, Blocking.cause(err).toString());
            }
        });
    }

    private void verifyInBackground(Manifest m) {
        verifier.tell(new Verifier.Verify(m.id(), "auto-verify-" + m.id(), context.getSystem().ignoreRef(),
                context.getSystem().ignoreRef()));
    }

    /** Waits for verification without blocking: the answer comes back as a message while other work proceeds. */
    private void askVerify(BackupSummary summary, ActorRef<StatusReply<BackupSummary>> replyTo) {
        context.askWithStatus(VerifyResult.class, verifier, limits.verify().timeout().plusSeconds(5),
                (ActorRef<StatusReply<VerifyResult>> ref) -> new Verifier.Verify(summary.backupId(), "verify-" + summary.backupId(),
                        context.getSystem().ignoreRef(), ref),
                (result, err) -> new VerifiedForReply(summary, result, err, replyTo));
    }

    private void refreshStats() {
        LiveDatabase db = database;
        if (db == null) {
            return;
        }
        JobContext env = jobs;
        Stats before = stats;
        context.pipeToSelf(Blocking.supply(context.getSystem(), JobContext.ROCKSDB_DISPATCHER, () -> readStats(db, env)),
                (s, err) -> new StatsRefreshed(err == null ? s : before));
    }

    private Behavior<Command> closeNow() {
        if (scheduledBeforeRegistration != null) {
            refuse(scheduledBeforeRegistration, new BackupException(ErrorCode.UNAVAILABLE, "the service is shutting down"
                    + " before the application registered the handle of " + settings.name() + "; the scheduled backup did not run"));
            scheduledBeforeRegistration = null;
        }
        LiveDatabase db = database;
        database = null;
        context.pipeToSelf(Blocking.supply(context.getSystem(), JobContext.ROCKSDB_DISPATCHER, () -> {
            if (db != null) {
                db.close();
            }
            return Done.getInstance();
        }), (v, err) -> {
            if (err != null) {
                context.getLog().warn("Closing database {} failed: {}", settings.name(), err.getMessage());
            }
            return HandleClosed.INSTANCE;
        });
        event("closed").info("Database " + settings.name() + " closed");
        return new Closed();
    }

    /** After a Close: close now if no job is alive, else wait for them. */
    private Behavior<Command> closeWhenJobsStop() {
        return jobsAlive == 0 ? closeNow() : new Closing(false);
    }

    /** One entry per kind of operation; each hands the operation's ticket to {@code handler}. */
    private ReceiveBuilder<Command> byTicket(ReceiveBuilder<Command> b, Function<Ticket, Behavior<Command>> handler) {
        return b.onMessage(CreateBackup.class, c -> handler.apply(ticket(c)))
                .onMessage(Restore.class, r -> handler.apply(ticket(r)))
                .onMessage(DeleteBackup.class, d -> handler.apply(ticket(d)))
                .onMessage(ApplyRetention.class, a -> handler.apply(ticket(a)))
                .onMessage(WithHandle.class, w -> handler.apply(ticket(w)));
    }

    // ---- the phases ----

    /** What every phase does alike: status, cancel of a waiting operation, closes, stats, and the signals. */
    private abstract class Phase extends AbstractBehavior<Command> {
        Phase() {
            super(DatabaseActor.this.context);
        }

        abstract State state();

        /** What this phase does with each kind of operation (arriving, or handed back from the queue). */
        abstract ReceiveBuilder<Command> operations(ReceiveBuilder<Command> b);

        abstract Behavior<Command> onClose(Close msg);

        /** Handlers of this phase only; they come before the common ones. */
        ReceiveBuilder<Command> own(ReceiveBuilder<Command> b) {
            return b;
        }

        @Override
        public Receive<Command> createReceive() {
            return operations(own(newReceiveBuilder()))
                    .onMessage(GetStatus.class, this::onGetStatus)
                    .onMessage(RegisterHandle.class, this::onRegisterHandle)
                    .onMessage(Cancel.class, this::onCancel)
                    .onMessage(Close.class, this::onClose)
                    .onMessage(JobStopped.class, this::onJobStopped)
                    .onMessage(DirectWorkEnded.class, this::onDirectWorkEnded)
                    .onMessage(StatsRefreshed.class, this::onStatsRefreshed)
                    .onMessage(VerifiedForReply.class, this::onVerifiedForReply)
                    .onSignal(PreRestart.class, s -> onPreRestart())
                    .onSignal(PostStop.class, s -> onPostStop())
                    .build();
        }

        Behavior<Command> onGetStatus(GetStatus msg) {
            msg.replyTo().tell(new DatabaseStatus(settings.name(), settings.path().toString(), state().wireName,
                    current == null ? null : current.ticket().kind().wireName(), queue.size(), queue.capacity(),
                    stats == null ? null : stats.sequenceNumber(), stats == null ? null : stats.estimatedKeys(),
                    stats == null ? null : stats.liveSstBytes(), stats == null ? null : stats.at(), unavailableReason));
            return this;
        }

        Behavior<Command> onRegisterHandle(RegisterHandle msg) {
            BackupException refused = null;
            if (!applicationOwned()) {
                refused = new BackupException(ErrorCode.CONFLICT, "database " + settings.name() + " is owned by Meridian"
                        + " (owner = meridian), which opens it itself; set owner = \"application\" for a database the"
                        + " application holds open");
            } else if (state() == State.CLOSING || state() == State.CLOSED) {
                refused = new BackupException(ErrorCode.UNAVAILABLE, "the service is shutting down; the handle of "
                        + settings.name() + " was not " + (msg.handle() == null ? "unregistered" : "registered"));
            } else if (current != null && current.ticket().kind() == OperationKind.RESTORE) {
                refused = new BackupException(ErrorCode.BUSY, "a restore of " + settings.name() + " is running; it"
                        + " reopens the database through the hand-off. Retry once it ended");
            }
            if (refused != null) {
                msg.replyTo().tell(StatusReply.error(refused));
                return this;
            }
            LiveDatabase previous = database;
            database = msg.handle();
            if (previous != null && previous != database) {
                // Meridian's use of the old handle ends (waiting for work in progress) before the caller hears back,
                // so the host may close it afterwards; the host's handle itself is never closed here.
                ActorRef<StatusReply<Done>> replyTo = msg.replyTo();
                Blocking.supply(context.getSystem(), JobContext.ROCKSDB_DISPATCHER, () -> {
                    previous.close();
                    return Done.getInstance();
                }).whenComplete((x, err) -> replyTo.tell(err == null ? StatusReply.success(Done.getInstance())
                        : StatusReply.error(BackupException.from(err, "releasing the previous handle of " + settings.name()))));
            } else {
                msg.replyTo().tell(StatusReply.success(Done.getInstance()));
            }
            if (database == null) {
                event("unregistered").info("Database " + settings.name() + ": the application unregistered its handle;"
                        + " backups through it are refused until it registers one again");
                return this;
            }
            if (scheduledBeforeRegistration != null) {
                context.getSelf().tell(scheduledBeforeRegistration);
                scheduledBeforeRegistration = null;
            }
            event("registered").field("owner", settings.owner().wireName())
                    .info("Database " + settings.name() + ": the application registered its open handle"
                            + (database.handOff() != null ? " with a restore hand-off" : ""));
            if (current == null) {
                refreshStats();
            }
            if (state() == State.UNAVAILABLE) {
                unavailableReason = null; // a restore left no handle; the application reopened and registered it
                return unstashAndTellPositions(new Ready());
            }
            return this;
        }

        Behavior<Command> onCancel(Cancel msg) {
            answer(msg, queue.cancel(requestIdOf(msg)));
            return this;
        }

        static void answer(Cancel msg, boolean found) {
            if (msg.found() != null) {
                msg.found().tell(found);
            }
        }

        /** A Cancel without a request id is a caller's bug; it fails here, and the supervisor restarts the actor. */
        String requestIdOf(Cancel msg) {
            return Objects.requireNonNull(msg.requestId(), "Cancel without a request id");
        }

        Behavior<Command> onJobStopped(JobStopped msg) {
            jobsAlive = Math.max(0, jobsAlive - 1); // never below zero, even for a job of an incarnation before a restart
            return this;
        }

        /** Direct work of an earlier run (before a restart) ended: its caller was already answered, this is its result. */
        Behavior<Command> onDirectWorkEnded(DirectWorkEnded msg) {
            msg.operation().replyTo().tell(msg.reply());
            return this;
        }

        private Behavior<Command> onStatsRefreshed(StatsRefreshed msg) {
            stats = msg.stats();
            return this;
        }

        private Behavior<Command> onVerifiedForReply(VerifiedForReply msg) {
            if (msg.error() != null) {
                msg.replyTo().tell(StatusReply.error(new BackupException(ErrorCode.VERIFICATION_FAILED, "backup "
                        + msg.summary().backupId() + " was published but could not be verified: "
                        + Blocking.cause(msg.error()).getMessage())));
            } else {
                msg.replyTo().tell(StatusReply.success(msg.summary().withVerified(msg.result().valid())));
            }
            return this;
        }

        /**
         * The supervisor restarts this actor after an unexpected failure (a bug). Its state is lost, so everyone
         * still waiting is answered now, and the handle is closed so the new incarnation can open the database
         * again (it retries while this close finishes). Running jobs are stopped with it; startup recovery at the
         * next start removes a checkpoint they leave.
         */
        private Behavior<Command> onPreRestart() {
            BackupException restarting = new BackupException(ErrorCode.UNAVAILABLE, "database " + settings.name()
                    + " hit an internal error and is restarting (see the server log); retry in a few seconds");
            if (current != null) {
                refuse(current.ticket().operation(), restarting);
            }
            queue.inOrder().forEach(t -> refuse(t.operation(), restarting));
            closeWaiters.forEach(r -> r.tell(Done.getInstance()));
            context.getLog().error("Database actor {} is restarting after an internal error; queued operations were refused",
                    settings.name());
            return onPostStop();
        }

        private Behavior<Command> onPostStop() {
            if (database != null) {
                LiveDatabase db = database;
                database = null;
                // Shutdown: close on the RocksDB dispatcher; CoordinatedShutdown waits for the guardian to stop.
                Blocking.supply(context.getSystem(), JobContext.ROCKSDB_DISPATCHER, () -> {
                    db.close();
                    return Done.getInstance();
                });
            }
            return this;
        }
    }

    /** The handle is being opened; operations queue behind the opening. */
    private final class Opening extends Phase {
        @Override
        State state() {
            return State.OPENING;
        }

        @Override
        ReceiveBuilder<Command> own(ReceiveBuilder<Command> b) {
            return b.onMessage(Opened.class, this::onOpened).onMessage(OpenFailed.class, this::onOpenFailed);
        }

        @Override
        ReceiveBuilder<Command> operations(ReceiveBuilder<Command> b) {
            return byTicket(b, this::onOperation);
        }

        private Behavior<Command> onOperation(Ticket ticket) {
            waitInLine(ticket, "opening");
            return this;
        }

        @Override
        Behavior<Command> onClose(Close msg) {
            closeWaiters.add(msg.replyTo());
            return queue.unstashAll(new Closing(true));
        }

        private Behavior<Command> onOpened(Opened msg) {
            database = msg.database();
            stats = msg.stats();
            event("opened").field("sequence_number", stats.sequenceNumber())
                    .info("Database " + settings.name() + " open at " + settings.path()
                            + (msg.seededKeys() > 0 ? "; it was empty, seeded " + msg.seededKeys() + " demo keys" : ""));
            return unstashAndTellPositions(new Ready()); // those queued while it opened were told "behind opening the database"
        }

        private Behavior<Command> onOpenFailed(OpenFailed msg) {
            // A class that failed to initialize (RocksDB's library not loaded) says nothing itself: its cause does.
            Throwable cause = Blocking.cause(msg.cause());
            while (cause.getMessage() == null && cause.getCause() != null) {
                cause = cause.getCause();
            }
            unavailableReason = cause.getMessage() != null ? cause.getMessage() : cause.toString();
            event("failed").warn("Database " + settings.name() + " could not be opened: " + unavailableReason);
            return queue.unstashAll(new Unavailable());
        }
    }

    /** Open and idle: the next operation starts at once. */
    private final class Ready extends Phase {
        @Override
        State state() {
            return database == null ? State.APPLICATION : State.READY;
        }

        @Override
        ReceiveBuilder<Command> operations(ReceiveBuilder<Command> b) {
            return b.onMessage(CreateBackup.class, c -> start(ticket(c), t -> startBackup(c, t)))
                    .onMessage(Restore.class, r -> start(ticket(r), t -> startRestore(r, t)))
                    .onMessage(DeleteBackup.class, d -> start(ticket(d), t -> startDelete(d, t)))
                    .onMessage(ApplyRetention.class, a -> start(ticket(a), t -> startRetention(a, t)))
                    .onMessage(WithHandle.class, w -> start(ticket(w), t -> startDirectWork(w, t)));
        }

        /** Starts the operation unless it was cancelled while it waited. */
        private Behavior<Command> start(Ticket ticket, Function<Ticket, Behavior<Command>> starter) {
            queue.remove(ticket);
            if (queue.takeCancelled(ticket)) {
                refuse(ticket.operation(), cancelledBeforeStart(ticket));
                return this;
            }
            return starter.apply(ticket);
        }

        @Override
        Behavior<Command> onClose(Close msg) {
            closeWaiters.add(msg.replyTo());
            return closeWhenJobsStop();
        }
    }

    /** One operation runs; others wait in line, or are refused once a Close has come. */
    private final class Running extends Phase {
        private boolean closing;

        @Override
        State state() {
            return State.BUSY;
        }

        @Override
        ReceiveBuilder<Command> own(ReceiveBuilder<Command> b) {
            return b.onMessage(BackupEnded.class, this::onBackupEnded)
                    .onMessage(RestoreEnded.class, this::onRestoreEnded)
                    .onMessage(DeleteEnded.class, this::onDeleteEnded)
                    .onMessage(RetentionEnded.class, this::onRetentionEnded);
        }

        @Override
        ReceiveBuilder<Command> operations(ReceiveBuilder<Command> b) {
            return byTicket(b, this::onOperation);
        }

        private Behavior<Command> onOperation(Ticket ticket) {
            if (closing) {
                queue.remove(ticket);
                refuse(ticket.operation(), shuttingDown(ticket));
            } else {
                waitInLine(ticket, current.ticket().kind().wireName());
            }
            return this;
        }

        @Override
        Behavior<Command> onCancel(Cancel msg) {
            if (requestIdOf(msg).equals(current.ticket().operation().requestId())) {
                if (current.stop() != null) {
                    current.stop().send();
                }
                answer(msg, true);
                return this;
            }
            return super.onCancel(msg);
        }

        @Override
        Behavior<Command> onClose(Close msg) {
            closeWaiters.add(msg.replyTo());
            closing = true;
            return queue.unstashAll(this); // the queue is refused; the running operation finishes
        }

        private boolean isCurrent(long run) {
            return current.run() == run;
        }

        private Behavior<Command> onBackupEnded(BackupEnded msg) {
            if (!isCurrent(msg.run())) {
                return this;
            }
            CreateBackup c = msg.operation();
            StatusReply<Manifest> result = msg.ended().result();
            if (result.isSuccess()) {
                BackupSummary summary = BackupSummary.of(result.getValue(), null);
                if (c.request().waitForVerify()) {
                    askVerify(summary, c.replyTo());
                } else {
                    c.replyTo().tell(StatusReply.success(summary));
                    if (autoVerify) {
                        verifyInBackground(result.getValue());
                    }
                }
            } else {
                c.replyTo().tell(StatusReply.error(result.getError()));
                // Objects the failed backup committed are referenced by no manifest: give their space back now, which
                // matters most when the failure was a full disk. Pins keep other in-flight work safe (invariant 6).
                gc.tell(GarbageCollector.Collect.INSTANCE);
            }
            return next();
        }

        private Behavior<Command> onRestoreEnded(RestoreEnded msg) {
            if (!isCurrent(msg.run())) {
                return this;
            }
            RestoreJob.Ended ended = msg.ended();
            msg.operation().replyTo().tell(ended.reply());
            boolean hadHandle = database != null;
            boolean intoDirectory = msg.operation().request().directory() != null;
            if (intoDirectory && ended.database() == null) {
                // A restore into a directory that ran without a handle: one the host registered meanwhile stays.
                return next();
            }
            LiveDatabase before = database;
            database = ended.database();
            if (!intoDirectory && before != null && before.handOff() != null) {
                tellHost(before.handOff(), ended, msg.operation().request().backupId());
            }
            if (database == null && hadHandle) {
                unavailableReason = "it could not be reopened after a failed restore (" + ended.reply().getError().getMessage()
                        + "); check " + settings.path() + (applicationOwned()
                                ? ", reopen it in the application and register its handle again" : " and restart the service");
                event("failed").warn("Database " + settings.name() + " is unavailable: " + unavailableReason);
            } else if (ended.reply().isSuccess() && ended.safetyBackup() != null && autoVerify) {
                verifyInBackground(ended.safetyBackup());
            }
            return next();
        }

        private Behavior<Command> onDeleteEnded(DeleteEnded msg) {
            if (!isCurrent(msg.run())) {
                return this;
            }
            msg.operation().replyTo().tell(msg.ended().reply());
            return next();
        }

        private Behavior<Command> onRetentionEnded(RetentionEnded msg) {
            if (!isCurrent(msg.run())) {
                return this;
            }
            msg.operation().replyTo().tell(msg.ended().reply());
            return next();
        }

        @Override
        Behavior<Command> onDirectWorkEnded(DirectWorkEnded msg) {
            msg.operation().replyTo().tell(msg.reply());
            return isCurrent(msg.run()) ? next() : this;
        }

        @Override
        Behavior<Command> onJobStopped(JobStopped msg) {
            super.onJobStopped(msg);
            if (!msg.job().equals(current.job())) {
                return this;
            }
            Ticket t = current.ticket();
            BackupException e = new BackupException(ErrorCode.INTERNAL, t.description() + " of " + settings.name()
                    + " stopped unexpectedly; see the server log");
            refuse(t.operation(), e);
            event("failed").warn(e.getMessage());
            if (t.kind() == OperationKind.RESTORE) {
                // The handle may have been closed mid-swap; only a restart can say what state it is in.
                unavailableReason = "a restore stopped unexpectedly; restart the service to recover it";
                database = null;
            }
            return next();
        }

        /** The running operation ended: take the next one from the queue, in arrival order. */
        private Behavior<Command> next() {
            current = null;
            if (closing) {
                return closeWhenJobsStop();
            }
            refreshStats();
            return unstashAndTellPositions(unavailableReason != null ? new Unavailable() : new Ready());
        }
    }

    /** No handle (it would not open, or a restore left none): operations are refused with the reason. */
    private final class Unavailable extends Phase {
        @Override
        State state() {
            return State.UNAVAILABLE;
        }

        @Override
        ReceiveBuilder<Command> operations(ReceiveBuilder<Command> b) {
            return byTicket(b, this::onOperation);
        }

        private Behavior<Command> onOperation(Ticket ticket) {
            queue.remove(ticket);
            refuse(ticket.operation(), new BackupException(ErrorCode.UNAVAILABLE, "database " + settings.name()
                    + " is unavailable: " + unavailableReason));
            return this;
        }

        @Override
        Behavior<Command> onClose(Close msg) {
            closeWaiters.add(msg.replyTo());
            return closeWhenJobsStop();
        }
    }

    /** A Close came: operations are refused; the handle closes once the opening has ended and every job stopped. */
    private final class Closing extends Phase {
        private boolean opening;

        Closing(boolean opening) {
            this.opening = opening;
        }

        @Override
        State state() {
            return State.CLOSING;
        }

        @Override
        ReceiveBuilder<Command> own(ReceiveBuilder<Command> b) {
            return b.onMessage(Opened.class, this::onOpened).onMessage(OpenFailed.class, this::onOpenFailed);
        }

        @Override
        ReceiveBuilder<Command> operations(ReceiveBuilder<Command> b) {
            return byTicket(b, this::onOperation);
        }

        private Behavior<Command> onOperation(Ticket ticket) {
            queue.remove(ticket);
            refuse(ticket.operation(), shuttingDown(ticket));
            return this;
        }

        @Override
        Behavior<Command> onClose(Close msg) {
            closeWaiters.add(msg.replyTo());
            return this;
        }

        private Behavior<Command> onOpened(Opened msg) {
            database = msg.database();
            opening = false;
            return closeIfIdle();
        }

        private Behavior<Command> onOpenFailed(OpenFailed msg) {
            opening = false;
            return closeIfIdle();
        }

        @Override
        Behavior<Command> onJobStopped(JobStopped msg) {
            super.onJobStopped(msg);
            return closeIfIdle();
        }

        private Behavior<Command> closeIfIdle() {
            return !opening && jobsAlive == 0 ? closeNow() : this;
        }
    }

    /** The handle is closed (or closing); Close is answered once it is. */
    private final class Closed extends Phase {
        private boolean handleClosed;

        @Override
        State state() {
            return State.CLOSED;
        }

        @Override
        ReceiveBuilder<Command> own(ReceiveBuilder<Command> b) {
            return b.onMessageEquals(HandleClosed.INSTANCE, this::onHandleClosed);
        }

        @Override
        ReceiveBuilder<Command> operations(ReceiveBuilder<Command> b) {
            return byTicket(b, this::onOperation);
        }

        private Behavior<Command> onOperation(Ticket ticket) {
            queue.remove(ticket);
            refuse(ticket.operation(), shuttingDown(ticket));
            return this;
        }

        @Override
        Behavior<Command> onClose(Close msg) {
            if (handleClosed) {
                msg.replyTo().tell(Done.getInstance());
            } else {
                closeWaiters.add(msg.replyTo());
            }
            return this;
        }

        private Behavior<Command> onHandleClosed() {
            handleClosed = true;
            closeWaiters.forEach(r -> r.tell(Done.getInstance()));
            closeWaiters.clear();
            return this;
        }
    }
}
