package dev.meridian.backup.backup;

import static dev.meridian.backup.TestEnv.await;
import static dev.meridian.backup.TestEnv.flip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.backup.TestEnv;
import dev.meridian.backup.engine.Engine;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupRequest;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.model.FileEntry;
import dev.meridian.backup.model.Hash;
import dev.meridian.backup.model.Manifest;
import dev.meridian.backup.model.VerifyResult;
import dev.meridian.backup.repository.FileFingerprints;
import dev.meridian.backup.repository.FileFingerprints.Fingerprint;
import dev.meridian.backup.repository.Repository;
import dev.meridian.backup.store.BlockingGuard;
import dev.meridian.backup.store.file.FileBlobStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.LiveFileMetaData;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

/**
 * A backup must not certify data RocksDB itself would reject (issue 7 item 3): a corrupt SST in the live database
 * fails the backup, naming the file, and publishes nothing; {@code verify --deep} finds one inside a backup taken
 * before the check existed.
 */
class CorruptSstTest {
    @TempDir
    Path dir;

    static {
        RocksDB.loadLibrary();
    }

    private TestEnv start(String... databases) throws Exception {
        StringBuilder dbs = new StringBuilder();
        for (String db : databases) {
            dbs.append("  { name = \"").append(db).append("\", path = \"").append(dir.resolve("db").resolve(db))
                    .append("\", create-if-missing = false, seed-keys = 0, schedule = off }\n");
        }
        return TestEnv.start(dir, List.of(), "meridian.databases = [\n" + dbs + "]\n");
    }

    /** The issue's database: 20,000 x 1 KiB values, flushed into one SST, closed. Returns that SST. */
    private Path oneSstDatabase(Path path, int keys) throws Exception {
        Files.createDirectories(path.getParent());
        try (Options o = new Options().setCreateIfMissing(true); RocksDB db = RocksDB.open(o, path.toString())) {
            TestEnv.writeTo(db, "k", keys, 1024, 3);
        }
        List<Path> ssts = ssts(path);
        assertEquals(1, ssts.size(), "one SST: " + ssts);
        return ssts.get(0);
    }

    private static List<Path> ssts(Path db) throws IOException {
        try (Stream<Path> files = Files.list(db)) {
            return files.filter(p -> p.toString().endsWith(".sst")).sorted().toList();
        }
    }

    private static BackupSummary backup(Engine engine, String db) throws Exception {
        return await(engine.createBackup(db, new BackupRequest(Engine.newRequestId(), BackupType.MANUAL, "", List.of(), null, false), null));
    }

