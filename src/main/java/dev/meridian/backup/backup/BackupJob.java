package dev.meridian.backup.backup;

import dev.meridian.backup.config.Settings;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupRequest;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.model.FileEntry;
import dev.meridian.backup.model.Manifest;
import dev.meridian.backup.model.ProgressUpdate;
import dev.meridian.backup.repository.FileFingerprints;
import dev.meridian.backup.repository.FileFingerprints.Fingerprint;
import dev.meridian.backup.repository.JobJournal;
import dev.meridian.backup.repository.Repository;
import dev.meridian.backup.rocks.DatabaseLocation;
import dev.meridian.backup.rocks.HandedOverCheckpoint;
import dev.meridian.backup.rocks.LiveDatabase;
import dev.meridian.backup.rocks.SstChecksum;
import dev.meridian.backup.runtime.Blocking;
import dev.meridian.backup.runtime.CrashPoints;
import dev.meridian.backup.runtime.EventLog;
import dev.meridian.backup.runtime.JobContext;
import dev.meridian.backup.runtime.ProgressReporter;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * One backup of one database, as a short-lived child of its DatabaseActor (which guarantees nothing else touches
 * the database meanwhile). Steps: journal, checkpoint on the database's own filesystem, hash-and-store each file
 * (several at once, unchanged SSTs recognized without reading, new SSTs checked against RocksDB's block checksums
 * first), publish the manifest, remove the checkpoint.
 * A crash at any point leaves no manifest (nothing visible) or a complete one (invariant 3). Each blocking step runs
 * on its arguments only and comes back as a message; only the actor reads and writes the job's fields.
 *
 * <p>A backup of a checkpoint the owning application handed over ({@link #ingest}) has no handle: its first step
 * checks the directory ({@link HandedOverCheckpoint#inspect}) instead of taking a checkpoint, it is listed again
 * before the manifest is published, it is never removed on failure, and it is removed after publishing only when
 * the request asks, before the reply.
 */
public final class BackupJob extends AbstractBehavior<BackupJob.Command> {

    public sealed interface Command {}

    /** Stops the backup unless it is already publishing (the point of no return). */
    public enum Cancel implements Command { INSTANCE }

    /** The checkpoint's directory is chosen and journaled; the checkpoint itself is next. */
    private record Placed(Path dir) implements Command {}

    private record Checkpointed(Snapshot snapshot) implements Command {}

    /** One file's outcome. */
    private record FileDone(String name, FileEntry entry, long storedBytes, boolean reused, Fingerprint fingerprint) {}

    /** A task's outcome: one large file, or a batch of small ones. */
    private record FilesDone(List<FileDone> files) implements Command {}

    private record Published(Manifest manifest) implements Command {}

    private record FileFailed(String name, Throwable cause) implements Command {}

    private record StepFailed(Throwable cause) implements Command {}

    private record CleanedUp(BackupException error) implements Command {}

    private enum TimedOut implements Command { INSTANCE }

    /**
     * What the job tells its parent when it ends: the published manifest, or the error that stopped it (nothing
     * was published then). The job may live on briefly after a success, removing its checkpoint.
     */
    public record Ended(BackupId backupId, StatusReply<Manifest> result) {}

    /**
     * A handed-over checkpoint to ingest, with where it may lie.
     *
     * @param roots       the database's checkpoint roots
     * @param outOfBounds directories it must not overlap (databases, repository, state directory), each named
     */
    public record HandOver(Path dir, boolean remove, List<Path> roots, Map<Path, String> outOfBounds) {
        public HandOver {
            roots = List.copyOf(roots);
            outOfBounds = Map.copyOf(outOfBounds);
        }
    }

    private record Inspected(HandedOverCheckpoint checkpoint, Snapshot snapshot) implements Command {}

    private record HandOverRemoved(Manifest manifest, Throwable error) implements Command {}

    /** The parameters of one backup. {@code startedAt} is when its work began, after any queueing. */
    public record Spec(BackupId id, BackupRequest request, BackupId parent, Instant startedAt, long queuedMs) {}

    record SourceFile(String name, Path path, long size, Optional<Fingerprint> fingerprint, Optional<FileEntry> known) {}

    /**
     * The checkpoint: its files, those already handled while it was listed (unchanged SSTs), and the tasks left:
     * each large file on its own, the small ones in batches.
     */
    private record Snapshot(Path dir, long sequenceNumber, List<SourceFile> files, List<FileDone> done, List<List<SourceFile>> tasks) {}

    private final JobContext env;
    private final Settings.BackupLimits limits;
    /** The open database, or null for a handed-over checkpoint. */
    private final LiveDatabase database;
    private final String name;
    private final Path path;
    /** The handed-over checkpoint, or null when this job takes its own. */
    private final HandOver handOver;
    /** Known once {@link Inspected} arrives; null before and for a checkpoint of this job's own. */
    private HandedOverCheckpoint handedOver;
    private final Spec spec;
    private final ActorRef<Ended> replyTo;
    private final ProgressReporter progress;
    private final Repository.Ingest ingest;
    /** Known once {@link Placed} arrives; null before. */
    private Path checkpointDir;

    private final Deque<List<SourceFile>> pending = new ArrayDeque<>();
    private final List<FileEntry> entries = new ArrayList<>();
    private final Map<String, Fingerprint> fingerprints = new HashMap<>();
    private Snapshot snapshot;
    /** Futures running for this job (checkpoint, files, publish); cleanup waits until none is left. */
    private int outstanding;
    private int filesInFlight;
    private long storedBytes;
    private long reusedFiles;
    private boolean publishing;
    private BackupException failure;

    public static Behavior<Command> create(JobContext env, Settings.BackupLimits limits, LiveDatabase database, Spec spec,
            ActorRef<Ended> replyTo, ActorRef<ProgressUpdate> progressTo) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
                new BackupJob(ctx, timers, env, limits, database, database.name(), database.path(), null, spec, replyTo,
                        progressTo)));
    }

    /**
     * A backup of a checkpoint that the application owning database {@code name} (at {@code path}) wrote and handed
     * over. Nothing is written (not even the journal) until the directory passed {@link HandedOverCheckpoint#inspect};
     * a refusal there ends the job with that error and changes nothing.
     */
    public static Behavior<Command> ingest(JobContext env, Settings.BackupLimits limits, String name, Path path,
            HandOver handOver, Spec spec, ActorRef<Ended> replyTo, ActorRef<ProgressUpdate> progressTo) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
                new BackupJob(ctx, timers, env, limits, null, name, path, handOver, spec, replyTo, progressTo)));
    }

    private BackupJob(ActorContext<Command> ctx, TimerScheduler<Command> timers, JobContext env, Settings.BackupLimits limits,
            LiveDatabase database, String name, Path path, HandOver handOver, Spec spec, ActorRef<Ended> replyTo,
            ActorRef<ProgressUpdate> progressTo) {
        super(ctx);
        this.env = env;
        this.limits = limits;
        this.database = database;
        this.name = name;
        this.path = path;
        this.handOver = handOver;
        this.spec = spec;
        this.replyTo = replyTo;
        this.progress = new ProgressReporter(progressTo, spec.request().requestId(), "backup", name);
        this.ingest = env.repository().beginIngest(spec.id().value());
        timers.startSingleTimer(TimedOut.INSTANCE, limits.timeout());
        event("started").info("Backup " + spec.id() + " of " + name + " started"
                + (handOver == null ? "" : " from the checkpoint handed over at " + handOver.dir()));
        progress.step("checkpoint");
        outstanding++;
        if (handOver != null) {
            FileFingerprints known = env.fingerprints();
            Repository.Ingest into = ingest;
            int lanes = limits.parallelFiles();
            ctx.pipeToSelf(Blocking.supply(ctx.getSystem(), JobContext.ROCKSDB_DISPATCHER, () -> {
                HandedOverCheckpoint cp = HandedOverCheckpoint.inspect(name, handOver.dir(), handOver.roots(),
                        handOver.outOfBounds(), path);
                return new Inspected(cp, listCheckpoint(name, cp.dir(), cp.sequenceNumber(), known, into, List.of(), lanes));
            }), (inspected, err) -> err == null ? inspected : new StepFailed(err));
            return;
        }
        JobJournal journal = env.journal();
        ctx.pipeToSelf(Blocking.supply(ctx.getSystem(), JobContext.ROCKSDB_DISPATCHER, () -> placeCheckpoint(journal, database, spec.id())),
                (dir, err) -> err == null ? new Placed(dir) : new StepFailed(err));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Placed.class, this::onPlaced)
                .onMessage(Checkpointed.class, this::onCheckpointed)
                .onMessage(Inspected.class, this::onInspected)
                .onMessage(FilesDone.class, this::onFilesDone)
                .onMessage(FileFailed.class, this::onFileFailed)
                .onMessage(Published.class, this::onPublished)
                .onMessage(StepFailed.class, this::onStepFailed)
                .onMessage(CleanedUp.class, this::onCleanedUp)
                .onMessageEquals(Cancel.INSTANCE, this::onCancel)
                .onMessageEquals(TimedOut.INSTANCE, this::onTimedOut)
                .build();
    }

    private EventLog event(String name) {
        return EventLog.event(getContext().getLog(), name).database(this.name).backup(spec.id())
                .type(spec.request().type());
    }

    // RocksDB dispatcher: on the database's own filesystem (where it really lives), so SSTs are hard-linked, not
    // copied. Resolving that is file I/O; the journal names the directory before anything is written into it.
    private static Path placeCheckpoint(JobJournal journal, LiveDatabase database, BackupId id) throws IOException {
        Path dir = DatabaseLocation.of(database.path()).newCheckpoint(id.value());
        journal.write(new JobJournal.Entry(id.value(), "backup", database.name(), id.value(),
                "checkpoint", null, null, null, List.of(dir.toString())), false);
        return dir;
    }

    private Behavior<Command> onPlaced(Placed msg) {
        outstanding--;
        checkpointDir = msg.dir();
        if (failure != null) {
            return cleanUpIfIdle();
        }
        outstanding++;
        Path dir = checkpointDir;
        FileFingerprints known = env.fingerprints();
        LiveDatabase db = database;
        Repository.Ingest into = ingest;
        int lanes = limits.parallelFiles();
        getContext().pipeToSelf(Blocking.supply(getContext().getSystem(), JobContext.ROCKSDB_DISPATCHER,
                () -> checkpoint(db, dir, known, into, lanes)),
                (snap, err) -> err == null ? new Checkpointed(snap) : new StepFailed(err));
        return this;
    }

    // RocksDB dispatcher: the checkpoint, then, in the same step, every unchanged SST (a stat and an existence
    // check each). What is left becomes tasks for the I/O dispatcher (see listCheckpoint).
    private static Snapshot checkpoint(LiveDatabase database, Path checkpointDir, FileFingerprints known,
            Repository.Ingest ingest, int lanes) throws IOException {
        long seq = database.checkpoint(checkpointDir);
        CrashPoints.reach("backup.after-checkpoint");
        return listCheckpoint(database.name(), checkpointDir, seq, known, ingest, database.tableDirectoriesElsewhere(), lanes);
    }

    /**
     * The files of a checkpoint, the unchanged SSTs among them handled at once, the rest as tasks: each large file
     * alone, largest first, and the small ones (MANIFEST, OPTIONS, CURRENT, short WALs, the new SST of a small
     * change) in up to {@code lanes} batches ({@link #spread}) beside the largest. {@code elsewhere}: the database's
     * other SST directories (RocksDB db_paths), whose files the checkpoint copies where it cannot link them (another
     * filesystem).
     */
    private static Snapshot listCheckpoint(String database, Path checkpointDir, long seq, FileFingerprints known,
            Repository.Ingest ingest, List<Path> elsewhere, int lanes) throws IOException {
        List<SourceFile> files = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(checkpointDir)) {
            for (Path p : dir) {
                String name = p.getFileName().toString();
                if (!Files.isRegularFile(p) || name.equals("LOCK") || name.startsWith("LOG")) {
                    continue;
                }
                Optional<Fingerprint> fp = FileFingerprints.eligible(name) ? FileFingerprints.of(p, null) : Optional.empty();
                if (fp.isPresent() && !elsewhere.isEmpty()) {
                    fp = Optional.of(liveOriginal(name, fp.get(), elsewhere));
                }
                Optional<FileEntry> entry = fp.flatMap(f -> known.lookup(database, name, f));
                files.add(new SourceFile(name, p, Files.size(p), fp, entry));
            }
        }
        List<FileDone> done = new ArrayList<>();
        List<SourceFile> large = new ArrayList<>();
        List<SourceFile> small = new ArrayList<>();
        for (SourceFile f : files) {
            if (f.known().isPresent() && ingest.reuse(f.known().get())) {
                FileEntry e = f.known().get();
                done.add(new FileDone(f.name(), e, 0, true, f.fingerprint().map(fp -> withEntry(fp, e)).orElse(null)));
            } else {
                (f.size() <= SMALL_FILE ? small : large).add(f);
            }
        }
        large.sort(Comparator.comparingLong(SourceFile::size).reversed().thenComparing(SourceFile::name));
        List<List<SourceFile>> tasks = new ArrayList<>();
        large.forEach(f -> tasks.add(List.of(f)));
        if (!small.isEmpty()) {
            tasks.addAll(Math.min(1, tasks.size()), spread(small, lanes));
        }
        return new Snapshot(checkpointDir, seq, List.copyOf(files), List.copyOf(done), List.copyOf(tasks));
    }

    /**
     * What storing one new file costs beyond its bytes, counted in bytes: its object's fdatasync, rename and
     * directory fsyncs take about as long as reading, hashing and compressing half a MiB (1-3 ms here).
     */
    static final long FILE_COST_BYTES = 512 * 1024;

    /**
     * Small files in at most {@code lanes} batches of about equal cost ({@link #FILE_COST_BYTES} plus its size per
     * file), the largest first, each into the cheapest batch so far. A small incremental's new SST is then stored
     * beside its MANIFEST and CURRENT rather than before them.
     */
    static List<List<SourceFile>> spread(List<SourceFile> small, int lanes) {
        int n = Math.max(1, Math.min(lanes, small.size()));
        List<List<SourceFile>> batches = new ArrayList<>();
        long[] cost = new long[n];
        for (int i = 0; i < n; i++) {
            batches.add(new ArrayList<>());
        }
        List<SourceFile> byCost = new ArrayList<>(small);
        byCost.sort(Comparator.comparingLong(SourceFile::size).reversed().thenComparing(SourceFile::name));
        for (SourceFile f : byCost) {
            int cheapest = 0;
            for (int i = 1; i < n; i++) {
                if (cost[i] < cost[cheapest]) {
                    cheapest = i;
                }
            }
            batches.get(cheapest).add(f);
            cost[cheapest] += f.size() + FILE_COST_BYTES;
        }
        return batches.stream().map(List::copyOf).toList();
    }

    /**
     * A copied SST (where a db path is on another filesystem, the checkpoint copies it: a new inode every backup) is
     * known by the live file it was copied from, the same name and size in one of the database's SST directories.
     * SSTs are never rewritten and their numbers never reused, so that file's identity stands for the copy's content.
     * A hard-linked file is its own original; a file compacted away since is known by the copy's identity.
     */
    private static Fingerprint liveOriginal(String name, Fingerprint copy, List<Path> elsewhere) {
        for (Path d : elsewhere) {
            try {
                Optional<Fingerprint> live = FileFingerprints.of(d.resolve(name), null);
                if (live.isPresent() && live.get().size() == copy.size()) {
                    return live.get();
                }
            } catch (IOException e) {
                // not in this directory (or deleted by a compaction since the checkpoint)
            }
        }
        return copy;
    }

    private static final long SMALL_FILE = 1 << 20;

    private Behavior<Command> onInspected(Inspected msg) {
        handedOver = msg.checkpoint();
        return onCheckpointed(new Checkpointed(msg.snapshot()));
    }

    private Behavior<Command> onCheckpointed(Checkpointed msg) {
        outstanding--;
        snapshot = msg.snapshot();
        snapshot.done().forEach(this::record);
        if (failure != null) {
            return cleanUpIfIdle();
        }
        pending.addAll(snapshot.tasks());
        long toRead = snapshot.tasks().stream().flatMap(List::stream).mapToLong(SourceFile::size).sum();
        progress.total(toRead);
        event("checkpointed").field("files", snapshot.files().size()).field("sequence_number", snapshot.sequenceNumber())
                .bytes(toRead).info("Backup " + spec.id() + " checkpointed " + snapshot.files().size() + " files of "
                        + name + "; " + toRead + " bytes to read");
        progress.step("checkpointed");
        return launchFiles();
    }

    private Behavior<Command> launchFiles() {
        String db = name;
        Path live = path;
        Repository.Ingest into = ingest;
        ProgressReporter reporter = progress;
        BackupId id = spec.id();
        while (filesInFlight < limits.parallelFiles() && !pending.isEmpty()) {
            List<SourceFile> task = pending.poll();
            filesInFlight++;
            outstanding++;
            getContext().pipeToSelf(Blocking.supply(getContext().getSystem(), JobContext.IO_DISPATCHER,
                    () -> storeFiles(task, into, reporter, db, live, id)),
                    (done, err) -> err == null ? done : new FileFailed(
                            task.stream().map(SourceFile::name).collect(java.util.stream.Collectors.joining(", ")), err));
        }
        if (filesInFlight == 0 && pending.isEmpty() && !publishing) {
            publishing = true;
            outstanding++;
            Manifest draft = draft();
            Map<String, Fingerprint> cache = Map.copyOf(fingerprints);
            FileFingerprints known = env.fingerprints();
            HandedOverCheckpoint source = handedOver;
            getContext().pipeToSelf(Blocking.supply(getContext().getSystem(), JobContext.IO_DISPATCHER,
                    () -> publish(into, draft, known, cache, source)),
                    (m, err) -> err == null ? new Published(m) : new StepFailed(err));
        }
        return this;
    }

    // I/O dispatcher: hashes and stores each file of a task (content already held is not rewritten).
    private static FilesDone storeFiles(List<SourceFile> task, Repository.Ingest ingest, ProgressReporter progress,
            String database, Path databasePath, BackupId id) throws IOException {
        List<FileDone> done = new ArrayList<>();
        for (SourceFile f : task) {
            if (f.name().endsWith(".sst")) {
                checkBlockChecksums(f, database, databasePath, id);
            }
            Repository.StoredFile stored = ingest.store(f.path(), f.name(), progress.forFile(), 0, f.size());
            CrashPoints.reach("backup.after-first-object");
            FileEntry e = stored.entry();
            done.add(new FileDone(f.name(), e, stored.storedBytes(), false, f.fingerprint().map(fp -> withEntry(fp, e)).orElse(null)));
        }
        return new FilesDone(List.copyOf(done));
    }

    /**
     * A backup must not certify a table RocksDB itself would reject: every SST that reaches this point (one the
     * repository does not hold yet) has its block checksums checked before it is stored, so a corrupt one is never
     * written, never published and never entered in the fingerprint cache. The read leaves the file in the page
     * cache for the hashing read right after it.
     */
    private static void checkBlockChecksums(SourceFile f, String database, Path databasePath, BackupId id) throws IOException {
        Optional<String> corruption = SstChecksum.corruption(f.path(), f.name());
        if (corruption.isPresent()) {
            Path live = databasePath.resolve(f.name());
            throw new BackupException(ErrorCode.VERIFICATION_FAILED, "backup " + id + " of " + database
                    + " failed: SST " + f.name() + " of database " + database + " is corrupt (" + corruption.get()
                    + "); nothing was published. RocksDB will fail reads of that file in the live database too. Check "
                    + "it with `sst_dump --file=" + live + " --command=verify`, then restore the database from its last "
                    + "good backup (`verify --deep` judges backups taken before this check existed), or repair it with "
                    + "`ldb --db=" + databasePath + " repair` if losing the unreadable keys is acceptable");
        }
    }

    private static Fingerprint withEntry(Fingerprint fp, FileEntry e) {
        return new Fingerprint(fp.device(), fp.inode(), fp.size(), fp.mtimeNanos(), e);
    }

    private void record(FileDone msg) {
        entries.add(msg.entry());
        storedBytes += msg.storedBytes();
        if (msg.reused()) {
            reusedFiles++;
        }
        if (msg.fingerprint() != null) {
            fingerprints.put(msg.name(), msg.fingerprint());
        }
    }

    private Behavior<Command> onFilesDone(FilesDone msg) {
        outstanding--;
        filesInFlight--;
        msg.files().forEach(this::record);
        if (failure != null) {
            return cleanUpIfIdle();
        }
        return launchFiles();
    }

    private Behavior<Command> onFileFailed(FileFailed msg) {
        outstanding--;
        filesInFlight--;
        return fail(Blocking.cause(msg.cause()), "file(s) " + msg.name());
    }

    /** The manifest as it will be published, from what the actor has gathered. */
    private Manifest draft() {
        List<FileEntry> files = new ArrayList<>(entries);
        files.sort(Comparator.comparing(FileEntry::name));
        long size = files.stream().mapToLong(FileEntry::size).sum();
        Instant completed = env.clock().instant().truncatedTo(ChronoUnit.MILLIS);
        BackupRequest r = spec.request();
        return new Manifest(Manifest.FORMAT, spec.id(), name, r.type(), r.description(), r.tags(),
                spec.startedAt(), completed, spec.queuedMs(), Duration.between(spec.startedAt(), completed).toMillis(),
                snapshot.sequenceNumber(), r.schemaVersion(), spec.parent(), size, storedBytes, files, null);
    }

    // I/O dispatcher: the manifest goes out only after every object is durable.
    private static Manifest publish(Repository.Ingest ingest, Manifest draft, FileFingerprints known,
            Map<String, Fingerprint> fingerprints, HandedOverCheckpoint handedOver) throws IOException {
        if (handedOver != null) {
            handedOver.checkUnchanged(draft.database()); // the files stored are the files that were checked
        }
        CrashPoints.reach("backup.before-publish");
        Manifest published = ingest.publish(draft);
        ingest.close();
        CrashPoints.reach("backup.after-publish");
        try {
            known.save(draft.database(), fingerprints);
        } catch (IOException e) {
            // Only a cache: the next backup reads every SST again, nothing else is lost.
            LoggerFactory.getLogger(BackupJob.class).warn("Backup {} is published, but the fingerprint cache could not be "
                    + "saved (the next backup reads every file): {}", draft.id(), e.getMessage());
        }
        return published;
    }

    /**
     * After the reply: the backup is complete, and removing its checkpoint is housekeeping a restart would redo.
     * The job stays alive until it is done, so a shutdown (which waits for the database's jobs) never races it.
     */
    private Behavior<Command> removeCheckpointThenStop() {
        Path dir = checkpointDir;
        JobJournal journal = env.journal();
        String jobId = spec.id().value();
        getContext().pipeToSelf(Blocking.supply(getContext().getSystem(), JobContext.IO_DISPATCHER, () -> {
            DatabaseLocation.removeScratch(dir);
            journal.delete(jobId);
            return Boolean.TRUE;
        }), (v, err) -> new CleanedUp(err == null ? null : BackupException.from(err, "removing checkpoint " + dir)));
        return Behaviors.receive(Command.class)
                .onMessage(CleanedUp.class, c -> {
                    if (c.error() != null) {
                        getContext().getLog().warn("Backup {} is published but its checkpoint could not be removed (it will "
                                + "be at the next start): {}", spec.id(), c.error().getMessage());
                    }
                    return Behaviors.stopped();
                })
                .onAnyMessage(m -> Behaviors.same())
                .build();
    }

    private Behavior<Command> onPublished(Published msg) {
        outstanding--;
        Manifest m = msg.manifest();
        event("published").bytes(m.sizeBytes()).durationMs(m.durationMs()).field("stored_bytes", m.storedBytes())
                .field("files", m.fileCount()).field("reused_files", reusedFiles).field("sequence_number", m.sequenceNumber())
                .info("Backup " + m.id() + " of " + m.database() + " published: " + m.fileCount() + " files, "
                        + m.sizeBytes() + " bytes, " + m.storedBytes() + " new");
        env.metrics().operation("backup", m.database(), m.type().wireName(), "ok", Duration.ofMillis(m.durationMs()));
        env.metrics().bytes("backup", m.database(), "logical", m.sizeBytes());
        env.metrics().bytes("backup", m.database(), "stored", m.storedBytes());
        env.metrics().backupSucceeded(m.database(), m.completedAt());
        progress.step("published");
        if (handOver != null) {
            return removeHandOverThenReply(m);
        }
        replyTo.tell(new Ended(spec.id(), StatusReply.success(m)));
        return removeCheckpointThenStop();
    }

    /**
     * A handed-over checkpoint is the application's: it is removed only when the request asked, only now that the
     * manifest is published, and before the reply, so the caller that hears "created" may reuse the name at once.
     * A failed removal is logged; the backup stands.
     */
    private Behavior<Command> removeHandOverThenReply(Manifest m) {
        if (!handOver.remove()) {
            replyTo.tell(new Ended(spec.id(), StatusReply.success(m)));
            return Behaviors.stopped();
        }
        Path dir = handedOver.dir();
        getContext().pipeToSelf(Blocking.supply(getContext().getSystem(), JobContext.IO_DISPATCHER, () -> {
            dev.meridian.backup.store.file.DurableFiles.deleteTree(dir);
            return Boolean.TRUE;
        }), (v, err) -> new HandOverRemoved(m, err));
        return Behaviors.receive(Command.class)
                .onMessage(HandOverRemoved.class, r -> {
                    if (r.error() != null) {
                        getContext().getLog().warn("Backup {} of {} is published, but the handed-over checkpoint {} could"
                                + " not be removed; remove it yourself: {}", spec.id(), name, dir,
                                Blocking.cause(r.error()).getMessage());
                    } else {
                        event("checkpoint-removed").info("Backup " + spec.id() + " of " + name
                                + " removed the handed-over checkpoint " + dir);
                    }
                    replyTo.tell(new Ended(spec.id(), StatusReply.success(r.manifest())));
                    return Behaviors.stopped();
                })
                .onAnyMessage(x -> Behaviors.same())
                .build();
    }

    private Behavior<Command> onCancel() {
        if (publishing) {
            return this;
        }
        return fail(new BackupException(ErrorCode.CONFLICT, "backup " + spec.id() + " of " + name
                + " was cancelled; nothing was published"), null);
    }

    private Behavior<Command> onTimedOut() {
        if (publishing) {
            return this;
        }
        return fail(new BackupException(ErrorCode.TIMEOUT, "backup " + spec.id() + " of " + name
                + " did not finish within " + limits.timeout()
                + "; nothing was published. Raise meridian.backup.timeout or check disk speed"), null);
    }

    private Behavior<Command> onStepFailed(StepFailed msg) {
        outstanding--;
        publishing = false;
        return fail(Blocking.cause(msg.cause()), null);
    }

    /** Records the first failure; cleanup starts once no future of this job is running. */
    private Behavior<Command> fail(Throwable cause, String where) {
        if (failure == null) {
            String context = "backup " + spec.id() + " of " + name + " failed" + (where == null ? "" : " at " + where);
            failure = cause instanceof CancellationException
                    ? new BackupException(ErrorCode.CONFLICT, "backup " + spec.id() + " of " + name + " was cancelled")
                    : BackupException.from(cause, context);
        }
        progress.cancel();
        return cleanUpIfIdle();
    }

    private Behavior<Command> cleanUpIfIdle() {
        if (outstanding > 0) {
            return this;
        }
        BackupException error = failure;
        Path dir = checkpointDir;
        JobJournal journal = env.journal();
        String jobId = spec.id().value();
        Repository.Ingest into = ingest;
        getContext().pipeToSelf(Blocking.supply(getContext().getSystem(), JobContext.IO_DISPATCHER, () -> {
            into.close();
            if (dir != null) {
                DatabaseLocation.removeScratch(dir);
            }
            journal.delete(jobId);
            return error;
        }), (e, err) -> new CleanedUp(error));
        return Behaviors.receive(Command.class)
                .onMessage(CleanedUp.class, this::onCleanedUp)
                .onAnyMessage(m -> Behaviors.same())
                .build();
    }

    private Behavior<Command> onCleanedUp(CleanedUp msg) {
        BackupException e = msg.error();
        event("failed").warn("Backup " + spec.id() + " of " + name + " failed: " + e.getMessage());
        env.metrics().operation("backup", name, spec.request().type().wireName(), "failed",
                Duration.between(spec.startedAt(), env.clock().instant()));
        replyTo.tell(new Ended(spec.id(), StatusReply.error(e)));
        return Behaviors.stopped();
    }
}
