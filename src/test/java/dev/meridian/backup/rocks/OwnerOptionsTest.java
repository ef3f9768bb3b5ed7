package dev.meridian.backup.rocks;

import static dev.meridian.backup.TestEnv.readText;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.ErrorCode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.AbstractComparator;
import org.rocksdb.BuiltinComparator;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.ComparatorOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.StringAppendOperator;

/** Invariant: Meridian opens a database with its owner's options, or not at all; it never drops a WAL record. */
public class OwnerOptionsTest {
    static {
        RocksDB.loadLibrary();
    }

    @TempDir
    Path dir;

    // ---- the owner's merge operators, comparators and wal_dir ----

    @Test
    void stringAppendOperandsOnlyInTheWalSurviveMeridiansOpen() throws Exception {
        // The input: with no merge operator, WAL recovery dropped all 100 keys and deleted the log.
        Path db = dir.resolve("merge");
        writeStringAppendOperandsToWalOnly(db, 100);
        try (LiveDatabase live = LiveDatabase.open("merge", db, false)) {
            Map<String, String> all = readText(live.handle());
            assertEquals(100, all.size(), "every key is still there");
            all.values().forEach(v -> assertEquals("a,b", v));
        }
        // And the owner finds them too after Meridian closed it.
        try (Options o = new Options().setMergeOperator(new StringAppendOperator()); RocksDB owner = RocksDB.open(o, db.toString())) {
            assertEquals(100, readText(owner).size());
            assertEquals("a,b", new String(owner.get("k00042".getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8));
        }
    }

    public static void writeStringAppendOperandsToWalOnly(Path db, int keys) throws RocksDBException {
        try (Options o = new Options().setCreateIfMissing(true).setMergeOperator(new StringAppendOperator());
                RocksDB rdb = RocksDB.open(o, db.toString())) {
            for (int i = 0; i < keys; i++) {
                byte[] k = String.format("k%05d", i).getBytes(StandardCharsets.UTF_8);
                rdb.merge(k, "a".getBytes(StandardCharsets.UTF_8));
                rdb.merge(k, "b".getBytes(StandardCharsets.UTF_8));
            }
        } // closed without a flush: the operands sit only in the WAL
    }

    @Test
    void builtInMergeOperatorsNamedByNameAreConstructedForEveryColumnFamily() throws Exception {
        // uint64add on the default column family, max on a second: both replay from the WAL with their own operator.
        Path db = dir.resolve("counters");
        try (DBOptions o = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
                ColumnFamilyOptions add = new ColumnFamilyOptions().setMergeOperatorName("uint64add");
                ColumnFamilyOptions max = new ColumnFamilyOptions().setMergeOperatorName("max")) {
            List<ColumnFamilyHandle> handles = new ArrayList<>();
            try (RocksDB rdb = RocksDB.open(o, db.toString(), List.of(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, add),
                    new ColumnFamilyDescriptor("peaks".getBytes(StandardCharsets.UTF_8), max)), handles)) {
                for (long v : new long[] {5, 7, 30}) {
                    rdb.merge(handles.get(0), "sum".getBytes(StandardCharsets.UTF_8), le(v));
                    rdb.merge(handles.get(1), "peak".getBytes(StandardCharsets.UTF_8), le(v));
                }
                handles.forEach(ColumnFamilyHandle::close);
            }
        }
        try (LiveDatabase live = LiveDatabase.open("counters", db, false)) {
            RocksDB h = live.handle();
            assertEquals(42, ByteBuffer.wrap(h.get("sum".getBytes(StandardCharsets.UTF_8))).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong());
            assertEquals(2, live.columnFamilies().size());
            byte[] peak = h.get(live.columnFamilies().get(1), "peak".getBytes(StandardCharsets.UTF_8));
            assertEquals(30, ByteBuffer.wrap(peak).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(), "max of 5, 7, 30");
        }
    }

    @Test
    void walUnderASeparateWalDirIsReplayed() throws Exception {
        // The input: 1,000 keys flushed, 1,000 only in the WAL under wal_dir; it opened at 1,000 keys.
        Path db = dir.resolve("waldir");
        Path wal = dir.resolve("wal-elsewhere");
        writeWithSeparateWalDir(db, wal);
        try (LiveDatabase live = LiveDatabase.open("waldir", db, false)) {
            assertEquals(2000, readText(live.handle()).size());
            assertEquals(2000, live.latestSequenceNumber());
        }
        try (Options o = new Options().setWalDir(wal.toString()); RocksDB owner = RocksDB.openReadOnly(o, db.toString())) {
            assertEquals(2000, readText(owner).size(), "the owner still finds its WAL records");
        }
    }

