package dev.meridian.backup.embed;

import java.util.List;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;

/**
 * A host's schema migration, run by {@link Meridian#migrate} against the live handle after a {@code pre_migration}
 * backup. Throwing (anything) means the migration failed, and Meridian rolls the database back to that backup.
 */
@FunctionalInterface
public interface Migration {

    /** Changes the database to the new schema; {@code columnFamilies} are the registered handles, default first. */
    void apply(RocksDB db, List<ColumnFamilyHandle> columnFamilies) throws Exception;

    /**
     * The host's check of a migrated database, run right after {@link Migration#apply}; {@code false} (or an
     * exception) fails the migration, which is then rolled back.
     */
    @FunctionalInterface
    interface Check {
        boolean holds(RocksDB db, List<ColumnFamilyHandle> columnFamilies) throws Exception;
    }
}
