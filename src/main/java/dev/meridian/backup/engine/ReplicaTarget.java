package dev.meridian.backup.engine;

import dev.meridian.backup.config.Settings;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.CatalogPage;
import dev.meridian.backup.model.CatalogQuery;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.model.Manifest;
import dev.meridian.backup.repository.BackupCopy;
import dev.meridian.backup.repository.Compression;
import dev.meridian.backup.repository.IoThrottle;
import dev.meridian.backup.repository.Repository;
import dev.meridian.backup.repository.RepositoryFormat;
import dev.meridian.backup.repository.RepositoryLock;
import dev.meridian.backup.repository.seal.Password;
import dev.meridian.backup.runtime.EventLog;
import dev.meridian.backup.runtime.Metrics;
import dev.meridian.backup.store.s3.S3BlobStore;
import dev.meridian.backup.store.s3.S3Location;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One replica's blocking work (run by {@link Replicator} on {@code meridian.replica-dispatcher}, one pass at a time).
 * A pass opens the replica with its lock (the OS file lock of a directory, the lock object of an S3 prefix), creating
 * it when absent, unless the previous pass left it open; lists the primary's backups oldest first and copies each one
 * the replica lacks with {@link BackupCopy} (objects first, manifest last, so a pass cut short leaves no half backup
 * listed and the next pass resumes). The replica stays open (and locked) after a pass that succeeded, so a burst of
 * backups opens it once (one key derivation, one listing); {@link #release} closes it once the replicator saw it idle,
 * and a failed pass closes it at once. The first pass after start, and any pass after a copy failed midway, also
 * collects the replica's unreferenced objects (those of a copy cut short), which is safe because the lock is held.
 * {@link #run} and {@link #release} are serialized on this object.
 *
 * <p>It also answers the lag gauges from the primary's catalog and the set of backups the replica is known to hold
 * (unknown until a pass has opened it: then every backup of the primary counts as lag).
 */
final class ReplicaTarget {
    private static final Logger log = LoggerFactory.getLogger(Replicator.class);

    /** What one pass did: backups copied, skipped (deleted from the primary meanwhile), failed, and whether it was cut short by shutdown. */
    record Pass(int copied, int gone, int failed, boolean stopped) {}

    /** Lag at one instant: backups not in the replica, and the completion time of the oldest of them (null: none). */
    record Lag(int backups, Instant oldest) {}

    private final Settings.Replica replica;
    private final Repository primary;
    private final Compression compression;
    private final long rateLimit;
    private final Path stateDir;
    private final Path workDir;
    private final Metrics metrics;
    private final Clock clock;
    /** The ids the replica holds, as of the last pass plus what it copied since; null until a pass opened it. */
    private volatile Set<BackupId> held;
    private final AtomicLong lastSuccess = new AtomicLong();
    private volatile boolean stopping;
    private boolean collect = true;
    /** The replica, open and locked between passes until {@link #release}; null when closed. */
    private Repository replicaOpen;
    /** The backup being copied when the last pass failed; null when it failed opening the replica, or did not fail. */
    private volatile BackupId failedOn;

    /**
     * @param stateDir {@code meridian.state-dir}: the replica's catalog cache goes under its repository id there, and
     *                 its scratch files and S3 upload spool under {@code replicas/<name>/}
     */
    ReplicaTarget(Settings.Replica replica, Repository primary, Compression compression, long rateLimit, Path stateDir,
            Metrics metrics, Clock clock) {
        this.replica = replica;
        this.primary = primary;
        this.compression = compression;
        this.rateLimit = rateLimit;
        this.stateDir = stateDir;
        this.workDir = stateDir.resolve("replicas").resolve(replica.name());
        this.metrics = metrics;
        this.clock = clock;
    }

    String name() {
        return replica.name();
    }

    String describe() {
        return replica.describe();
    }

    /**
     * One pass: open, copy what is missing (oldest first), close. A backup whose source objects are damaged or
     * missing in the primary is logged, counted in {@code meridian_replica_copy_failures_total} and skipped (the others
     * still go); any other failure (the replica unreachable, refused, full) ends the pass and is thrown, naming the
     * replica and, when it happened while copying, the backup.
     */
    synchronized Pass run() throws IOException {
        if (stopping) {
            return new Pass(0, 0, 0, true);
        }
        failedOn = null;
        try {
            if (replicaOpen == null) {
                Files.createDirectories(workDir.resolve("scratch"));
                replicaOpen = open();
            }
            Pass pass = copyMissing(replicaOpen);
            if (pass.stopped()) {
                release();
            }
            return pass;
        } catch (IOException | RuntimeException | Error e) {
            release();
            throw e;
        }
    }

    /** Closes the replica if it is open, releasing its lock (an S3 lock object is deleted). Failures are logged. */
    synchronized void release() {
        Repository r = replicaOpen;
        replicaOpen = null;
        if (r == null) {
            return;
        }
        try {
            r.close();
        } catch (IOException | RuntimeException e) {
            log.warn("Replica '{}' ({}): closing it failed: {}; an S3 lock object left behind expires after s3.lock-ttl",
                    replica.name(), replica.describe(), message(e));
        }
    }

    private Pass copyMissing(Repository target) throws IOException {
        Set<BackupId> there = ConcurrentHashMap.newKeySet();
        BackupId after = null;
        do {
            CatalogPage page = target.catalog().list(new CatalogQuery(null, null, null, 1000, after));
            page.backups().forEach(b -> there.add(b.backupId()));
            after = page.nextAfter();
        } while (after != null);
        held = there;
        if (collect) {
            collect = false;
            try {
                Repository.GcReport gc = target.collectGarbage();
                if (gc.objectsDeleted() > 0) {
                    log.info("Replica '{}' ({}): removed {} unreferenced objects ({} bytes) left by copies cut short",
                            replica.name(), replica.describe(), gc.objectsDeleted(), gc.bytesFreed());
                }
            } catch (IOException | RuntimeException e) {
                // Leftovers only cost space, and the next copy reuses them: never let them stop replication.
                log.warn("Replica '{}' ({}): collecting objects left by copies cut short failed: {}; copying goes on",
                        replica.name(), replica.describe(), message(e));
            }
        }
        int copied = 0;
        int gone = 0;
        int failed = 0;
        for (BackupId id : BackupCopy.select(primary, null, List.of())) {
            if (stopping) {
                return new Pass(copied, gone, failed, true);
            }
            if (there.contains(id)) {
                continue;
            }
            long start = clock.millis();
            try {
                BackupCopy.Result r = copyOne(target, id);
                BackupCopy.Copied c = r.backups().get(0);
                there.add(id);
                copied++;
                EventLog.event(log, "replicated").database(c.database()).backup(id).bytes(c.bytesTransferred())
                        .durationMs(clock.millis() - start).field("replica", replica.name())
                        .field("objects_transferred", c.objectsTransferred()).field("objects_reused", c.objectsReused())
                        .info("Backup " + id + " of " + c.database() + " copied to replica '" + replica.name() + "'");
            } catch (CancellationException e) {
                collect = true;
                return new Pass(copied, gone, failed, true);
            } catch (BackupException e) {
                if (e.code() == ErrorCode.NOT_FOUND && primary.catalog().get(id).isEmpty()) {
                    gone++; // deleted from the primary (retention, delete) before it was copied: nothing to copy
                    continue;
                }
                collect = true;
                if (e.code() != ErrorCode.VERIFICATION_FAILED) {
                    failedOn = id;
                    throw new BackupException(e.code(), "copying backup " + id + " to replica '" + replica.name() + "' ("
                            + replica.describe() + ") failed: " + e.getMessage(), e);
                }
                failed++;
                metrics.replicaCopyFailed(replica.name());
                EventLog.event(log, "replica_failed").backup(id).field("replica", replica.name())
                        .warn("Backup " + id + " cannot be copied to replica '" + replica.name() + "' because the primary's"
                                + " copy is damaged: " + e.getMessage() + "; verify it (bin/meridian-backup verify " + id
                                + "); the other backups are still copied");
            } catch (IOException | RuntimeException e) {
                collect = true;
                failedOn = id;
                throw new BackupException(ErrorCode.UNAVAILABLE, "copying backup " + id + " to replica '" + replica.name()
                        + "' (" + replica.describe() + ") failed: " + message(e), e);
            }
        }
        if (failed == 0) {
            lastSuccess.set(clock.instant().getEpochSecond());
        }
        return new Pass(copied, gone, failed, false);
    }

    /** Copies one backup, pinning its objects in the primary so that a deletion meanwhile cannot collect them. */
    private BackupCopy.Result copyOne(Repository target, BackupId id) throws IOException {
        Manifest m = primary.readManifest(id);
        try (Repository.Pin pin = primary.pin(m)) {
            return BackupCopy.run(primary, target, List.of(id), workDir.resolve("scratch"), (done, total, b) -> {
                if (stopping) {
                    throw new CancellationException("the server is stopping");
                }
            });
        }
    }

    /**
     * Opens the replica writable with its lock: a directory with {@link Repository#openFile}, an S3 prefix with its
     * lock object (the password is read first, so a missing or wrong one fails before the lock object is written).
     * Creates the replica, with its configured encryption, when its location holds no repository.
     *
     * @throws BackupException naming the replica: unreachable, locked by another process, wrong password, another
     *                         encryption mode than configured
     */
    private Repository open() throws IOException {
        IoThrottle throttle = new IoThrottle(rateLimit);
        Password.Source password = replica.password();
        String encrypted = "replica '" + replica.name() + "' (" + replica.describe() + ") is encrypted";
        try {
            if (replica.s3().isEmpty()) {
                boolean existed = Files.isRegularFile(replica.directory().resolve(RepositoryFormat.KEY));
                Repository r = Repository.openFile(replica.directory(), compression, throttle, stateDir,
                        replica.encryption(), password);
                created(existed, r);
                return r;
            }
            S3Location at = replica.s3().get();
            Path spool = workDir.resolve("s3-spool");
            S3BlobStore store = S3BlobStore.open(at, spool, S3BlobStore.Tuning.DEFAULT);
            RepositoryLock lock;
            Function<String, Password> pw;
            boolean existed;
            try {
                existed = store.exists(RepositoryFormat.KEY);
                Password early = Repository.needsPassword(store, replica.encryption()) ? password.read(encrypted) : null;
                pw = early == null ? password::read : what -> early;
                lock = RepositoryLock.acquire(S3BlobStore.open(at, spool, S3BlobStore.Tuning.DEFAULT), replica.lockTtl());
            } catch (IOException | RuntimeException | Error e) {
                store.close();
                throw e;
            }
            try {
                Repository r = Repository.open(store, compression, throttle, true, lock, stateDir, replica.encryption(), pw);
                created(existed, r);
                return r;
            } catch (IOException | RuntimeException | Error e) {
                store.close();
                lock.close();
                throw e;
            }
        } catch (BackupException e) {
            String text = e.getMessage().replace("meridian.repository.encryption is", "the replica's encryption is")
                    .replace("set meridian.repository.encryption =", "set its encryption =")
                    .replace("meridian.repository.s3.", "the replica's s3.");
            throw new BackupException(e.code(), "replica '" + replica.name() + "' (" + replica.describe() + "): " + text, e);
        } catch (IOException | RuntimeException e) {
            throw new BackupException(ErrorCode.UNAVAILABLE, "replica '" + replica.name() + "' (" + replica.describe()
                    + ") cannot be opened: " + message(e) + "; check that it is reachable (endpoint, bucket, credentials"
                    + " from the AWS default chain) and writable", e);
        }
    }

    private void created(boolean existed, Repository r) {
        if (!existed) {
            log.warn("Replica '{}': created a new repository {} at {} (encryption {})", replica.name(),
                    r.format().repositoryId(), replica.describe(), r.encryption());
        }
    }

    private static String message(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    /** Backups of the primary the replica is not known to hold, and the oldest one's completion time. */
    Lag lag() {
        Set<BackupId> in = held;
        int n = 0;
        Instant oldest = null;
        BackupId after = null;
        do {
            CatalogPage page = primary.catalog().list(new CatalogQuery(null, null, null, 1000, after));
            for (BackupSummary b : page.backups()) {
                if (in == null || !in.contains(b.backupId())) {
                    n++;
                    if (oldest == null || b.completedAt().isBefore(oldest)) {
                        oldest = b.completedAt();
                    }
                }
            }
            after = page.nextAfter();
        } while (after != null);
        return new Lag(n, oldest);
    }

    /** {@code meridian_replica_lag_seconds}: now minus the oldest unreplicated backup's completion, 0 when caught up. */
    long lagSeconds() {
        Instant oldest = lag().oldest();
        return oldest == null ? 0 : Math.max(0, clock.instant().getEpochSecond() - oldest.getEpochSecond());
    }

    /** The backup the last failed pass was copying, or null (it failed opening the replica). */
    BackupId failedOn() {
        return failedOn;
    }

    long lastSuccess() {
        return lastSuccess.get();
    }

    /**
     * Asks a running pass to stop between files, then closes the replica on {@code executor} (blocking: it waits for
     * the pass); completes when both are done. No pass starts afterwards.
     */
    CompletableFuture<Void> stop(java.util.concurrent.Executor executor) {
        stopping = true;
        return CompletableFuture.runAsync(this::release, executor);
    }
}
