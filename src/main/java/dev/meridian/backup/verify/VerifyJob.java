package dev.meridian.backup.verify;

import dev.meridian.backup.config.Settings;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.model.FileEntry;
import dev.meridian.backup.model.Manifest;
import dev.meridian.backup.model.ProgressUpdate;
import dev.meridian.backup.model.VerifyResult;
import dev.meridian.backup.repository.Repository;
import dev.meridian.backup.runtime.Blocking;
import dev.meridian.backup.runtime.EventLog;
import dev.meridian.backup.runtime.JobContext;
import dev.meridian.backup.runtime.ProgressReporter;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.pattern.StatusReply;

/**
 * Verifies one backup: re-reads every object it references in the hashing pool, checking header, size and Blake3,
 * and reports every bad file (not just the first). Keeps at most pool-size files of this backup in flight. A deep
 * verification also checks each SST's RocksDB block checksums, from a temporary copy each pool task removes itself,
 * so a cancel or timeout (which answers at once) never leaves one behind.
 */
public final class VerifyJob extends AbstractBehavior<VerifyJob.Command> {

    public sealed interface Command {}

    public enum Cancel implements Command { INSTANCE }

    private record Loaded(Manifest manifest, Repository.Pin pin) implements Command {}

    private record FileChecked(FileEntry file, VerifyResult.FileError error, long bytes) implements Command {}

    private record Failed(Throwable cause) implements Command {}

    /** A file's check could not run at all (a deep check's temporary copy could not be written): the job fails. */
    private record FileAborted(BackupException error) implements Command {}

    private record Recorded(VerifyResult result) implements Command {}

    private enum TimedOut implements Command { INSTANCE }

    private final JobContext env;
    private final Settings.VerifyLimits limits;
    private final HashingPool pool;
    private final BackupId backupId;
    private final boolean deep;
    private final ActorRef<StatusReply<VerifyResult>> replyTo;
    private final ProgressReporter progress;
    private final Instant started;
    private final Deque<FileEntry> pending = new ArrayDeque<>();
    private final List<VerifyResult.FileError> errors = new ArrayList<>();
    private Manifest manifest;
    private Repository.Pin pin;
    private int inFlight;
    private int checked;
    private long bytes;
    private boolean stopping;
    /** The manifest is being read and pinned; a stop waits for it, so the pin it brings is released. */
    private boolean loading = true;

