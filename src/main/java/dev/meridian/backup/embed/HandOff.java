package dev.meridian.backup.embed;

import java.nio.file.Path;
import java.util.List;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;

/**
 * How a host application lets go of its open database for an in-place restore (and for a migration's rollback),
 * and takes it back. Register it with {@link Meridian#register(String, RocksDB, List, HandOff)}; without one, an
 * in-place restore of the database is refused.
 *
 * <p>The steps of an in-place restore: Meridian stages and hash-checks every file of the backup beside the
 * database; takes a safety backup through the live handle; calls {@link #quiesceAndClose}; swaps the directories
 * by rename (crash-safe, journaled: see docs/operations.md); calls {@link #reopen} on the database's directory, which
 * now holds the backup's state. If that reopen throws, Meridian puts the previous directory back and calls
 * {@link #reopen} once more. Last, {@link #restoreEnded} tells the host the outcome, in every case.
 *
 * <p>Meridian calls these methods one at a time, on its own RocksDB threads (never a Pekko default-dispatcher
 * thread); they may block.
 */
public interface HandOff {

    /** A database the host opened again: the handle and every column family's handle, the default one included. */
    record Reopened(RocksDB db, List<ColumnFamilyHandle> columnFamilies) {
        public Reopened {
            columnFamilies = List.copyOf(columnFamilies);
        }
    }

    /**
     * Stops the host's writes to the database and closes it (column family handles, then the {@code RocksDB}),
     * which releases RocksDB's LOCK. If this throws, Meridian swaps nothing and calls {@link #reopen} on the
     * unchanged directory (the host may return its still-open handle).
     */
    void quiesceAndClose() throws Exception;

    /**
     * Opens the database at {@code directory} (the configured path) with the host's own options, resumes the host's
     * writes, and returns the new handles. Meridian registers them in place of the old ones.
     */
    Reopened reopen(Path directory) throws Exception;

    /**
     * The outcome of the restore, in every case: {@code restored} is true when the database now holds the backup's
     * state; {@code message} says what happened and, on a failure, what to do. Called after the restore's reply.
     */
    default void restoreEnded(boolean restored, String message) {}
}
