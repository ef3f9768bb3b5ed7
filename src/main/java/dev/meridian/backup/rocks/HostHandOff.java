package dev.meridian.backup.rocks;

import java.nio.file.Path;
import java.util.List;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;

/**
 * How a host application that embeds Meridian lets go of its open database for an in-place restore, and takes it
 * back. Meridian calls these on its RocksDB dispatcher, one at a time, never concurrently with each other.
 */
public interface HostHandOff {
    /** A handle the host opened again, with every column family's handle (the default one included). */
    record Reopened(RocksDB db, List<ColumnFamilyHandle> columnFamilies) {
        public Reopened {
            columnFamilies = List.copyOf(columnFamilies);
        }
    }

    /** Stops the host's writes and closes its handle (and its column family handles), releasing RocksDB's LOCK. */
    void quiesceAndClose() throws Exception;

    /** Opens the database at {@code directory} again with the host's own options, and resumes its work. */
    Reopened reopen(Path directory) throws Exception;

    /**
     * Tells the host how the restore ended, in every case.
     *
     * @param restored whether the database now holds the backup's state
     * @param message  what happened, in a sentence (and what to do, on a failure)
     */
    void restoreEnded(boolean restored, String message);
}