    private static BackupException backupFails(Engine engine, String db) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> backup(engine, db));
        return assertInstanceOf(BackupException.class, e.getCause());
    }

    private static List<Path> scratchFiles(TestEnv env) throws IOException {
        try (Stream<Path> files = Files.list(env.repository.resolve(FileBlobStore.TMP))) {
            return files.toList();
        }
    }

    @Test
    void theIssuesCorruptSstFailsTheBackupByNamePublishesNothingAndLeavesNoObject() throws Exception {
        Path db = dir.resolve("db/orders");
        Path sst = oneSstDatabase(db, 20_000);
        Path good = Files.copy(sst, dir.resolve("good.sst"));
        flip(sst, Files.size(sst) / 2); // before Meridian starts; opening does not read that block
        long violations = BlockingGuard.violations();
        try (TestEnv env = start("orders")) {
            Engine engine = env.server.engine();
            BackupException e = backupFails(engine, "orders");
            String name = sst.getFileName().toString();
            assertEquals(ErrorCode.VERIFICATION_FAILED, e.code());
            assertTrue(e.getMessage().contains("SST " + name + " of database orders is corrupt")
                    && e.getMessage().contains("block checksum mismatch") && e.getMessage().contains("nothing was published"),
                    e.getMessage());
            assertTrue(engine.catalog().ofDatabase("orders").isEmpty(), "no backup is listed");
            assertFalse(Files.exists(env.repository.resolve("manifests/orders"))
                    && Files.list(env.repository.resolve("manifests/orders")).findAny().isPresent(), "no manifest was written");
            assertTrue(TestEnv.eventually(() -> env.objectCount() == 0),
                    "objects the failed backup stored (its small files) are collected; the SST was never stored: "
                            + env.objectFiles());
            assertEquals(violations, BlockingGuard.violations(), "the check ran off Pekko's dispatchers");
            env.stopServer();

            // The operator replaces the table with a good copy: the next backup reads it again, checks and keeps it.
            Files.copy(good, sst, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            env.startServer();
            engine = env.server.engine();
            BackupSummary b = backup(engine, "orders");
            assertTrue(await(engine.verify(b.backupId(), true, Engine.newRequestId(), null)).valid());
            Path copy = env.restoreRoot.resolve("orders-copy");
            await(engine.restore(b.backupId(), copy.toString(), false, Engine.newRequestId(), null));
            assertEquals(20_000, TestEnv.readDirectory(copy).size(), "the restored copy reads whole, checksums included");
        }
    }

    @Test
    void aCorruptFirstDataBlockInANonDefaultColumnFamilyAmongSeveralSstsIsNamedAlone() throws Exception {
        // Not the issue's input: six SSTs over two column families, the damage at the very start of one of the
        // "events" family's tables, and a good backup (whose fingerprints are cached) taken before the new table.
        Path db = dir.resolve("db/ledger");
        Files.createDirectories(db.getParent());
        String corrupt;
        try (DBOptions o = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)) {
            List<ColumnFamilyHandle> handles = new ArrayList<>();
            try (RocksDB rdb = RocksDB.open(o, db.toString(), List.of(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY),
                    new ColumnFamilyDescriptor("events".getBytes(StandardCharsets.UTF_8))), handles);
                    FlushOptions fo = new FlushOptions().setWaitForFlush(true)) {
                Random r = new Random(5);
                for (int round = 0; round < 3; round++) {
                    for (ColumnFamilyHandle cf : handles) {
                        for (int i = 0; i < 2000; i++) {
                            byte[] v = new byte[512];
                            r.nextBytes(v);
                            rdb.put(cf, ("r" + round + "-" + i).getBytes(StandardCharsets.UTF_8), v);
                        }
                        rdb.flush(fo, cf);
                    }
                }
                LiveFileMetaData target = rdb.getLiveFilesMetaData().stream()
                        .filter(f -> new String(f.columnFamilyName(), StandardCharsets.UTF_8).equals("events"))
                        .sorted(Comparator.comparing(LiveFileMetaData::fileName)).toList().get(1);
                corrupt = target.fileName().replaceFirst("^/", "");
                handles.forEach(ColumnFamilyHandle::close);
            }
        }
        assertEquals(6, ssts(db).size());
        flip(db.resolve(corrupt), 40); // inside the first data block
        try (TestEnv env = start("ledger")) {
            BackupException e = backupFails(env.server.engine(), "ledger");
            assertEquals(ErrorCode.VERIFICATION_FAILED, e.code());
            assertTrue(e.getMessage().contains("SST " + corrupt + " of database ledger is corrupt"), e.getMessage());
            for (Path other : ssts(db)) {
                String name = other.getFileName().toString();
                assertTrue(name.equals(corrupt) || !e.getMessage().contains(name), "only the bad table is named: " + e.getMessage());
            }
            assertTrue(env.server.engine().catalog().ofDatabase("ledger").isEmpty());
            assertTrue(TestEnv.eventually(() -> env.objectCount() == 0), "no object survives the collection: " + env.objectFiles());
        }
    }

    /** Publishes a backup of {@code files} the way a release without the SST check did: stored and hashed, not checked. */
    private static BackupId publishUnchecked(Repository repo, String database, Path files) throws IOException {
        BackupId id = BackupId.generate(Instant.now(), new Random());
        List<FileEntry> entries = new ArrayList<>();
        long stored = 0;
        try (Repository.Ingest ingest = repo.beginIngest(id.value()); Stream<Path> list = Files.list(files)) {
            for (Path p : list.sorted().toList()) {
                String name = p.getFileName().toString();
                if (name.equals("LOCK") || name.startsWith("LOG")) {
                    continue;
                }
                Repository.StoredFile s = ingest.store(p, name, dev.meridian.backup.model.Progress.NONE, 0, Files.size(p));
                entries.add(s.entry());
                stored += s.storedBytes();
            }
            Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
            ingest.publish(new Manifest(Manifest.FORMAT, id, database, BackupType.MANUAL, "taken before SST checks",
                    List.of(), now, now, 0, 0, 0, null, null, entries.stream().mapToLong(FileEntry::size).sum(), stored,
                    entries, null));
        }
        return id;
    }

    @Test
    void deepVerifyFindsACorruptSstInABackupTakenWithoutTheCheckAndCleansUpItsScratchFiles() throws Exception {
        oneSstDatabase(dir.resolve("db/orders"), 2000);
        Path legacy = dir.resolve("legacy");
        Path sst = oneSstDatabase(legacy, 20_000);
        flip(sst, Files.size(sst) / 2);
        try (TestEnv env = start("orders")) {
            Engine engine = env.server.engine();
            BackupId id = publishUnchecked(engine.context().repository(), "orders", legacy);

            VerifyResult plain = await(engine.verify(id, Engine.newRequestId(), null));
            assertTrue(plain.valid(), "every object matches its Blake3: a plain verify cannot see it");
            assertEquals(Boolean.FALSE, plain.deep());

            VerifyResult deep = await(engine.verify(id, true, Engine.newRequestId(), null));
            assertFalse(deep.valid());
            assertEquals(Boolean.TRUE, deep.deep());
            assertEquals(1, deep.errors().size(), deep.errors().toString());
            VerifyResult.FileError bad = deep.errors().get(0);
            assertEquals(sst.getFileName().toString(), bad.file());
            assertEquals(VerifyResult.FileError.SST_CORRUPT, bad.reason());
            assertTrue(bad.problem().contains("block checksum mismatch"), bad.problem());
            assertEquals(Boolean.FALSE, engine.backup(id).verified(), "the outcome is recorded");
            assertEquals(List.of(), scratchFiles(env), "no materialized SST is left behind");

            // A cancelled deep verification answers at once; the pool tasks still running remove their files.
            String requestId = Engine.newRequestId();
            var cancelled = engine.verify(id, true, requestId, null).toCompletableFuture();
            engine.cancel(requestId);
            try {
                cancelled.get(30, TimeUnit.SECONDS);
            } catch (ExecutionException expected) {
                // cancelled, or finished before the cancel arrived: either way nothing may remain
            }
            assertTrue(TestEnv.eventually(() -> {
                try {
                    return scratchFiles(env).isEmpty();
                } catch (IOException e) {
                    return false;
                }
            }), "scratch files are removed after a cancel too");
        }
    }

    @Test
    void aCleanBackupPassesDeepVerify() throws Exception {
        oneSstDatabase(dir.resolve("db/orders"), 5000);
        try (TestEnv env = start("orders")) {
            Engine engine = env.server.engine();
            BackupSummary b = backup(engine, "orders");
            VerifyResult r = await(engine.verify(b.backupId(), true, Engine.newRequestId(), null));
            assertTrue(r.valid(), r.errors().toString());
            assertEquals(Boolean.TRUE, r.deep());
            assertEquals(b.fileCount(), r.filesChecked());
            assertEquals(b.sizeBytes(), r.bytesChecked());
            assertEquals(List.of(), scratchFiles(env));
        }
    }

    @Test
    void aDeepVerifyThatCannotWriteItsTemporaryCopyFailsWithoutJudgingTheBackup() throws Exception {
        // Scratch space is the verifier's problem, not the backup's: no file is called bad, nothing is recorded.
        oneSstDatabase(dir.resolve("db/orders"), 2000);
        try (TestEnv env = start("orders")) {
            Engine engine = env.server.engine();
            BackupSummary b = backup(engine, "orders");
            assertTrue(TestEnv.eventually(() -> engine.backup(b.backupId()).verified() != null), "auto-verify ran");
            Path tmp = env.repository.resolve(FileBlobStore.TMP);
            TestEnv.deleteTree(tmp);
            Files.writeString(tmp, "not a directory");
            try {
                ExecutionException e = assertThrows(ExecutionException.class,
                        () -> await(engine.verify(b.backupId(), true, Engine.newRequestId(), null)));
                assertTrue(e.getCause().getMessage().contains("could not write a temporary copy of 0"), e.getCause().getMessage());
                assertEquals(Boolean.TRUE, engine.backup(b.backupId()).verified(), "the earlier verdict stands");
            } finally {
                Files.delete(tmp);
                Files.createDirectories(tmp);
            }
        }
    }

    @Test
    void fingerprintsRecordedBeforeTheCheckExistedAreNotTrusted() throws Exception {
        // A cache written by a release without the SST check may point at an object copied from a corrupt SST:
        // reusing it would carry that object into every later backup unchecked. Such a cache is ignored once.
        Path state = dir.resolve("fingerprints");
        Files.createDirectories(state);
        Hash h = Hash.of(new byte[32]);
        FileEntry entry = new FileEntry("000009.sst", 10, h, h);
        Fingerprint fp = new Fingerprint(1, 2, 10, 3, entry);
        Files.write(state.resolve("orders.json"), dev.meridian.backup.model.Json.MAPPER.writeValueAsBytes(
                Map.of("files", Map.of("000009.sst", fp))));
        assertTrue(new FileFingerprints(state).lookup("orders", "000009.sst", fp).isEmpty(), "an unversioned cache is ignored");

        FileFingerprints current = new FileFingerprints(state);
        current.save("orders", Map.of("000009.sst", fp));
        assertEquals(entry, new FileFingerprints(state).lookup("orders", "000009.sst", fp).orElseThrow(),
                "one written by a checking backup is trusted");
    }
}
