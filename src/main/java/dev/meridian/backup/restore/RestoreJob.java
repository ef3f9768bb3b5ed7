package dev.meridian.backup.restore;

import dev.meridian.backup.backup.BackupJob;
import dev.meridian.backup.config.Settings;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupRequest;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.model.FileEntry;
import dev.meridian.backup.model.Manifest;
import dev.meridian.backup.model.ProgressUpdate;
import dev.meridian.backup.model.RestoreRequest;
import dev.meridian.backup.model.RestoreResult;
import dev.meridian.backup.repository.CorruptObjectException;
import dev.meridian.backup.repository.JobJournal;
import dev.meridian.backup.repository.Repository;
import dev.meridian.backup.rocks.DatabaseLocation;
import dev.meridian.backup.rocks.LiveDatabase;
import dev.meridian.backup.rocks.OptionsFile;
import dev.meridian.backup.runtime.Blocking;
import dev.meridian.backup.runtime.CrashPoints;
import dev.meridian.backup.runtime.EventLog;
import dev.meridian.backup.runtime.JobContext;
import dev.meridian.backup.runtime.ProgressReporter;
import dev.meridian.backup.store.file.DurableFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.pattern.StatusReply;
import org.slf4j.LoggerFactory;

/**
 * One restore, as a short-lived child of the target database's actor (invariant 4): materialize every file into
 * a staging directory beside the target, checking each Blake3 hash while writing; take a safety backup of the live
 * database (unless the caller opted out); close the database, swap directories by rename, reopen. A restore into
 * another directory stages the same way and publishes the directory with one rename, leaving the database alone.
 * Each blocking step runs on its arguments only and comes back as a message; only the actor touches its fields.
 */
public final class RestoreJob extends AbstractBehavior<RestoreJob.Command> {

    public sealed interface Command {}

    /** Stops the restore if it has not started swapping (the point of no return). */
    public enum Cancel implements Command { INSTANCE }

    /** The manifest is read and pinned, the job journaled, the staging directory created. */
    private record Loaded(Manifest manifest, Repository.Pin pin, Path staging, JobJournal.Entry journalEntry) implements Command {}

    private record FileWritten(FileEntry file) implements Command {}

    private record FileFailed(FileEntry file, Throwable cause) implements Command {}

    /** Every file is staged; the journal says so ({@code journalEntry} is the entry as now written). */
    private record Staged(JobJournal.Entry journalEntry) implements Command {}

    private record SafetyDone(BackupJob.Ended ended) implements Command {}

    /**
     * The swap step ended. {@code database} is the handle open after it: the restored database, the previous one
     * put back, or null when none could be opened; {@code error} is null on success.
     */
    private record SwapEnded(LiveDatabase database, Throwable error) implements Command {}

    /** The directory restore is published. */
    private record DirectoryPublished() implements Command {}

    private record StepFailed(Throwable cause) implements Command {}

    /** Cleanup after a failure is done; {@code database} is the handle open now (null: none). */
    private record CleanedUp(LiveDatabase database) implements Command {}

    private enum TimedOut implements Command { INSTANCE }

    /**
     * What the job tells its parent: the caller's reply, the handle the parent owns from now on (null: none open,
     * the database is unavailable), and the safety backup taken before the swap (null if none was published).
     */
    public record Ended(StatusReply<RestoreResult> reply, LiveDatabase database, Manifest safetyBackup) {}

