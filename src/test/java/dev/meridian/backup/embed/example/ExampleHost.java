package dev.meridian.backup.embed.example;

import dev.meridian.backup.embed.HandOff;
import dev.meridian.backup.embed.Meridian;
import dev.meridian.backup.embed.MigrationFailedException;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.MigrationRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.StampedLock;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.StringAppendOperator;

/**
 * An application that owns a RocksDB database ("orders": a default column family and "lines") and embeds
 * Meridian Backup: it registers its handle with a hand-off, backs up, migrates with automatic rollback and
 * restores in place. Run: {@code ExampleHost.main(new String[] {"/tmp/example"})}.
 */
public final class ExampleHost implements HandOff, AutoCloseable {
    static {
        RocksDB.loadLibrary();
    }

    private final StampedLock writes = new StampedLock(); // writers share it; a hand-off holds it exclusively
    private final DBOptions dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
    private final ColumnFamilyOptions cfOptions = new ColumnFamilyOptions().setMergeOperator(new StringAppendOperator());
    private long handOffStamp;
    private volatile RocksDB db;
    private volatile List<ColumnFamilyHandle> columnFamilies;
    private final Meridian meridian;

    public ExampleHost(Path databaseDir, Path meridianConfig) throws Exception {
        meridian = Meridian.start(meridianConfig); // first: it finishes a restore a crash interrupted
        open(databaseDir);
        meridian.register("orders", db, columnFamilies, this);
    }

    private void open(Path dir) throws RocksDBException {
        List<ColumnFamilyDescriptor> descriptors = List.of(
                new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions),
                new ColumnFamilyDescriptor("lines".getBytes(StandardCharsets.UTF_8), cfOptions));
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
        columnFamilies = handles;
    }

    /** The application's own write path: shared with other writers, exclusive with a hand-off. */
    public void put(String key, String value) throws RocksDBException {
        long stamp = writes.readLock();
        try {
            db.put(columnFamilies.get(0), bytes(key), bytes(value));
        } finally {
            writes.unlockRead(stamp);
        }
    }

    public String get(String key) throws RocksDBException {
        byte[] v = db.get(columnFamilies.get(0), bytes(key));
        return v == null ? null : new String(v, StandardCharsets.UTF_8);
    }

    // ---- the hand-off: Meridian asks, the application decides how to stop and start ----

    @Override
    public void quiesceAndClose() {
        handOffStamp = writes.writeLock(); // waits for writes in flight; new ones wait until reopen
        columnFamilies.forEach(ColumnFamilyHandle::close);
        db.close();
    }

    @Override
    public Reopened reopen(Path directory) throws RocksDBException {
        open(directory);
        writes.unlockWrite(handOffStamp);
        return new Reopened(db, columnFamilies);
    }

    @Override
    public void restoreEnded(boolean restored, String message) {
        System.out.println((restored ? "restored: " : "restore failed: ") + message);
    }

    @Override
    public void close() {
        meridian.close(); // first Meridian, then the application's own handles
        columnFamilies.forEach(ColumnFamilyHandle::close);
        db.close();
        cfOptions.close();
        dbOptions.close();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args.length > 0 ? args[0] : "meridian-example").toAbsolutePath();
        Files.createDirectories(work.resolve("restores"));
        Path config = work.resolve("meridian.conf");
        Files.writeString(config, """
                meridian {
                  repository.path = "%s/repository"
                  state-dir = "%s/state"
                  restore-roots = ["%s/restores"]
                  databases = [
                    { name = "orders", path = "%s/orders", owner = "application", schedule = "daily@02:00" }
                  ]
                }
                """.formatted(work, work, work, work));
        try (ExampleHost host = new ExampleHost(work.resolve("orders"), config)) {
            host.put("order:1", "3 apples");
            BackupSummary manual = host.meridian.backup("orders", BackupType.MANUAL, "before the sale");
            System.out.println("backup " + manual.backupId() + ": " + manual.fileCount() + " files");

            // A migration that works: applied, recorded beside its pre-migration backup.
            MigrationRecord applied = host.meridian.migrate("orders", "2",
                    (db, cfs) -> db.put(cfs.get(0), bytes("schema"), bytes("2")),
                    (db, cfs) -> "2".equals(host.get("schema")));
            System.out.println("migration to schema 2: " + applied.outcome());

            // A migration that fails half-way: the database is rolled back to its pre-migration backup.
            try {
                host.meridian.migrate("orders", "3", (db, cfs) -> {
                    db.put(cfs.get(0), bytes("schema"), bytes("3"));
                    throw new IllegalStateException("order:1 has no customer");
                }, null);
            } catch (MigrationFailedException e) {
                System.out.println("migration to schema 3: " + e.outcome() + "; schema is " + host.get("schema"));
            }

            // Restore the manual backup in place: the hand-off closes and reopens the application's handle.
            host.meridian.restoreInPlace(manual.backupId());
            System.out.println("after restore: order:1 = " + host.get("order:1") + ", schema = " + host.get("schema"));
            host.put("order:2", "1 pear"); // the application writes on at once
        }
    }
}
