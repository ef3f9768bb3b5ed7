package dev.meridian.backup.restore;

import dev.meridian.backup.model.RestoreResult;
import dev.meridian.backup.model.RestoreRequest;
import dev.meridian.backup.runtime.Blocking;
import dev.meridian.backup.runtime.CrashPoints;
import dev.meridian.backup.runtime.JobContext;
import dev.meridian.backup.runtime.EventLog;
import dev.meridian.backup.runtime.ProgressReporter;
import dev.meridian.backup.backup.BackupJob;
import dev.meridian.backup.model.BackupRequest;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.model.FileEntry;
import dev.meridian.backup.model.Manifest;
import dev.meridian.backup.model.ProgressUpdate;
import dev.meridian.backup.repository.CorruptObjectException;
import dev.meridian.backup.repository.JobJournal;
import dev.meridian.backup.repository.Repository;
import dev.meridian.backup.rocks.DatabaseLocation;
import dev.meridian.backup.rocks.LiveDatabase;
import dev.meridian.backup.rocks.OptionsFile;
import dev.meridian.backup.store.file.DurableFiles;
import dev.meridian.backup.store.file.FileBlobStore;
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
import org.slf4j.LoggerFactory;

/**
 * One restore, as a short-lived child of the target database's actor (invariant 4): materialize every file into
 * a staging directory beside the target, checking each Blake3 hash while writing; take a safety backup of the live
 * database (unless the caller opted out); close the database, swap directories by rename, reopen. A restore into
 * another directory stages the same way and publishes the directory with one rename, leaving the database alone.
 */
public final class RestoreJob extends AbstractBehavior<RestoreJob.Command> {

    public sealed interface Command {}

    /** Stops the restore if it has not started swapping (the point of no return). */
    public enum Cancel implements Command { INSTANCE }

    private record Loaded(Manifest manifest, Repository.Pin pin) implements Command {}

    private record FileWritten(FileEntry file) implements Command {}

    private record FileFailed(FileEntry file, Throwable cause) implements Command {}

    private record Staged() implements Command {}

    private record SafetyDone(BackupJob.Outcome outcome) implements Command {}

    private record Swapped(LiveDatabase reopened) implements Command {}

    private record StepFailed(Throwable cause) implements Command {}

    private record CleanedUp() implements Command {}

    private enum TimedOut implements Command { INSTANCE }

    /** What the job tells its parent. {@code database} is the handle the parent owns from now on (null: none open). */
    public sealed interface Outcome {}

    public record Restored(RestoreResult result, LiveDatabase database, Manifest safetyBackup) implements Outcome {}

    public record Failed(BackupException error, LiveDatabase database) implements Outcome {}

    private final JobContext env;
    private final LiveDatabase live;
    private final RestoreRequest request;
    private final ActorRef<Outcome> replyTo;
    private final ActorRef<ProgressUpdate> progressTo;
    private final ProgressReporter progress;
    private final Path target;
    /** Set by {@link #prepare()} on the I/O dispatcher (beside where the database really lives); null before. */
    private volatile Path staging;
    private final String jobId;
    private final Instant started;
    private final Deque<FileEntry> pending = new ArrayDeque<>();
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
    private LiveDatabase handleAfterFailure;