    public static void writeWithSeparateWalDir(Path db, Path wal) throws RocksDBException {
        try (Options o = new Options().setCreateIfMissing(true).setWalDir(wal.toString());
                RocksDB rdb = RocksDB.open(o, db.toString()); FlushOptions fo = new FlushOptions().setWaitForFlush(true)) {
            for (int i = 0; i < 1000; i++) {
                rdb.put(String.format("flushed%05d", i).getBytes(StandardCharsets.UTF_8), new byte[64]);
            }
            rdb.flush(fo);
            for (int i = 0; i < 1000; i++) {
                rdb.put(String.format("walonly%05d", i).getBytes(StandardCharsets.UTF_8), new byte[64]);
            }
        }
    }

    @Test
    void reverseBytewiseComparatorOpensAndIteratesInItsOrder() throws Exception {
        // The input: this database was "unavailable" with a lock hint.
        Path db = dir.resolve("reverse");
        try (Options o = new Options().setCreateIfMissing(true).setComparator(BuiltinComparator.REVERSE_BYTEWISE_COMPARATOR);
                RocksDB rdb = RocksDB.open(o, db.toString())) {
            for (String k : List.of("a", "c", "b")) {
                rdb.put(k.getBytes(StandardCharsets.UTF_8), k.getBytes(StandardCharsets.UTF_8));
            }
        }
        try (LiveDatabase live = LiveDatabase.open("reverse", db, false)) {
            List<String> order = new ArrayList<>();
            try (RocksIterator it = live.handle().newIterator()) {
                for (it.seekToFirst(); it.isValid(); it.next()) {
                    order.add(new String(it.key(), StandardCharsets.UTF_8));
                }
            }
            assertEquals(List.of("c", "b", "a"), order);
        }
    }

    // ---- what Meridian cannot construct is refused, and nothing changes ----

    @Test
    void anOwnerThatCreatedItsDatabaseWithErrorIfExistsCanStillBeOpened() throws Exception {
        // error_if_exists is a creation-time check recorded in OPTIONS; taken literally it refuses every later open.
        Path db = dir.resolve("created-once");
        try (Options o = new Options().setCreateIfMissing(true).setErrorIfExists(true);
                RocksDB rdb = RocksDB.open(o, db.toString())) {
            rdb.put("k".getBytes(StandardCharsets.UTF_8), "v".getBytes(StandardCharsets.UTF_8));
        }
        try (LiveDatabase live = LiveDatabase.open("created-once", db, false)) {
            assertEquals(Map.of("k", "v"), readText(live.handle()));
        }
    }

    @Test
    void customComparatorIsRefusedWithTheOptionNamedAndTheFilesUntouched() throws Exception {
        Path db = dir.resolve("custom-cmp");
        try (ComparatorOptions co = new ComparatorOptions(); AbstractComparator reverse = new AbstractComparator(co) {
                    @Override
                    public String name() {
                        return "com.example.ReverseComparator";
                    }

                    @Override
                    public int compare(ByteBuffer a, ByteBuffer b) {
                        return b.compareTo(a);
                    }
                };
                Options o = new Options().setCreateIfMissing(true).setComparator(reverse);
                RocksDB rdb = RocksDB.open(o, db.toString())) {
            rdb.put("x".getBytes(StandardCharsets.UTF_8), "1".getBytes(StandardCharsets.UTF_8));
        }
        Map<String, String> before = listing(db);
        BackupException e = assertThrows(BackupException.class, () -> LiveDatabase.open("custom-cmp", db, false));
        assertEquals(ErrorCode.UNAVAILABLE, e.code());
        assertTrue(e.getMessage().contains("column family 'default' has comparator=com.example.ReverseComparator"), e.getMessage());
        assertTrue(e.getMessage().contains("Back it up from the owning process"), e.getMessage());
        assertFalse(e.getMessage().contains("LOCK"), "no lock hint: " + e.getMessage());
        assertEquals(before, listing(db), "not one file was created, changed or removed");
    }

