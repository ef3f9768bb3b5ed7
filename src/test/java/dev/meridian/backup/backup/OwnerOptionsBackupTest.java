package dev.meridian.backup.backup;

import static dev.meridian.backup.TestEnv.await;
import static dev.meridian.backup.TestEnv.readText;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.backup.TestEnv;
import dev.meridian.backup.engine.Engine;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupRequest;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.CatalogQuery;
import dev.meridian.backup.model.DatabaseStatus;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.rocks.LiveDatabase;
import dev.meridian.backup.rocks.OwnerOptionsTest;
import dev.meridian.backup.runtime.Blocking;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;

/**
 * Invariant: through the running server, a database opened with its owner's options keeps its WAL records live,
 * and its backup and restore hold them too (the merge-operator and wal_dir inputs, checked live and restored).
 */
class OwnerOptionsBackupTest {
    @TempDir
    static Path dir;
    static TestEnv env;
    static Engine engine;
    static Path wal;

    @BeforeAll
    static void start() throws Exception {
        RocksDB.loadLibrary();
        env = new TestEnv(dir, List.of("merge", "waldir", "three"), "");
        wal = dir.resolve("wal-elsewhere");
        java.nio.file.Files.createDirectories(env.dbPath("merge").getParent());
        OwnerOptionsTest.writeStringAppendOperandsToWalOnly(env.dbPath("merge"), 100);
        OwnerOptionsTest.writeWithSeparateWalDir(env.dbPath("waldir"), wal);
        writeThreeColumnFamilies(env.dbPath("three"));
        env.startServer();
        engine = env.server.engine();
    }

    @AfterAll
    static void stop() throws Exception {
        env.close();
    }

    @Test
    void stringAppendOperandsOnlyInTheWalAreLiveBackedUpAndRestored() throws Exception {
        Map<String, String> live = read("merge");
        assertEquals(100, live.size(), "the live database kept every key");
        live.values().forEach(v -> assertEquals("a,b", v));

        BackupSummary b = backup("merge");
        Path copy = env.restoreRoot.resolve("merge-copy");
        await(engine.restore(b.backupId(), copy.toString(), false, Engine.newRequestId(), null));
        assertEquals(live, readCopy(copy), "the restored backup holds the same 100 merged values");
        assertEquals(live, read("merge"), "and the live database still does");
    }

