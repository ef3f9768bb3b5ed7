package dev.meridian.backup.repository;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.model.Json;
import dev.meridian.backup.store.s3.S3BlobStore;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One writer per repository. On local disk: an OS file lock on {@code locks/repository.lock}, released when the
 * process dies ({@link #acquire(Path)}). On S3: the object {@code locks/repository.lock} holding a {@link Holder},
 * refreshed every third of its time to live while held and deleted on close ({@link #acquire(S3BlobStore, Duration)});
 * a holder that died leaves it to expire, and {@code unlock} ({@link #breakStale}) removes an expired one.
 */
public sealed interface RepositoryLock extends AutoCloseable permits RepositoryLock.OnFile, RepositoryLock.OnObject {
    /** The key of the lock in either kind of repository. */
    String KEY = "locks/repository.lock";

    @Override
    void close() throws IOException;

    /** Takes the OS lock of a repository on local disk; refuses (conflict) if another process holds it. */
    static RepositoryLock acquire(Path repositoryRoot) throws IOException {
        return OnFile.acquire(repositoryRoot);
    }

    /**
     * Takes the lock object of an S3 repository. The store is the lock's own (it refreshes through it and closes it).
     * The object is created with a conditional put ({@code If-None-Match: *}); because some S3-compatible servers
     * (S3Proxy 2.6.0 among them) ignore that condition, the lock is read back after writing and taken only if it
     * still holds this process's owner id.
     *
     * @param ttl how long the lock stays valid without a refresh (60 s by default)
     * @throws BackupException (conflict) naming the holder's host, pid and since when, and what to do
     */
    static RepositoryLock acquire(S3BlobStore store, Duration ttl) throws IOException {
        return OnObject.acquire(store, ttl, Clock.systemUTC());
    }

    /**
     * Removes the lock object of an S3 repository if its expiry has passed, or, with {@code force}, even if not.
     *
     * @return the holder removed, or empty if there was no lock
     * @throws BackupException (conflict) for a live lock without {@code force}, naming its holder
     */
    static Optional<Holder> breakStale(S3BlobStore store, boolean force, Clock clock) throws IOException {
        Optional<Holder> held = OnObject.read(store);
        if (held.isEmpty()) {
            return held;
        }
        Holder h = held.get();
        if (!h.expired(clock.instant()) && !force) {
            throw new BackupException(ErrorCode.CONFLICT, "repository " + store.location().url() + " is locked by "
                    + h.describe() + " and the lock is live (refreshed, expires " + h.expires() + "); stop that server,"
                    + " or pass --force if you are sure it is gone");
        }
        store.delete(KEY);
        return held;
    }

    /**
     * The content of an S3 lock object (JSON).
     *
     * @param owner   a random id per lock taken
     * @param host    the holder's host name
     * @param pid     the holder's process id
     * @param created when the lock was taken (UTC)
     * @param expires when it lapses unless refreshed (UTC)
     */
    record Holder(@JsonProperty("owner") String owner, @JsonProperty("host") String host, @JsonProperty("pid") long pid,
            @JsonProperty("created") Instant created, @JsonProperty("expires") Instant expires) {
        boolean expired(Instant now) {
            return !expires.isAfter(now);
        }

        /** {@code host db1, pid 4242, since 2026-05-01T10:00:00Z}. */
        public String describe() {
            return "host " + host + ", pid " + pid + ", since " + created;
        }
    }

    /** The OS lock of a repository on local disk. */
    final class OnFile implements RepositoryLock {
        private final FileChannel channel;
        private final FileLock lock;

        private OnFile(FileChannel channel, FileLock lock) {
            this.channel = channel;
            this.lock = lock;
        }

        static OnFile acquire(Path repositoryRoot) throws IOException {
            Path dir = repositoryRoot.resolve("locks");
            Files.createDirectories(dir);
            Path file = dir.resolve("repository.lock");
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                ch.close();
                throw new BackupException(ErrorCode.CONFLICT, "repository " + repositoryRoot
                        + " is in use by another Meridian process; stop it, or use read-only commands (--repo) instead");
            }
            return new OnFile(ch, lock);
        }

        @Override
        public void close() throws IOException {
            lock.release();
            channel.close();
        }
    }

    /** The lock object of an S3 repository, refreshed on its own thread while held. */
    final class OnObject implements RepositoryLock {
        private static final Logger log = LoggerFactory.getLogger(RepositoryLock.class);
        private final S3BlobStore store;
        private final Duration ttl;
        private final Clock clock;
        private final Holder first;
        private final ScheduledExecutorService refresher;
        private volatile boolean closed;

        private OnObject(S3BlobStore store, Duration ttl, Clock clock, Holder first) {
            this.store = store;
            this.ttl = ttl;
            this.clock = clock;
            this.first = first;
            this.refresher = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "repository-lock-refresh");
                t.setDaemon(true);
                return t;
            });
            long period = Math.max(1, ttl.toMillis() / 3);
            refresher.scheduleWithFixedDelay(this::refresh, period, period, TimeUnit.MILLISECONDS);
        }

        static OnObject acquire(S3BlobStore store, Duration ttl, Clock clock) throws IOException {
            try {
                Optional<Holder> existing = read(store);
                if (existing.isPresent()) {
                    throw held(store, existing.get(), clock);
                }
                Instant now = clock.instant();
                Holder mine = new Holder(UUID.randomUUID().toString(), host(), ProcessHandle.current().pid(), now, now.plus(ttl));
                if (!store.putIfAbsent(KEY, Json.MAPPER.writeValueAsBytes(mine))) {
                    Optional<Holder> winner = read(store);
                    throw winner.isPresent() ? held(store, winner.get(), clock) : new BackupException(ErrorCode.CONFLICT,
                            "repository " + store.location().url() + " was being locked by another process at the same"
                                    + " moment; try again");
                }
                // Where the server ignored If-None-Match, the last of two racing writers wins: only it reads itself back.
                Optional<Holder> back = read(store);
                if (back.isEmpty() || !back.get().owner().equals(mine.owner())) {
                    throw back.isPresent() ? held(store, back.get(), clock) : new BackupException(ErrorCode.CONFLICT,
                            "the lock object of repository " + store.location().url() + " vanished right after it was"
                                    + " written; is another process running unlock? Try again");
                }
                return new OnObject(store, ttl, clock, mine);
            } catch (IOException | RuntimeException e) {
                store.close();
                throw e;
            }
        }

        private static BackupException held(S3BlobStore store, Holder h, Clock clock) {
            String url = store.location().url();
            if (h.expired(clock.instant())) {
                return new BackupException(ErrorCode.CONFLICT, "repository " + url + " has a stale lock from " + h.describe()
                        + " (expired " + h.expires() + "); if that server is gone, run: bin/meridian-backup unlock --repo " + url
                        + store.location().cliOptions());
            }
            return new BackupException(ErrorCode.CONFLICT, "repository " + url + " is locked by another Meridian server ("
                    + h.describe() + ", expires " + h.expires() + " unless refreshed); stop it, or use read-only commands"
                    + " (--repo) instead");
        }

        static Optional<Holder> read(S3BlobStore store) throws IOException {
            Optional<byte[]> bytes = store.readIfExists(KEY);
            if (bytes.isEmpty()) {
                return Optional.empty();
            }
            try {
                return Optional.of(Json.MAPPER.readValue(bytes.get(), Holder.class));
            } catch (IOException e) {
                // An unreadable lock is still a lock: treat it as held since the epoch and already expired.
                return Optional.of(new Holder("unreadable", "unknown", -1, Instant.EPOCH, Instant.EPOCH));
            }
        }

        private static String host() {
            try {
                return InetAddress.getLocalHost().getHostName();
            } catch (IOException e) {
                return "unknown";
            }
        }

        /** Pushes the expiry out by one TTL; a lock taken over by another owner meanwhile is reported, not overwritten. */
        private void refresh() {
            if (closed) {
                return;
            }
            try {
                Optional<Holder> now = read(store);
                if (now.isPresent() && !now.get().owner().equals(first.owner())) {
                    log.error("The lock of repository {} was taken over by {}; this server no longer holds it. Stop one"
                            + " of the two servers", store.location().url(), now.get().describe());
                    return;
                }
                Holder renewed = new Holder(first.owner(), first.host(), first.pid(), first.created(), clock.instant().plus(ttl));
                // From memory, not through the spool directory, which the repository sweeps when it opens.
                store.putBytes(KEY, Json.MAPPER.writeValueAsBytes(renewed));
            } catch (IOException | RuntimeException e) {
                if (closed) {
                    return; // interrupted by close, which deletes the lock anyway
                }
                log.warn("Refreshing the lock of repository {} failed (retrying in {} s): {}", store.location().url(),
                        Math.max(1, ttl.toSeconds() / 3), e.getMessage());
            }
        }

        public Holder holder() {
            return first;
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            refresher.shutdownNow();
            try {
                refresher.awaitTermination(10, TimeUnit.SECONDS);
                Optional<Holder> now = read(store);
                if (now.isPresent() && now.get().owner().equals(first.owner())) {
                    store.delete(KEY);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                store.close();
            }
        }
    }
}
