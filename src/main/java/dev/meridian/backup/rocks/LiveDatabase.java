package dev.meridian.backup.rocks;

import dev.meridian.backup.app.BlockingGuard;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.model.OsError;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import org.rocksdb.Checkpoint;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * An open RocksDB database with all its column families. Owned by one DatabaseActor; every method blocks and runs
 * on the RocksDB dispatcher.
 */
public final class LiveDatabase implements AutoCloseable {
    static {
        RocksDB.loadLibrary();
    }

    private final String name;
    private final Path path;
    private final DBOptions options;
    private final List<ColumnFamilyHandle> handles;
    private final RocksDB db;
    private final ReentrantReadWriteLock guard = new ReentrantReadWriteLock();
    private boolean closed;

    private LiveDatabase(String name, Path path, DBOptions options, List<ColumnFamilyHandle> handles, RocksDB db) {
        this.name = name;
        this.path = path;
        this.options = options;
        this.handles = handles;
        this.db = db;
    }

    /** Opens the database at {@code path}, creating it if allowed. */
    public static LiveDatabase open(String name, Path path, boolean createIfMissing) {
        BlockingGuard.check("open database " + name);
        boolean exists = Files.isRegularFile(path.resolve("CURRENT"));
        if (!exists && !createIfMissing) {
            throw new BackupException(ErrorCode.UNAVAILABLE, "database " + name + " does not exist at " + path
                    + "; set create-if-missing = true for it, or fix its path in the configuration");
        }
        DBOptions options = new DBOptions().setCreateIfMissing(createIfMissing).setCreateMissingColumnFamilies(true);
        List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
        try {
            if (!exists) {
                Files.createDirectories(path);
                descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY));
            } else {
                try (Options listOptions = new Options()) {
                    for (byte[] cf : RocksDB.listColumnFamilies(listOptions, path.toString())) {
                        descriptors.add(new ColumnFamilyDescriptor(cf));
                    }
                }
            }
            List<ColumnFamilyHandle> handles = new ArrayList<>();
            RocksDB db = RocksDB.open(options, path.toString(), descriptors, handles);
            return new LiveDatabase(name, path, options, handles, db);
        } catch (RocksDBException | java.io.IOException e) {
            options.close();
            throw new BackupException(ErrorCode.UNAVAILABLE, "database " + name + " at " + path + " cannot be opened: "
                    + e.getMessage() + "; check that no other process holds it and that the files are intact", e);
        }
    }

    public String name() {
        return name;
    }

    public Path path() {
        return path;
    }

    /** The raw handle, for embedding applications and tests that write to the database. */
    public RocksDB handle() {
        return db;
    }

    public long latestSequenceNumber() {
        return use("read the sequence number", db::getLatestSequenceNumber);
    }

    /**
     * Runs work against the open handle. Closing waits for work in progress and refuses what comes after, so no
     * call ever reaches a freed native handle (which would crash the JVM, not throw).
     */
    public <T> T use(String what, Supplier<T> work) {
        guard.readLock().lock();
        try {
            if (closed) {
                throw new BackupException(ErrorCode.UNAVAILABLE, "database " + name + " is closed, so '" + what
                        + "' was refused; it is being restored or the service is stopping. Retry shortly");
            }
            return work.get();
        } finally {
            guard.readLock().unlock();
        }
    }

    /**
     * Writes a consistent snapshot of the database into {@code dir} (which must not exist), hard-linking SST
     * files where the filesystem allows, and returns the exact sequence number it holds.
     */
    public long checkpoint(Path dir) {
        BlockingGuard.check("checkpoint database " + name);
        return use("checkpoint", () -> checkpointOpen(dir));
    }

    private long checkpointOpen(Path dir) {
        long before = db.getLatestSequenceNumber();
        try (Checkpoint cp = Checkpoint.create(db)) {
            cp.createCheckpoint(dir.toString());
        } catch (RocksDBException e) {
            OsError.Kind kind = OsError.kindOf(e);
            throw new BackupException(kind == OsError.Kind.NO_SPACE ? ErrorCode.INSUFFICIENT_STORAGE : ErrorCode.INTERNAL,
                    "checkpoint of database " + name + " into " + dir + " failed: " + e.getMessage() + "; "
                            + OsError.advice(kind, "the filesystem of " + dir.getParent()), e);
        }
        // Nothing written while the checkpoint was taken: it holds exactly the writes up to `before`.
        // Otherwise ask the checkpoint itself (a read-only open, a few milliseconds).
        return db.getLatestSequenceNumber() == before ? before : sequenceNumberOf(dir);
    }

    /** Opens a database directory read-only to prove it is a RocksDB database and read its last sequence number. */
    public static long sequenceNumberOf(Path dir) {
        BlockingGuard.check("open read-only " + dir);
        List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        try (Options listOptions = new Options(); DBOptions options = new DBOptions().setMaxOpenFiles(64)) {
            for (byte[] cf : RocksDB.listColumnFamilies(listOptions, dir.toString())) {
                descriptors.add(new ColumnFamilyDescriptor(cf));
            }
            try (RocksDB ro = RocksDB.openReadOnly(options, dir.toString(), descriptors, handles)) {
                long seq = ro.getLatestSequenceNumber();
                handles.forEach(ColumnFamilyHandle::close);
                return seq;
            }
        } catch (RocksDBException e) {
            throw new BackupException(ErrorCode.INTERNAL, "directory " + dir + " is not an openable RocksDB database: "
                    + e.getMessage(), e);
        }
    }

    /** Reads every block of every SST and checks RocksDB's own checksums. */
    public void verifyChecksum() {
        BlockingGuard.check("verify checksums of " + name);
        use("verify checksums", () -> {
            try {
                db.verifyChecksum();
                return null;
            } catch (RocksDBException e) {
                throw new BackupException(ErrorCode.VERIFICATION_FAILED, "database " + name + " failed RocksDB checksum verification: " + e.getMessage(), e);
            }
        });
    }

    public long estimatedKeys() {
        return longProperty("rocksdb.estimate-num-keys");
    }

    public long liveSstBytes() {
        return longProperty("rocksdb.live-sst-files-size");
    }

    private long longProperty(String property) {
        return use("read " + property, () -> {
            try {
                return db.getLongProperty(property);
            } catch (RocksDBException e) {
                return -1L;
            }
        });
    }

    /** Fills an empty database with {@code count} small demo keys so a newcomer can back something up at once. */
    public int seedIfEmpty(int count) {
        BlockingGuard.check("seed database " + name);
        if (count <= 0 || db.getLatestSequenceNumber() > 0) {
            return 0;
        }
        SplittableRandom random = new SplittableRandom(42);
        try (WriteBatch batch = new WriteBatch(); WriteOptions wo = new WriteOptions()) {
            for (int i = 0; i < count; i++) {
                byte[] key = String.format("demo:key:%08d", i).getBytes(StandardCharsets.UTF_8);
                byte[] value = new byte[100 + random.nextInt(400)];
                random.nextBytes(value);
                batch.put(key, value);
            }
            db.write(wo, batch);
            db.flushWal(true);
        } catch (RocksDBException e) {
            throw new BackupException(ErrorCode.INTERNAL, "seeding database " + name + " failed: " + e.getMessage(), e);
        }
        return count;
    }

    /** Closes once; waits for work in progress ({@link #use}); later calls are refused, a second close does nothing. */
    @Override
    public void close() {
        BlockingGuard.check("close database " + name);
        guard.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            closeHandles();
        } finally {
            guard.writeLock().unlock();
        }
    }

    private void closeHandles() {
        for (ColumnFamilyHandle h : handles) {
            h.close();
        }
        try {
            db.syncWal();
        } catch (RocksDBException e) {
            // closing still proceeds; the WAL was synced on every write that asked for it
        }
        db.close();
        options.close();
    }
}