    @Test
    void customMergeOperatorIsRefusedBeforeItsWalRecordsCanBeDropped() throws Exception {
        // A C++ owner's own merge operator: RocksDB's loader would silently use none, and recovery would drop the WAL.
        Path db = dir.resolve("custom-merge");
        writeStringAppendOperandsToWalOnly(db, 10);
        Path options = latestOptions(db);
        Files.writeString(options, Files.readString(options).replaceAll("merge_operator=[^\\n]*", "merge_operator=com.example.CounterMerge"));
        Map<String, String> before = listing(db);
        BackupException e = assertThrows(BackupException.class, () -> LiveDatabase.open("custom-merge", db, false));
        assertTrue(e.getMessage().contains("column family 'default' has merge_operator=com.example.CounterMerge"), e.getMessage());
        assertEquals(before, listing(db), "the WAL and everything else is untouched");
    }

    @Test
    void customCompactionFilterOnAnyColumnFamilyIsRefusedWithThatColumnFamilyNamed() throws Exception {
        Path db = dir.resolve("custom-filter");
        try (DBOptions o = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
                ColumnFamilyOptions cfo = new ColumnFamilyOptions()) {
            List<ColumnFamilyHandle> handles = new ArrayList<>();
            try (RocksDB rdb = RocksDB.open(o, db.toString(), List.of(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfo),
                    new ColumnFamilyDescriptor("events".getBytes(StandardCharsets.UTF_8), cfo)), handles)) {
                rdb.put(handles.get(1), "e1".getBytes(StandardCharsets.UTF_8), "x".getBytes(StandardCharsets.UTF_8));
                handles.forEach(ColumnFamilyHandle::close);
            }
        }
        // An owner's own TTL filter on "events" only (as a C++ application's OPTIONS file would name it).
        Path options = latestOptions(db);
        String text = Files.readString(options);
        int events = text.indexOf("[CFOptions \"events\"]");
        Files.writeString(options, text.substring(0, events)
                + text.substring(events).replaceFirst("compaction_filter=nullptr", "compaction_filter=com.example.TtlFilter"));
        Map<String, String> before = listing(db);
        BackupException e = assertThrows(BackupException.class, () -> LiveDatabase.open("custom-filter", db, false));
        assertTrue(e.getMessage().contains("column family 'events' has compaction_filter=com.example.TtlFilter"), e.getMessage());
        assertFalse(e.getMessage().contains("'default'"), e.getMessage());
        assertEquals(before, listing(db));
    }

    @Test
    void walThatDoesNotReplayCompletelyIsRefusedNotTruncated() throws Exception {
        // point-in-time recovery (the owner's default) would stop at the damaged record and drop what follows.
        Path db = dir.resolve("damaged-wal");
        try (Options o = new Options().setCreateIfMissing(true); RocksDB rdb = RocksDB.open(o, db.toString())) {
            for (int i = 0; i < 200; i++) {
                rdb.put(String.format("k%05d", i).getBytes(StandardCharsets.UTF_8), new byte[200]);
            }
        }
        Path log;
        try (Stream<Path> files = Files.list(db)) {
            log = files.filter(f -> f.toString().endsWith(".log")).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(log);
        bytes[bytes.length / 3] ^= 0x5a; // a record in the middle, not a torn tail
        Files.write(log, bytes);
        Map<String, String> before = listing(db);
        BackupException e = assertThrows(BackupException.class, () -> LiveDatabase.open("damaged-wal", db, false));
        assertTrue(e.getMessage().contains("write-ahead log does not replay completely"), e.getMessage());
        assertEquals(before, listing(db), "the damaged log was neither truncated nor deleted");
    }

    @Test
    void databaseWithoutAnOptionsFileIsRefused() throws Exception {
        Path db = dir.resolve("no-options");
        writeStringAppendOperandsToWalOnly(db, 5);
        try (Stream<Path> files = Files.list(db)) {
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith("OPTIONS-")).toList()) {
                Files.delete(f);
            }
        }
        Map<String, String> before = listing(db);
        BackupException e = assertThrows(BackupException.class, () -> LiveDatabase.open("no-options", db, false));
        assertTrue(e.getMessage().contains("it has no OPTIONS file"), e.getMessage());
        assertEquals(before, listing(db));
    }

    @Test
    void sstsOutsideTheDirectoryFailTheOpenInsteadOfVanishing() throws Exception {
        // db_paths are not in the OPTIONS file: to Meridian, SSTs in another db_path are missing SSTs.
        Path db = dir.resolve("elsewhere");
        try (Options o = new Options().setCreateIfMissing(true); RocksDB rdb = RocksDB.open(o, db.toString());
                FlushOptions fo = new FlushOptions().setWaitForFlush(true)) {
            rdb.put("a".getBytes(StandardCharsets.UTF_8), "1".getBytes(StandardCharsets.UTF_8));
            rdb.flush(fo);
        }
        Path sst;
        try (Stream<Path> files = Files.list(db)) {
            sst = files.filter(f -> f.toString().endsWith(".sst")).findFirst().orElseThrow();
        }
        Files.move(sst, Files.createDirectories(dir.resolve("second-db-path")).resolve(sst.getFileName()));
        Map<String, String> before = listing(db);
        BackupException e = assertThrows(BackupException.class, () -> LiveDatabase.open("elsewhere", db, false));
        assertTrue(e.getMessage().contains(sst.getFileName().toString().replace(".sst", "")), e.getMessage());
        assertFalse(e.getMessage().contains("holds its LOCK"), e.getMessage());
        assertEquals(before, listing(db), "nothing was created or removed");
    }

    // ---- the OPTIONS file Meridian's open writes is the owner's ----

    @Test
    void blobFilesAndOtherColumnFamilyOptionsSurviveInTheOptionsFileMeridianWrites() throws Exception {
        // The input: BlobDB on for a column family; Meridian's open wrote an OPTIONS file with it off.
        Path db = dir.resolve("blob");
        try (DBOptions o = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
                ColumnFamilyOptions plain = new ColumnFamilyOptions();
                ColumnFamilyOptions blobs = new ColumnFamilyOptions().setEnableBlobFiles(true).setMinBlobSize(512)
                        .setMergeOperator(new StringAppendOperator()).useFixedLengthPrefixExtractor(4)) {
            List<ColumnFamilyHandle> handles = new ArrayList<>();
            try (RocksDB rdb = RocksDB.open(o, db.toString(), List.of(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, plain),
                    new ColumnFamilyDescriptor("blobs".getBytes(StandardCharsets.UTF_8), blobs)), handles)) {
                rdb.put(handles.get(1), "big1".getBytes(StandardCharsets.UTF_8), new byte[4096]);
                handles.forEach(ColumnFamilyHandle::close);
            }
        }
        Path ownerFile = latestOptions(db);
        String owner = Files.readString(ownerFile);
        try (LiveDatabase live = LiveDatabase.open("blob", db, false)) {
            Path written = latestOptions(db);
            assertFalse(written.equals(ownerFile), "RocksDB wrote a new OPTIONS file on open");
            String mine = Files.readString(written);
            assertTrue(mine.contains("enable_blob_files=true"), mine);
            assertEquals(sections(owner, "CFOptions"), sections(mine, "CFOptions"), "every column family option is the owner's");
            assertEquals(sections(owner, "TableOptions"), sections(mine, "TableOptions"));
            // max_open_files too: the owner's -1 is kept while its SSTs fit well within the process's file limit.
            assertEquals(sections(owner, "DBOptions"), sections(mine, "DBOptions"), "every DB option is the owner's");
        }
    }

    // ---- stats over every column family ----

    @Test
    void keysAndSstBytesAreSummedOverAllColumnFamilies() throws Exception {
        Path db = dir.resolve("three");
        try (DBOptions o = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
                ColumnFamilyOptions cfo = new ColumnFamilyOptions(); FlushOptions fo = new FlushOptions().setWaitForFlush(true)) {
            List<ColumnFamilyHandle> handles = new ArrayList<>();
            List<ColumnFamilyDescriptor> cfs = List.of(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfo),
                    new ColumnFamilyDescriptor("orders".getBytes(StandardCharsets.UTF_8), cfo),
                    new ColumnFamilyDescriptor("users".getBytes(StandardCharsets.UTF_8), cfo));
            try (RocksDB rdb = RocksDB.open(o, db.toString(), cfs, handles)) {
                int[] counts = {10, 300, 2000};
                for (int c = 0; c < 3; c++) {
                    for (int i = 0; i < counts[c]; i++) {
                        rdb.put(handles.get(c), String.format("key%06d", i).getBytes(StandardCharsets.UTF_8), new byte[100]);
                    }
                    rdb.flush(fo, handles.get(c));
                }
                handles.forEach(ColumnFamilyHandle::close);
            }
        }
        try (LiveDatabase live = LiveDatabase.open("three", db, false)) {
            assertEquals(2310, live.estimatedKeys(), "10 + 300 + 2000 keys in three column families");
            long sstBytes;
            try (Stream<Path> files = Files.list(db)) {
                sstBytes = files.filter(f -> f.toString().endsWith(".sst")).mapToLong(f -> f.toFile().length()).sum();
            }
            assertEquals(sstBytes, live.liveSstBytes(), "the SSTs of all three column families");
        }
    }

    // ---- error texts ----

    @Test
    void errorTextsNameTheRealCauseAndGiveTheLockHintOnlyForALock() {
        Path p = Path.of("/data/orders");
        String emfile = LiveDatabase.openFailure("orders", p, new RocksDBException(
                "IO error: While open a file for lock: /data/orders/LOCK: Too many open files"), 1536).getMessage();
        assertTrue(emfile.contains("ran out of file descriptors"), emfile);
        assertTrue(emfile.contains("ulimit -n"), emfile);
        assertFalse(emfile.contains("holds its LOCK"), emfile);

        String lock = LiveDatabase.openFailure("orders", p, new RocksDBException(
                "IO error: While lock file: /data/orders/LOCK: Resource temporarily unavailable"), 1536).getMessage();
        assertTrue(lock.contains("holds its LOCK file"), lock);

        String checksum = LiveDatabase.openFailure("orders", p, new RocksDBException(
                "Corruption: block checksum mismatch: stored = 1, computed = 2 in /data/orders/000123.sst"), 1536).getMessage();
        assertTrue(checksum.contains("block checksum mismatch"), checksum);
        assertFalse(checksum.contains("LOCK"), "a damaged block is not a lock problem: " + checksum);
    }

    @Test
    void theOwnersUnboundedMaxOpenFilesIsKeptOnlyWhileItsSstsFitHalfTheBudget() {
        int budget = FileDescriptorBudget.perDatabase();
        assertEquals(-1, FileDescriptorBudget.maxOpenFiles(-1, budget / 2));
        assertEquals(budget, FileDescriptorBudget.maxOpenFiles(-1, budget / 2 + 1));
        assertEquals(budget, FileDescriptorBudget.maxOpenFiles(budget + 1, 0), "a bounded value over the budget is cut");
        assertEquals(100, FileDescriptorBudget.maxOpenFiles(100, 1_000_000), "a bounded value that fits is the owner's");
    }

    @Test
    void fileBudgetLeavesHeadroomAndSplitsAmongDatabases() {
        assertEquals(1536, FileDescriptorBudget.perDatabase(2048, 1));
        assertEquals(768, FileDescriptorBudget.perDatabase(1024, 1));
        assertEquals(256, FileDescriptorBudget.perDatabase(1024, 3));
        assertEquals(128, FileDescriptorBudget.perDatabase(256, 1));
        assertEquals(20, FileDescriptorBudget.perDatabase(64, 8), "never below RocksDB's own minimum");
        assertEquals(FileDescriptorBudget.UNKNOWN_LIMIT_BUDGET, FileDescriptorBudget.perDatabase(-1, 1));
    }

    // ---- helpers ----

    private static byte[] le(long v) {
        return ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    /** Every OPTIONS-NNNNNN file of a database directory. */
    public static List<Path> optionsFiles(Path db) throws IOException {
        try (Stream<Path> files = Files.list(db)) {
            return files.filter(f -> f.getFileName().toString().startsWith("OPTIONS-")).sorted().toList();
        }
    }

    static Path latestOptions(Path db) throws IOException {
        try (Stream<Path> files = Files.list(db)) {
            return files.filter(f -> f.getFileName().toString().startsWith("OPTIONS-"))
                    .max(java.util.Comparator.comparing(f -> f.getFileName().toString())).orElseThrow();
        }
    }

    /** Every file under {@code dir} with a digest of its bytes. */
    public static Map<String, String> listing(Path dir) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f));
                out.put(dir.relativize(f).toString(), HexFormat.of().formatHex(digest));
            }
        }
        return out;
    }

    /** "section.key" -> value for every section whose header starts with {@code kind}. */
    private static Map<String, String> sections(String optionsFile, String kind) {
        Map<String, String> out = new TreeMap<>();
        String section = null;
        for (String raw : optionsFile.split("\n")) {
            String line = raw.strip();
            if (line.startsWith("[")) {
                section = line.startsWith("[" + kind) ? line : null;
            } else if (section != null && line.contains("=")) {
                int eq = line.indexOf('=');
                out.put(section.replaceAll("[\\[\\]]", "") + "." + line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return out;
    }
}