    public static Behavior<Command> create(JobContext env, Settings.VerifyLimits limits, HashingPool pool, BackupId backupId,
            boolean deep, String requestId, ActorRef<ProgressUpdate> progressTo, ActorRef<StatusReply<VerifyResult>> replyTo) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
                new VerifyJob(ctx, timers, env, limits, pool, backupId, deep, requestId, progressTo, replyTo)));
    }

    private VerifyJob(ActorContext<Command> ctx, TimerScheduler<Command> timers, JobContext env, Settings.VerifyLimits limits,
            HashingPool pool, BackupId backupId, boolean deep, String requestId, ActorRef<ProgressUpdate> progressTo,
            ActorRef<StatusReply<VerifyResult>> replyTo) {
        super(ctx);
        this.env = env;
        this.limits = limits;
        this.pool = pool;
        this.backupId = backupId;
        this.deep = deep;
        this.replyTo = replyTo;
        this.started = env.clock().instant();
        this.progress = new ProgressReporter(progressTo, requestId, "verify", backupId.value());
        timers.startSingleTimer(TimedOut.INSTANCE, limits.timeout());
        Repository repository = env.repository();
        ctx.pipeToSelf(Blocking.supply(ctx.getSystem(), JobContext.IO_DISPATCHER, () -> {
            Manifest m = repository.readManifest(backupId);
            return new Loaded(m, repository.pin(m));
        }), (loaded, err) -> err == null ? loaded : new Failed(err));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Loaded.class, this::onLoaded)
                .onMessage(FileChecked.class, this::onFileChecked)
                .onMessage(Failed.class, this::onFailed)
                .onMessage(FileAborted.class, this::onFileAborted)
                .onMessage(Recorded.class, this::onRecorded)
                .onMessageEquals(Cancel.INSTANCE, () -> abort(new BackupException(ErrorCode.CONFLICT,
                        "verification of backup " + backupId + " was cancelled")))
                .onMessageEquals(TimedOut.INSTANCE, () -> abort(new BackupException(ErrorCode.TIMEOUT,
                        "verification of backup " + backupId + " did not finish within " + limits.timeout())))
                .build();
    }

    private Behavior<Command> onLoaded(Loaded msg) {
        loading = false;
        manifest = msg.manifest();
        pin = msg.pin();
        if (stopping) { // cancelled or timed out while loading: already answered
            releasePin();
            return Behaviors.stopped();
        }
        List<FileEntry> files = new ArrayList<>(manifest.files());
        files.sort(Comparator.comparingLong(FileEntry::size).reversed());
        pending.addAll(files);
        progress.total(manifest.sizeBytes());
        progress.step("verifying");
        return launch();
    }

    private Behavior<Command> launch() {
        Repository repo = env.repository();
        boolean deepCheck = deep;
        ProgressReporter reporter = progress;
        while (!stopping && inFlight < pool.size() && !pending.isEmpty()) {
            FileEntry f = pending.poll();
            inFlight++;
            getContext().pipeToSelf(pool.submit(() -> check(repo, f, deepCheck, reporter)), (r, err) -> {
                if (err == null) {
                    return r;
                }
                Throwable cause = Blocking.cause(err);
                return cause instanceof BackupException be ? new FileAborted(be) : new FileChecked(f, new VerifyResult.FileError(
                        f.name(), f.object().hex(), describe(cause), VerifyResult.FileError.UNREADABLE), 0);
            });
        }
        if (inFlight == 0 && pending.isEmpty() && !stopping) {
            return finish();
        }
        return this;
    }

    // Runs in the hashing pool, on its arguments only.
    private static FileChecked check(Repository repo, FileEntry f, boolean deep, ProgressReporter progress) {
        VerifyResult.FileError error = OfflineVerification.check(repo, f, deep, progress.forFile());
        return new FileChecked(f, error, error == null ? f.size() : 0);
    }

    private static String describe(Throwable t) {
        if (t instanceof CancellationException) {
            return "cancelled";
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    private Behavior<Command> onFileChecked(FileChecked msg) {
        inFlight--;
        checked++;
        bytes += msg.bytes();
        if (msg.error() != null) {
            errors.add(msg.error());
        }
        if (stopping) {
            return inFlight == 0 ? Behaviors.stopped() : this;
        }
        return launch();
    }

    private Behavior<Command> onFileAborted(FileAborted msg) {
        inFlight--;
        if (stopping) {
            return inFlight == 0 ? Behaviors.stopped() : this;
        }
        return abort(msg.error());
    }

    private Behavior<Command> finish() {
        stopping = true;
        releasePin();
        Instant now = env.clock().instant();
        boolean stillExists = env.repository().catalog().get(backupId).isPresent();
        if (!stillExists) {
            replyTo.tell(StatusReply.error(BackupException.notFound("backup " + backupId
                    + " was deleted while it was being verified; nothing to report")));
            return Behaviors.stopped();
        }
        errors.sort(Comparator.comparing(VerifyResult.FileError::file));
        VerifyResult result = new VerifyResult(backupId, manifest.database(), errors.isEmpty(), checked, bytes, errors,
                now.truncatedTo(ChronoUnit.MILLIS), Duration.between(started, now).toMillis(), deep);
        Repository repository = env.repository();
        getContext().pipeToSelf(Blocking.supply(getContext().getSystem(), JobContext.IO_DISPATCHER, () -> {
            repository.recordVerification(result);
            return result;
        }), (r, err) -> new Recorded(result));
        return this;
    }

    private Behavior<Command> onRecorded(Recorded msg) {
        VerifyResult r = msg.result();
        EventLog e = EventLog.event(getContext().getLog(), "verified").database(r.database()).backup(r.backupId())
                .type(manifest.type()).bytes(r.bytesChecked()).durationMs(r.durationMs()).field("valid", r.valid())
                .field("deep", deep)
                .field("files", r.filesChecked()).field("errors", r.errors().size());
        if (r.valid()) {
            e.info("Backup " + r.backupId() + " verified: " + r.filesChecked() + " files intact");
        } else {
            e.warn("Backup " + r.backupId() + " FAILED verification: " + r.errors().size() + " bad file(s): "
                    + r.errors().stream().map(VerifyResult.FileError::file).toList());
        }
        env.metrics().operation("verify", r.database(), manifest.type().wireName(), r.valid() ? "ok" : "invalid",
                Duration.ofMillis(r.durationMs()));
        env.metrics().verifyErrors(r.database(), r.errors().size());
        if (r.valid()) {
            env.metrics().verifySucceeded(r.database(), r.checkedAt());
        }
        progress.step(r.valid() ? "verified" : "verification failed");
        replyTo.tell(StatusReply.success(r));
        return Behaviors.stopped();
    }

    private Behavior<Command> onFailed(Failed msg) {
        loading = false;
        if (stopping) {
            return Behaviors.stopped();
        }
        return abort(BackupException.from(msg.cause(), "verification of backup " + backupId + " failed"));
    }

    private Behavior<Command> abort(BackupException error) {
        if (stopping) {
            return this;
        }
        stopping = true;
        progress.cancel();
        releasePin();
        // A cancellation is not a failure to verify, nor is asking for a backup that does not exist.
        var known = env.repository().catalog().get(backupId);
        if (error.code() != ErrorCode.CONFLICT && known.isPresent()) {
            env.metrics().operation("verify", known.get().database(), known.get().type().wireName(), "failed",
                    Duration.between(started, env.clock().instant()));
        }
        EventLog.event(getContext().getLog(), "failed").backup(backupId).warn("Verification of " + backupId + " ended: " + error.getMessage());
        replyTo.tell(StatusReply.error(error));
        return inFlight == 0 && !loading ? Behaviors.stopped() : this;
    }

    private void releasePin() {
        if (pin != null) {
            pin.close();
            pin = null;
        }
    }
}