    public static Behavior<Command> create(JobContext env, LiveDatabase live, RestoreRequest request,
            ActorRef<Outcome> replyTo, ActorRef<ProgressUpdate> progressTo) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new RestoreJob(ctx, timers, env, live, request, replyTo, progressTo)));
    }

    private RestoreJob(ActorContext<Command> ctx, TimerScheduler<Command> timers, JobContext env, LiveDatabase live,
            RestoreRequest request, ActorRef<Outcome> replyTo, ActorRef<ProgressUpdate> progressTo) {
        super(ctx);
        this.env = env;
        this.live = live;
        this.request = request;
        this.replyTo = replyTo;
        this.progressTo = progressTo;
        this.started = env.clock().instant();
        this.target = request.directory() != null ? request.directory() : live.path();
        this.jobId = "restore-" + request.backupId() + "-" + Long.toHexString(new SplittableRandom().nextLong() & 0xffffffL);
        this.handleAfterFailure = live;
        this.progress = new ProgressReporter(progressTo, request.requestId(), "restore", request.backupId().value());
        timers.startSingleTimer(TimedOut.INSTANCE, env.settings().restoreTimeout());
        event("started").info("Restore of backup " + request.backupId() + " into " + target + " started");
        outstanding++;
        ctx.pipeToSelf(Blocking.supply(ctx.getSystem(), JobContext.IO_DISPATCHER, this::prepare),
                (l, err) -> err == null ? l : new StepFailed(err));
    }

    private boolean intoDatabase() {
        return request.directory() == null;
    }

    private EventLog event(String name) {
        return EventLog.event(getContext().getLog(), name).database(live.name()).backup(request.backupId())
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
                .onMessage(Swapped.class, this::onSwapped)
                .onMessage(StepFailed.class, this::onStepFailed)
                .onMessageEquals(Cancel.INSTANCE, () -> swapping ? this : fail(new BackupException(ErrorCode.CONFLICT,
                        "restore of backup " + request.backupId() + " was cancelled; the database was not changed")))
                .onMessageEquals(TimedOut.INSTANCE, () -> swapping ? this : fail(new BackupException(ErrorCode.TIMEOUT,
                        "restore of backup " + request.backupId() + " did not finish within " + env.settings().restoreTimeout()
                                + "; the database was not changed")))
                .build();
    }

    // I/O dispatcher: read the manifest, journal the job, create the staging directory.
    private Loaded prepare() throws IOException {
        // Swap where the database really lives: through a symlink, the link stays and its target is swapped.
        Path liveReal = null;
        if (intoDatabase()) {
            DatabaseLocation where = DatabaseLocation.of(live.path());
            if (where.mountPoint()) {
                throw refuseMountPoint(where);
            }
            if (!live.walDir().isEmpty()) {
                throw refuseSeparateWalDir(live.walDir());
            }
            liveReal = where.real();
        }
        staging = RestoreSwap.staging(intoDatabase() ? liveReal : target, jobId);
        Manifest m = env.repository().readManifest(request.backupId());
        Repository.Pin p = env.repository().pin(m);
        try {
            journalEntry = new JobJournal.Entry(jobId, "restore", live.name(), request.backupId().value(), RestoreSwap.STAGING,
                    intoDatabase() ? liveReal.toString() : null, staging.toString(),
                    intoDatabase() ? RestoreSwap.old(liveReal, jobId).toString() : null, List.of(staging.toString()));
            env.journal().write(journalEntry);
            DurableFiles.createDirectories(staging.getParent());
            Files.createDirectory(staging);
        } catch (IOException | RuntimeException e) {
            p.close(); // no Loaded message will carry it to the cleanup
            throw e;
        }
        return new Loaded(m, p);
    }

    /**
     * A database directory that is a mount point cannot be renamed, so it cannot be swapped; refused before any
     * staging copy or safety backup, so nothing is written.
     */
    private BackupException refuseMountPoint(DatabaseLocation where) {
        return new BackupException(ErrorCode.CONFLICT, "restore of backup " + request.backupId() + " into database "
                + live.name() + " was refused: its directory " + where.real() + " is a mount point (for example a "
                + "container volume), and a mount point cannot be replaced by rename, which is how an in-place restore "
                + "stays crash-safe. Nothing was changed. Restore into a new directory instead (target: a path under "
                + env.settings().restoreRoots() + "; CLI: restore --target DIR), then stop the application and move the "
                + "files into the volume, or point the application at the restored directory");
    }

    /**
     * The owner opens with its own wal_dir, which still holds the WAL of the database being replaced: RocksDB would
     * replay it into the restored files. Refused before any staging copy or safety backup.
     */
    private BackupException refuseSeparateWalDir(String walDir) {
        return new BackupException(ErrorCode.CONFLICT, "restore of backup " + request.backupId() + " into database "
                + live.name() + " was refused: its OPTIONS keep the write-ahead log in a separate directory (wal_dir = "
                + walDir + "), which still holds the WAL of the current database, and the owning application would "
                + "replay that WAL into the restored files. Nothing was changed. Restore into a new directory instead "
                + "(target: a path under " + env.settings().restoreRoots() + "; CLI: restore --target DIR; the copy "
                + "keeps its WAL in its own directory), then stop the application, empty " + walDir
                + ", and switch it to the copy");
    }

    private Behavior<Command> onLoaded(Loaded msg) {
        outstanding--;
        manifest = msg.manifest();
        pin = msg.pin();
        if (failure != null) {
            return cleanUpIfIdle();
        }
        manifest.files().stream().sorted(Comparator.comparingLong(FileEntry::size).reversed()).forEach(pending::add);
        progress.total(manifest.sizeBytes());
        return launchFiles();
    }

    private Behavior<Command> launchFiles() {
        while (filesInFlight < env.settings().restoreParallelFiles() && !pending.isEmpty()) {
            FileEntry f = pending.poll();
            filesInFlight++;
            outstanding++;
            getContext().pipeToSelf(Blocking.supply(getContext().getSystem(), JobContext.IO_DISPATCHER, () -> writeFile(f)),
                    (w, err) -> err == null ? w : new FileFailed(f, err));
        }
        if (filesInFlight == 0 && pending.isEmpty()) {
            outstanding++;
            getContext().pipeToSelf(Blocking.supply(getContext().getSystem(), JobContext.IO_DISPATCHER, () -> {
                OptionsFile.detachWalDir(staging); // the copy's WAL is in its own directory, not the live wal_dir
                DurableFiles.fsyncDirectory(staging);
                journalEntry = journalEntry.withPhase(RestoreSwap.STAGED);
                env.journal().write(journalEntry);
                CrashPoints.reach("restore.staged");
                return new Staged();
            }), (s, err) -> err == null ? s : new StepFailed(err));
        }
        return this;
    }

    // I/O dispatcher: one file, hash-checked while it is written, then fsynced.
    private FileWritten writeFile(FileEntry f) throws IOException {
        Materializer.writeFile(env.repository(), f, staging, progress.forFile());
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
        ActorRef<BackupJob.Outcome> adapter = getContext().messageAdapter(BackupJob.Outcome.class, SafetyDone::new);
        outstanding++;
        safetyJob = getContext().spawn(BackupJob.create(env, live, new BackupJob.Spec(safetyId, safetyRequest, null, now, 0), adapter, progressTo),
                "safety-backup-" + safetyId);
        progress.step("safety backup");
        return this;
    }

    private Behavior<Command> onSafetyDone(SafetyDone msg) {
        outstanding--;
        safetyJob = null;
        if (msg.outcome() instanceof BackupJob.Failed f) {
            return fail(new BackupException(f.error().code(), "restore of backup " + request.backupId()
                    + " stopped before touching the database: the safety backup failed (" + f.error().getMessage()
                    + "). Fix that, or restore with create_safety_backup=false"));
        }
        safety = ((BackupJob.Succeeded) msg.outcome()).manifest();
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
        getContext().pipeToSelf(Blocking.supply(getContext().getSystem(), JobContext.ROCKSDB_DISPATCHER, this::swapAndReopen),
                (db, err) -> err == null ? new Swapped(db) : new StepFailed(err));
        return this;
    }

    // RocksDB dispatcher: the point of no return. Close, swap by rename, reopen; roll back if the new one won't open.
    private LiveDatabase swapAndReopen() throws IOException {
        live.close();
        handleAfterFailure = null;
        CrashPoints.reach("restore.after-close");
        RestoreSwap.swap(env.journal(), journalEntry);
        LiveDatabase reopened;
        try {
            reopened = LiveDatabase.open(live.name(), live.path(), false);
        } catch (BackupException e) {
            RestoreSwap.rollBack(env.journal(), journalEntry);
            handleAfterFailure = LiveDatabase.open(live.name(), live.path(), false);
            env.journal().delete(jobId);
            throw new BackupException(ErrorCode.INTERNAL, "restored copy of backup " + request.backupId()
                    + " would not open (" + e.getMessage() + "); the previous database was put back and is open again", e);
        }
        // The restored database is live and open: from here on nothing may turn this into a failure, or the
        // caller would hear "failed" about a database that was replaced, and the open handle would be lost.
        // Each step below is also redone by startup recovery (journal phase "swapped", leftover old directory).
        housekeeping("forget the fingerprints of the replaced files", () -> env.fingerprints().forget(live.name()));
        CrashPoints.reach("restore.before-cleanup");
        housekeeping("remove the previous database", () -> DurableFiles.deleteTree(Path.of(journalEntry.old())));
        housekeeping("remove the restore's journal entry", () -> env.journal().delete(jobId));
        return reopened;
    }

    private interface IoStep {
        void run() throws IOException;
    }

    private void housekeeping(String what, IoStep step) {
        try {
            step.run();
        } catch (IOException | RuntimeException e) {
            LoggerFactory.getLogger(RestoreJob.class).warn("Restore {} of {} succeeded, but could not {} ({}); the next "
                    + "start finishes it", jobId, live.name(), what, e.getMessage());
        }
    }

    private Behavior<Command> publishDirectory() {
        swapping = true;
        outstanding++;
        getContext().pipeToSelf(Blocking.supply(getContext().getSystem(), JobContext.IO_DISPATCHER, () -> {
            RestoreSwap.publishDirectory(staging, target);
            housekeeping("remove the restore's journal entry", () -> env.journal().delete(jobId));
            return (LiveDatabase) null;
        }), (db, err) -> err == null ? new Swapped(null) : new StepFailed(err));
        return this;
    }

    private Behavior<Command> onSwapped(Swapped msg) {
        outstanding--;
        releasePin();
        long ms = Duration.between(started, env.clock().instant()).toMillis();
        RestoreResult result = new RestoreResult(request.backupId(), live.name(), target.toString(),
                safety == null ? null : safety.id(), ms, manifest.fileCount(), manifest.sizeBytes());
        event("restored").bytes(manifest.sizeBytes()).durationMs(ms).field("safety_backup_id", result.safetyBackupId())
                .info("Backup " + request.backupId() + " restored into " + target
                        + (intoDatabase() ? " (database reopened)" : ""));
        env.metrics().operation("restore", live.name(), manifest.type().wireName(), "ok", Duration.ofMillis(ms));
        env.metrics().bytes("restore", live.name(), "logical", manifest.sizeBytes());
        progress.step("restored");
        replyTo.tell(new Restored(result, intoDatabase() ? msg.reopened() : live, safety));
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
        getContext().pipeToSelf(Blocking.supply(getContext().getSystem(), JobContext.IO_DISPATCHER, () -> {
            if (swapStarted) {
                // Let the same code that runs at startup decide what is in place, then reopen whatever that is.
                var entries = env.journal().all().stream().filter(e -> e.jobId().equals(jobId)).toList();
                for (JobJournal.Entry e : entries) {
                    RestoreSwap.recover(e);
                }
                if (handleAfterFailure == null) {
                    handleAfterFailure = LiveDatabase.open(live.name(), live.path(), false);
                }
            } else if (staging != null) {
                DurableFiles.deleteTree(staging);
            }
            env.journal().delete(jobId);
            return new CleanedUp();
        }), (c, err) -> {
            if (err != null) {
                getContext().getLog().error("Cleanup after failed restore {} failed: {}", jobId, err.getMessage());
            }
            return new CleanedUp();
        });
        return Behaviors.receive(Command.class)
                .onMessage(CleanedUp.class, c -> {
                    event("failed").warn("Restore of " + request.backupId() + " into " + target + " failed: " + error.getMessage());
                    env.metrics().operation("restore", live.name(), "-", "failed", Duration.between(started, env.clock().instant()));
                    replyTo.tell(new Failed(error, handleAfterFailure));
                    return Behaviors.stopped();
                })
                .onAnyMessage(m -> Behaviors.same())
                .build();
    }

    private void releasePin() {
        if (pin != null) {
            pin.close();
            pin = null;
        }
    }
}