    @Test
    void walUnderASeparateWalDirIsLiveBackedUpAndRestored() throws Exception {
        Map<String, String> live = read("waldir");
        assertEquals(2000, live.size(), "1,000 flushed keys and 1,000 from the WAL under wal_dir");

        BackupSummary b = backup("waldir");
        Path copy = env.restoreRoot.resolve("waldir-copy");
        await(engine.restore(b.backupId(), copy.toString(), false, Engine.newRequestId(), null));
        assertEquals(live.keySet(), TestEnv.readDirectory(copy).keySet(), "the restored backup holds all 2,000 keys");

        // The copy keeps its WAL in its own directory: an application opening it with its latest OPTIONS must not
        // replay or delete the live database's WAL files in wal_dir (it did, and wrote its own log there).
        for (Path options : OwnerOptionsTest.optionsFiles(copy)) {
            assertFalse(java.nio.file.Files.readString(options).contains("wal_dir="), options + " still names a wal_dir");
        }
        Map<String, String> walBefore = OwnerOptionsTest.listing(wal);
        try (DBOptions o = new DBOptions(); org.rocksdb.ConfigOptions c = new org.rocksdb.ConfigOptions()) {
            List<ColumnFamilyDescriptor> cfs = new ArrayList<>();
            org.rocksdb.OptionsUtil.loadLatestOptions(c, copy.toString(), o, cfs);
            List<ColumnFamilyHandle> handles = new ArrayList<>();
            try (RocksDB app = RocksDB.open(o, copy.toString(), cfs, handles)) {
                assertEquals(2000, readText(app).size(), "the copy opened as its owner would holds all 2,000 keys");
                app.put("written-to-the-copy".getBytes(StandardCharsets.UTF_8), "x".getBytes(StandardCharsets.UTF_8));
                handles.forEach(ColumnFamilyHandle::close);
            }
        }
        assertEquals(walBefore, OwnerOptionsTest.listing(wal), "the live database's wal_dir was not touched");
        assertEquals(live, read("waldir"), "the live database is unchanged");

        // In place, the owner's wal_dir still holds the current database's WAL, which it would replay into the
        // restored files: refused before any staging copy or safety backup.
        int backupsBefore = backupCount("waldir");
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> await(engine.restore(b.backupId(), null, false, Engine.newRequestId(), null)));
        BackupException refusal = (BackupException) Blocking.cause(e);
        assertEquals(ErrorCode.CONFLICT, refusal.code(), refusal.getMessage());
        assertTrue(refusal.getMessage().contains("wal_dir = " + wal), refusal.getMessage());
        assertEquals(backupsBefore, backupCount("waldir"), "no safety backup was taken");
        assertEquals(live, read("waldir"), "the database is untouched");
    }

    @Test
    void statusCountsKeysAndSstBytesOfAllColumnFamilies() throws Exception {
        // GET /api/v1/databases counted the default column family only.
        TestEnv.Reply r = env.request("GET", "/api/v1/databases", null);
        assertEquals(200, r.status());
        List<DatabaseStatus> all = await(engine.databases());
        DatabaseStatus three = all.stream().filter(s -> s.name().equals("three")).findFirst().orElseThrow();
        assertEquals(3000L, three.estimatedKeys(), "1,000 keys in each of three column families");
        long perCf = await(engine.withDatabase("three", db -> {
            try {
                return db.handle().getLongProperty(db.columnFamilies().get(0), "rocksdb.live-sst-files-size");
            } catch (RocksDBException x) {
                throw new IllegalStateException(x);
            }
        }));
        assertTrue(three.liveSstBytes() > 2 * perCf, "SST bytes of all three: " + three.liveSstBytes() + " vs " + perCf);
        assertTrue(r.raw().body().contains("\"estimated_keys\":3000"), r.raw().body());
    }

    private static BackupSummary backup(String db) throws Exception {
        return await(engine.createBackup(db, new BackupRequest(Engine.newRequestId(), BackupType.MANUAL, "", List.of(), null, false), null));
    }

    private static int backupCount(String db) {
        return engine.listBackups(new CatalogQuery(db, null, null, 1000, null)).totalCount();
    }

    private static Map<String, String> read(String db) throws Exception {
        return await(engine.withDatabase(db, live -> readText(live.handle())));
    }

    private static Map<String, String> readCopy(Path copy) {
        try (LiveDatabase db = LiveDatabase.open("copy", copy, false)) {
            return readText(db.handle());
        }
    }

    static void writeThreeColumnFamilies(Path db) throws RocksDBException {
        try (DBOptions o = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
                ColumnFamilyOptions cfo = new ColumnFamilyOptions(); FlushOptions fo = new FlushOptions().setWaitForFlush(true)) {
            List<ColumnFamilyHandle> handles = new ArrayList<>();
            try (RocksDB rdb = RocksDB.open(o, db.toString(), List.of(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfo),
                    new ColumnFamilyDescriptor("orders".getBytes(StandardCharsets.UTF_8), cfo),
                    new ColumnFamilyDescriptor("users".getBytes(StandardCharsets.UTF_8), cfo)), handles)) {
                for (ColumnFamilyHandle h : handles) {
                    for (int i = 0; i < 1000; i++) {
                        rdb.put(h, String.format("key%06d", i).getBytes(StandardCharsets.UTF_8), new byte[100]);
                    }
                    rdb.flush(fo, h);
                }
                handles.forEach(ColumnFamilyHandle::close);
            }
        }
    }
}