    private final JobContext env;
    private final Settings.RestoreLimits limits;
    /** The open database; null for a restore into a directory of a database Meridian has no handle of. */
    private final LiveDatabase live;
    private final String database;
    private final RestoreRequest request;
    private final ActorRef<Ended> replyTo;
    private final ActorRef<ProgressUpdate> progressTo;
    private final ProgressReporter progress;
    private final Path target;
    private final String jobId;
    private final Instant started;
    private final Deque<FileEntry> pending = new ArrayDeque<>();
    /** Known once {@link Loaded} arrives (beside where the database really lives); null before. */
    private Path staging;
    private JobJournal.Entry journalEntry;
    private Manifest manifest;
    private Repository.Pin pin;
    private Manifest safety;
    /** The running safety backup, told to stop if this restore is cancelled or times out meanwhile. */
    private ActorRef<BackupJob.Command> safetyJob;
    private int outstanding;
    private int filesInFlight;
    private boolean swapping;
    private BackupException failure;
    /** The handle open if this job fails now: the live one until the swap closes it. */
    private LiveDatabase handleAfterFailure;

    public static Behavior<Command> create(JobContext env, Settings.RestoreLimits limits, LiveDatabase live,
            RestoreRequest request, ActorRef<Ended> replyTo, ActorRef<ProgressUpdate> progressTo) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
                new RestoreJob(ctx, timers, env, limits, live, live.name(), request, replyTo, progressTo)));
    }

    /**
     * A restore of a backup of {@code database} into a new directory ({@code request.directory()}, required),
     * for a database Meridian holds no handle of (one its application owns): it stages and publishes the
     * directory as any restore into a directory does, and never touches the database.
     */
    public static Behavior<Command> intoDirectory(JobContext env, Settings.RestoreLimits limits, String database,
            RestoreRequest request, ActorRef<Ended> replyTo, ActorRef<ProgressUpdate> progressTo) {
        java.util.Objects.requireNonNull(request.directory(), "a restore without a handle needs a target directory");
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
                new RestoreJob(ctx, timers, env, limits, null, database, request, replyTo, progressTo)));
    }

    private RestoreJob(ActorContext<Command> ctx, TimerScheduler<Command> timers, JobContext env,
            Settings.RestoreLimits limits, LiveDatabase live, String database, RestoreRequest request,
            ActorRef<Ended> replyTo, ActorRef<ProgressUpdate> progressTo) {
        super(ctx);
        this.env = env;
        this.limits = limits;
        this.live = live;
        this.database = database;
        this.request = request;
        this.replyTo = replyTo;
        this.progressTo = progressTo;
        this.started = env.clock().instant();
        this.target = request.directory() != null ? request.directory() : live.path();
        this.jobId = "restore-" + request.backupId() + "-" + Long.toHexString(new SplittableRandom().nextLong() & 0xffffffL);
        this.handleAfterFailure = live;
        this.progress = new ProgressReporter(progressTo, request.requestId(), "restore", request.backupId().value());
        timers.startSingleTimer(TimedOut.INSTANCE, limits.timeout());
        event("started").info("Restore of backup " + request.backupId() + " into " + target + " started");
        outstanding++;
        Repository repository = env.repository();
        JobJournal journal = env.journal();
        List<Path> roots = limits.restoreRoots();
        ctx.pipeToSelf(Blocking.supply(ctx.getSystem(), JobContext.IO_DISPATCHER,
                () -> prepare(repository, journal, live, database, request, target, jobId, roots)),
                (l, err) -> err == null ? l : new StepFailed(err));
    }

    private boolean intoDatabase() {
        return request.directory() == null;
    }

    private EventLog event(String name) {
        return EventLog.event(getContext().getLog(), name).database(database).backup(request.backupId())
                .field("target", target);
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Loaded.class, this::onLoaded)
                .onMessage(FileWritten.class, this::onFileWritten)
                .onMessage(FileFailed.class, this::onFileFailed)
                .onMessage(Staged.class, this::onStaged)
                .onMessage(SafetyDone.class, this::onSafetyDone)
                .onMessage(SwapEnded.class, this::onSwapEnded)
                .onMessage(DirectoryPublished.class, m -> onRestored(live))
                .onMessage(StepFailed.class, this::onStepFailed)
                .onMessageEquals(Cancel.INSTANCE, () -> swapping ? this : fail(new BackupException(ErrorCode.CONFLICT,
                        "restore of backup " + request.backupId() + " was cancelled; the database was not changed")))
                .onMessageEquals(TimedOut.INSTANCE, () -> swapping ? this : fail(new BackupException(ErrorCode.TIMEOUT,
                        "restore of backup " + request.backupId() + " did not finish within " + limits.timeout()
                                + "; the database was not changed")))
                .build();
    }

    // I/O dispatcher: read the manifest, journal the job, create the staging directory.
    private static Loaded prepare(Repository repository, JobJournal journal, LiveDatabase live, String database,
            RestoreRequest request, Path target, String jobId, List<Path> restoreRoots) throws IOException {
        boolean intoDatabase = request.directory() == null;
        // Swap where the database really lives: through a symlink, the link stays and its target is swapped.
        Path liveReal = null;
        if (intoDatabase) {
            DatabaseLocation where = DatabaseLocation.of(live.path());
            if (where.mountPoint()) {
                throw refuseMountPoint(request, live.name(), where, restoreRoots);
            }
            if (!live.walDir().isEmpty()) {
                throw refuseSeparateWalDir(request, live.name(), live.walDir(), restoreRoots);
            }
            List<Path> elsewhere = live.tableDirectoriesElsewhere();
            if (!elsewhere.isEmpty()) {
                throw refuseDbPaths(request, live.name(), elsewhere, restoreRoots);
            }
            liveReal = where.real();
        }
        Path staging = RestoreSwap.staging(intoDatabase ? liveReal : target, jobId);
        Manifest m = repository.readManifest(request.backupId());
        Repository.Pin p = repository.pin(m);
        JobJournal.Entry entry;
        try {
            entry = new JobJournal.Entry(jobId, "restore", database, request.backupId().value(), RestoreSwap.STAGING,
                    intoDatabase ? liveReal.toString() : null, staging.toString(),
                    intoDatabase ? RestoreSwap.old(liveReal, jobId).toString() : null, List.of(staging.toString()));
            journal.write(entry);
            DurableFiles.createDirectories(staging.getParent());
            Files.createDirectory(staging);
        } catch (IOException | RuntimeException e) {
            p.close(); // no Loaded message will carry it to the cleanup
            throw e;
        }
        return new Loaded(m, p, staging, entry);
    }

    /**
     * A database directory that is a mount point cannot be renamed, so it cannot be swapped; refused before any
     * staging copy or safety backup, so nothing is written.
     */
    private static BackupException refuseMountPoint(RestoreRequest request, String database, DatabaseLocation where,
            List<Path> restoreRoots) {
        return new BackupException(ErrorCode.CONFLICT, "restore of backup " + request.backupId() + " into database "
                + database + " was refused: its directory " + where.real() + " is a mount point (for example a "
                + "container volume), and a mount point cannot be replaced by rename, which is how an in-place restore "
                + "stays crash-safe. Nothing was changed. Restore into a new directory instead (target: a path under "
                + restoreRoots + "; CLI: restore --target DIR), then stop the application and move the "
                + "files into the volume, or point the application at the restored directory");
    }

    /**
     * The owner opens with its own wal_dir, which still holds the WAL of the database being replaced: RocksDB would
     * replay it into the restored files. Refused before any staging copy or safety backup.
     */
    private static BackupException refuseSeparateWalDir(RestoreRequest request, String database, String walDir,
            List<Path> restoreRoots) {
        return new BackupException(ErrorCode.CONFLICT, "restore of backup " + request.backupId() + " into database "
                + database + " was refused: its OPTIONS keep the write-ahead log in a separate directory (wal_dir = "
                + walDir + "), which still holds the WAL of the current database, and the owning application would "
                + "replay that WAL into the restored files. Nothing was changed. Restore into a new directory instead "
                + "(target: a path under " + restoreRoots + "; CLI: restore --target DIR; the copy "
                + "keeps its WAL in its own directory), then stop the application, empty " + walDir
                + ", and switch it to the copy");
    }

    /**
     * The owner keeps SSTs in several directories (RocksDB's db_paths), and a swap by rename replaces one. The
     * replaced database's SSTs in the other directories would be deleted by RocksDB as obsolete on the first open of
     * the restored one, so the old database could no longer be brought back (the swap's rollback guarantee), and
     * where db_paths[0] is not the database directory the restored SSTs would not be where RocksDB looks. Refused
     * before any staging copy or safety backup.
     */
    private static BackupException refuseDbPaths(RestoreRequest request, String database, List<Path> elsewhere,
            List<Path> restoreRoots) {
        return new BackupException(ErrorCode.CONFLICT, "restore of backup " + request.backupId() + " into database "
                + database + " was refused: the database keeps SST files in other directories too (RocksDB db_paths: "
                + elsewhere + "), and an in-place restore swaps one directory by rename: it cannot put the files back"
                + " across several directories and stay crash-safe, and RocksDB would delete the current database's"
                + " SSTs there as obsolete, so it could not be rolled back. Nothing was changed. Restore into a new"
                + " directory instead (target: a path under " + restoreRoots + "; CLI: restore --target DIR): the copy"
                + " holds every SST in its own directory (path_id 0) and opens without db_paths. Then stop the"
                + " application and run it on the copy, with no db_paths or with db_paths whose first entry is the"
                + " copy's directory (compactions spread the files again); set db-paths here to match");
    }

    private Behavior<Command> onLoaded(Loaded msg) {
        outstanding--;
        manifest = msg.manifest();
        pin = msg.pin();
        staging = msg.staging();
        journalEntry = msg.journalEntry();
        if (failure != null) {
            return cleanUpIfIdle();
        }
        manifest.files().stream().sorted(Comparator.comparingLong(FileEntry::size).reversed()).forEach(pending::add);
        progress.total(manifest.sizeBytes());
        progress.step("staging");
        return launchFiles();
    }

    private Behavior<Command> launchFiles() {
        Repository repository = env.repository();
        Path dir = staging;
        ProgressReporter reporter = progress;
        while (filesInFlight < limits.parallelFiles() && !pending.isEmpty()) {
            FileEntry f = pending.poll();
            filesInFlight++;
            outstanding++;
            getContext().pipeToSelf(Blocking.supply(getContext().getSystem(), JobContext.IO_DISPATCHER,
                    () -> writeFile(repository, f, dir, reporter)),
                    (w, err) -> err == null ? w : new FileFailed(f, err));
        }
        if (filesInFlight == 0 && pending.isEmpty()) {
            outstanding++;
            JobJournal journal = env.journal();
            JobJournal.Entry staged = journalEntry.withPhase(RestoreSwap.STAGED);
            getContext().pipeToSelf(Blocking.supply(getContext().getSystem(), JobContext.IO_DISPATCHER, () -> {
                OptionsFile.detachWalDir(dir); // the copy's WAL is in its own directory, not the live wal_dir
                DurableFiles.fsyncDirectory(dir);
                journal.write(staged);
                CrashPoints.reach("restore.staged");
                return new Staged(staged);
            }), (s, err) -> err == null ? s : new StepFailed(err));
        }
        return this;
    }

    // I/O dispatcher: one file, hash-checked while it is written, then fsynced.
    private static FileWritten writeFile(Repository repository, FileEntry f, Path staging, ProgressReporter progress)
            throws IOException {
        Materializer.writeFile(repository, f, staging, progress.forFile());
        return new FileWritten(f);
    }

    private Behavior<Command> onFileWritten(FileWritten msg) {
        outstanding--;
        filesInFlight--;
        if (failure != null) {
            return cleanUpIfIdle();
        }
        return launchFiles();
    }

    private Behavior<Command> onFileFailed(FileFailed msg) {
        outstanding--;
        filesInFlight--;
        Throwable cause = Blocking.cause(msg.cause());
        if (cause instanceof CancellationException) {
            return cleanUpIfIdle();
        }
        if (cause instanceof CorruptObjectException) {
            return fail(new BackupException(ErrorCode.VERIFICATION_FAILED, "restore of backup " + request.backupId()
                    + " stopped: file " + msg.file().name() + " is damaged in the repository (" + cause.getMessage()
                    + "); the database was not changed. Verify the backup and restore an earlier one"));
        }
        return fail(BackupException.from(cause, "restore of backup " + request.backupId() + " failed at file "
                + msg.file().name() + "; the database was not changed"));
    }

    private Behavior<Command> onStaged(Staged msg) {
        outstanding--;
        journalEntry = msg.journalEntry();
        if (failure != null) {
            return cleanUpIfIdle();
        }
        event("staged").bytes(manifest.sizeBytes()).info("Restore of " + request.backupId() + ": " + manifest.fileCount()
                + " files staged and hash-checked in " + staging);
        progress.step("staged");
        if (!intoDatabase()) {
            return publishDirectory();
        }
        if (!request.createSafetyBackup()) {
            return swap();
        }
        Instant now = env.clock().instant().truncatedTo(ChronoUnit.MILLIS);
        BackupId safetyId = BackupId.generate(now, new SplittableRandom());
        BackupRequest safetyRequest = new BackupRequest(request.requestId(), BackupType.MANUAL,
                "Safety backup before restoring " + request.backupId(), List.of("safety"), null, false);
        ActorRef<BackupJob.Ended> adapter = getContext().messageAdapter(BackupJob.Ended.class, SafetyDone::new);
        outstanding++;
        safetyJob = getContext().spawn(BackupJob.create(env, limits.safetyBackup(), live,
                new BackupJob.Spec(safetyId, safetyRequest, null, now, 0), adapter, progressTo), "safety-backup-" + safetyId);
        progress.step("safety backup");
        return this;
    }

    private Behavior<Command> onSafetyDone(SafetyDone msg) {
        outstanding--;
        safetyJob = null;
        StatusReply<Manifest> result = msg.ended().result();
        if (result.isError()) {
            BackupException error = BackupException.from(result.getError(), "safety backup " + msg.ended().backupId() + " failed");
            return fail(new BackupException(error.code(), "restore of backup " + request.backupId()
                    + " stopped before touching the database: the safety backup failed (" + error.getMessage()
                    + "). Fix that, or restore with create_safety_backup=false"));
        }
        safety = result.getValue();
        if (failure != null) {
            // Stopped meanwhile, but the safety backup was already publishing (its point of no return): say so.
            failure = new BackupException(failure.code(), failure.getMessage() + "; the safety backup " + safety.id()
                    + " had already been published and is kept");
            return cleanUpIfIdle();
        }
        return swap();
    }

    private Behavior<Command> swap() {
        swapping = true;
        outstanding++;
        progress.step("swapping");
        JobContext jobs = env;
        JobJournal.Entry entry = journalEntry;
        LiveDatabase db = live;
        BackupId backupId = request.backupId();
        getContext().pipeToSelf(Blocking.supply(getContext().getSystem(), JobContext.ROCKSDB_DISPATCHER,
                () -> swapAndReopen(jobs, db, entry, backupId)),
                (ended, err) -> err == null ? ended : new SwapEnded(null, err));
        return this;
    }

    // RocksDB dispatcher: the point of no return. Close, swap by rename, reopen; roll back if the new one won't open.
    // Never throws: what is open afterwards, and what went wrong, come back in the message.
    private static SwapEnded swapAndReopen(JobContext env, LiveDatabase live, JobJournal.Entry entry, BackupId backupId) {
        try {
            live.releaseForSwap();
        } catch (RuntimeException e) {
            // Nothing was swapped. A host that could not let go is asked to take its (unchanged) database back.
            if (!live.borrowed()) {
                return new SwapEnded(live, e);
            }
            try {
                return new SwapEnded(live.reopen(), e);
            } catch (RuntimeException reopenFailed) {
                e.addSuppressed(reopenFailed);
                return new SwapEnded(null, new BackupException(ErrorCode.UNAVAILABLE, e.getMessage()
                        + "; asked to reopen it unchanged, the application failed too (" + reopenFailed.getMessage()
                        + "). The database at " + live.path() + " was not changed: reopen it in the application", e));
            }
        }
        try {
            CrashPoints.reach("restore.after-close");
            RestoreSwap.swap(env.journal(), entry);
            LiveDatabase reopened;
            try {
                reopened = live.reopen();
            } catch (BackupException e) {
                RestoreSwap.rollBack(env.journal(), entry);
                LiveDatabase previous = live.reopen();
                try {
                    env.journal().delete(entry.jobId());
                } catch (IOException | RuntimeException deleteFailed) {
                    return new SwapEnded(previous, deleteFailed);
                }
                return new SwapEnded(previous, new BackupException(ErrorCode.INTERNAL, "restored copy of backup " + backupId
                        + " would not open (" + e.getMessage() + "); the previous database was put back and is open again", e));
            }
            // The restored database is live and open: from here on nothing may turn this into a failure, or the
            // caller would hear "failed" about a database that was replaced, and the open handle would be lost.
            // Each step below is also redone by startup recovery (journal phase "swapped", leftover old directory).
            housekeeping(entry.jobId(), live.name(), "forget the fingerprints of the replaced files",
                    () -> env.fingerprints().forget(live.name()));
            CrashPoints.reach("restore.before-cleanup");
            housekeeping(entry.jobId(), live.name(), "remove the previous database", () -> DurableFiles.deleteTree(Path.of(entry.old())));
            housekeeping(entry.jobId(), live.name(), "remove the restore's journal entry", () -> env.journal().delete(entry.jobId()));
            return new SwapEnded(reopened, null);
        } catch (IOException | RuntimeException e) {
            return new SwapEnded(null, e);
        }
    }

    private interface IoStep {
        void run() throws IOException;
    }

    private static void housekeeping(String jobId, String database, String what, IoStep step) {
        try {
            step.run();
        } catch (IOException | RuntimeException e) {
            LoggerFactory.getLogger(RestoreJob.class).warn("Restore {} of {} succeeded, but could not {} ({}); the next "
                    + "start finishes it", jobId, database, what, e.getMessage());
        }
    }

    private Behavior<Command> publishDirectory() {
        swapping = true;
        outstanding++;
        Path from = staging;
        Path to = target;
        JobJournal journal = env.journal();
        String name = database;
        String id = jobId;
        getContext().pipeToSelf(Blocking.supply(getContext().getSystem(), JobContext.IO_DISPATCHER, () -> {
            RestoreSwap.publishDirectory(from, to);
            housekeeping(id, name, "remove the restore's journal entry", () -> journal.delete(id));
            return new DirectoryPublished();
        }), (p, err) -> err == null ? p : new StepFailed(err));
        return this;
    }

    private Behavior<Command> onSwapEnded(SwapEnded msg) {
        if (msg.error() == null) {
            return onRestored(msg.database());
        }
        outstanding--;
        handleAfterFailure = msg.database();
        // Past the point of no return: report what state the database is in; the journal covers the rest.
        failure = BackupException.from(Blocking.cause(msg.error()), "restore of backup " + request.backupId() + " into "
                + target + " failed while swapping");
        return cleanUpIfIdle();
    }

    /** The restore is in place; {@code database} is the handle open now (the reopened one, or the untouched live one). */
    private Behavior<Command> onRestored(LiveDatabase handle) {
        outstanding--;
        releasePin();
        long ms = Duration.between(started, env.clock().instant()).toMillis();
        RestoreResult result = new RestoreResult(request.backupId(), database, target.toString(),
                safety == null ? null : safety.id(), ms, manifest.fileCount(), manifest.sizeBytes());
        event("restored").bytes(manifest.sizeBytes()).durationMs(ms).field("safety_backup_id", result.safetyBackupId())
                .info("Backup " + request.backupId() + " restored into " + target
                        + (intoDatabase() ? " (database reopened)" : ""));
        env.metrics().operation("restore", database, manifest.type().wireName(), "ok", Duration.ofMillis(ms));
        env.metrics().bytes("restore", database, "logical", manifest.sizeBytes());
        progress.step("restored");
        replyTo.tell(new Ended(StatusReply.success(result), handle, safety));
        return Behaviors.stopped();
    }

    private Behavior<Command> onStepFailed(StepFailed msg) {
        outstanding--;
        Throwable cause = Blocking.cause(msg.cause());
        if (swapping) {
            // Past the point of no return: report what state the database is in; the journal covers the rest.
            failure = BackupException.from(cause, "restore of backup " + request.backupId() + " into " + target + " failed while swapping");
            return cleanUpIfIdle();
        }
        if (cause instanceof CancellationException) {
            return failure == null ? fail(new BackupException(ErrorCode.CONFLICT, "restore cancelled")) : cleanUpIfIdle();
        }
        return fail(BackupException.from(cause, "restore of backup " + request.backupId() + " failed; the database was not changed"));
    }

    private Behavior<Command> fail(BackupException error) {
        if (failure == null) {
            failure = error;
        }
        if (safetyJob != null && safety == null) {
            safetyJob.tell(BackupJob.Cancel.INSTANCE); // ignored once it is publishing
        }
        progress.cancel();
        return cleanUpIfIdle();
    }

    private Behavior<Command> cleanUpIfIdle() {
        if (outstanding > 0) {
            return this;
        }
        releasePin();
        BackupException error = failure;
        boolean swapStarted = swapping && intoDatabase();
        LiveDatabase handle = handleAfterFailure;
        Path dir = staging;
        JobJournal journal = env.journal();
        String id = jobId;
        LiveDatabase db = live;
        getContext().pipeToSelf(Blocking.supply(getContext().getSystem(), JobContext.IO_DISPATCHER,
                () -> cleanUp(journal, id, db, swapStarted, handle, dir)),
                (c, err) -> {
                    if (err != null) {
                        getContext().getLog().error("Cleanup after failed restore {} failed: {}", jobId, err.getMessage());
                        return new CleanedUp(handle);
                    }
                    return c;
                });
        return Behaviors.receive(Command.class)
                .onMessage(CleanedUp.class, c -> {
                    event("failed").warn("Restore of " + request.backupId() + " into " + target + " failed: " + error.getMessage());
                    env.metrics().operation("restore", database, "-", "failed", Duration.between(started, env.clock().instant()));
                    replyTo.tell(new Ended(StatusReply.error(error), c.database(), safety));
                    return Behaviors.stopped();
                })
                .onAnyMessage(m -> Behaviors.same())
                .build();
    }

    // I/O dispatcher: after a failure, put things as startup recovery would and say which handle is open.
    private static CleanedUp cleanUp(JobJournal journal, String jobId, LiveDatabase live, boolean swapStarted,
            LiveDatabase handle, Path staging) throws IOException {
        LiveDatabase open = handle;
        if (swapStarted) {
            // Let the same code that runs at startup decide what is in place, then reopen whatever that is.
            var entries = journal.all().stream().filter(e -> e.jobId().equals(jobId)).toList();
            for (JobJournal.Entry e : entries) {
                RestoreSwap.recover(e);
            }
            if (open == null) {
                open = live.reopen();
            }
        } else if (staging != null) {
            DurableFiles.deleteTree(staging);
        }
        try {
            journal.delete(jobId);
        } catch (IOException | RuntimeException e) {
            LoggerFactory.getLogger(RestoreJob.class).error("Cleanup after failed restore {} failed: {}", jobId, e.getMessage());
        }
        return new CleanedUp(open);
    }

    private void releasePin() {
        if (pin != null) {
            pin.close();
            pin = null;
        }
    }
}
