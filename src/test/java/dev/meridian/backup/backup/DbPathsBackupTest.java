package dev.meridian.backup.backup;

import static dev.meridian.backup.TestEnv.await;
import static dev.meridian.backup.TestEnv.readText;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.meridian.backup.TestEnv;
import dev.meridian.backup.engine.Engine;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupRequest;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.CatalogQuery;
import dev.meridian.backup.model.DatabaseStatus;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.rocks.DbPathsOpenTest;
import dev.meridian.backup.rocks.LiveDatabase;
import dev.meridian.backup.rocks.OwnerOptionsTest;
import dev.meridian.backup.runtime.Blocking;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.slf4j.LoggerFactory;

/**
 * Invariant: through the running server, a database whose owner spreads its SSTs over two directories (RocksDB
 * db_paths) is opened with its configured db-paths, backed up whole (every SST of both directories, copied where
 * the second is on another filesystem and still recognized unchanged the next time), restored into a directory that
 * opens with the default layout, and refused in place before anything is written; without db-paths it is refused
 * with every byte left as it was.
 */
class DbPathsBackupTest {
    @TempDir
    static Path dir;
    static TestEnv env;
    static Engine engine;
    static Path cold;
    static Path unkeyedCold;
    static Map<String, String> written;
    static Map<String, String> unkeyedBefore;
    static final ListAppender<ILoggingEvent> logs = new ListAppender<>();

    @BeforeAll
    static void start() throws Exception {
        RocksDB.loadLibrary();
        // The second path on another filesystem where there is one (tmpfs), so the checkpoint must copy its SSTs.
        Path shm = Path.of("/dev/shm");
        Path coldRoot = Files.isDirectory(shm) && Files.isWritable(shm)
                ? Files.createTempDirectory(shm, "meridian-dbpaths-") : Files.createDirectories(dir.resolve("cold-fs"));
        cold = coldRoot.resolve("spread-cold");
        unkeyedCold = coldRoot.resolve("unkeyed-cold");
        Path spread = dir.resolve("db").resolve("spread");
        Path unkeyed = dir.resolve("db").resolve("unkeyed");
        Files.createDirectories(spread.getParent());
        written = DbPathsOpenTest.writeSpreadOverTwoPaths(spread, cold);
        DbPathsOpenTest.writeSpreadOverTwoPaths(unkeyed, unkeyedCold);
        unkeyedBefore = listing(unkeyed, unkeyedCold);
        String databases = "meridian.databases = [\n"
                + "  { name = \"spread\", path = \"" + spread + "\", schedule = off, db-paths = [\n"
                + "      { path = \"" + spread + "\", target-size = " + DbPathsOpenTest.FIRST_TARGET + " }\n"
                + "      { path = \"" + cold + "\", target-size = 1TiB } ] }\n"
                + "  { name = \"unkeyed\", path = \"" + unkeyed + "\", schedule = off }\n"
                + "]\n";
        env = new TestEnv(dir, List.of(), databases);
        logs.start();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
        env.startServer();
        engine = env.server.engine();
    }

    @AfterAll
    static void stop() throws Exception {
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
        env.close();
        if (cold.getParent().startsWith("/dev/shm")) {
            TestEnv.deleteTree(cold.getParent());
        }
    }

    @Test
    void everyKeyIsLiveBackedUpAndRestoredIntoADirectoryThatOpensWithTheDefaultLayout() throws Exception {
        assertFalse(DbPathsOpenTest.ssts(cold).isEmpty(), "SSTs with path_id 1 are in the second path");
        assertEquals(written, read("spread"), "the live database, opened with db-paths, holds all 2,500 keys");

        BackupSummary b = backup("spread");
        Path copy = env.restoreRoot.resolve("spread-copy");
        await(engine.restore(b.backupId(), copy.toString(), false, Engine.newRequestId(), null));
        try (LiveDatabase restored = LiveDatabase.open("copy", copy, false)) {
            assertEquals(written, readText(restored.handle()), "the restored copy opens without db-paths");
        }
        try (Options o = new Options(); RocksDB plain = RocksDB.open(o, copy.toString())) {
            assertEquals(written, readText(plain), "and so does RocksDB with default options, as an application would");
        }
        assertEquals(written, read("spread"), "the live database is untouched");
        assertFalse(DbPathsOpenTest.ssts(cold).isEmpty());
    }

    @Test
    void anUnchangedSstCopiedFromAnotherFilesystemIsRecognizedByItsLiveOriginal() throws Exception {
        assertTrue(!Files.getFileStore(cold).equals(Files.getFileStore(dir)) || !Files.isDirectory(Path.of("/dev/shm")),
                "the second path is on another filesystem, so the checkpoint copies its SSTs");
        backup("spread");
        BackupSummary second = backup("spread");
        long reused = lastField("published", "reused_files=(\\d+)");
        long sstsNow = DbPathsOpenTest.ssts(env.dbPath("spread")).size() + DbPathsOpenTest.ssts(cold).size();
        assertEquals(sstsNow, reused, "every SST of both directories reused, the copied ones too: " + second);
    }

    @Test
    void inPlaceRestoreIsRefusedBeforeAnyStagingOrSafetyBackup() throws Exception {
        BackupSummary b = backup("spread");
        int backupsBefore = backupCount("spread");
        Map<String, String> before = listing(env.dbPath("spread"), cold);
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> await(engine.restore(b.backupId(), null, true, Engine.newRequestId(), null)));
        BackupException refusal = (BackupException) Blocking.cause(e);
        assertEquals(ErrorCode.CONFLICT, refusal.code(), refusal.getMessage());
        assertTrue(refusal.getMessage().contains("db_paths") && refusal.getMessage().contains(cold.toString()),
                refusal.getMessage());
        assertTrue(refusal.getMessage().contains("Restore into a new directory"), refusal.getMessage());
        assertEquals(backupsBefore, backupCount("spread"), "no safety backup was taken");
        assertEquals(written, read("spread"));
        Map<String, String> after = listing(env.dbPath("spread"), cold);
        assertEquals(withoutLogs(before), withoutLogs(after), "no file of either directory changed");
        try (var staged = Files.list(env.dbPath("spread").getParent())) {
            assertEquals(List.of("spread", "unkeyed"), staged.map(p -> p.getFileName().toString()).sorted()
                    .filter(n -> !n.startsWith(".")).toList(), "nothing was staged beside it");
        }
    }

    @Test
    void withoutDbPathsTheDatabaseIsRefusedAndNoByteChanges() throws Exception {
        TestEnv.eventually(() -> !status("unkeyed").state().equals("opening"));
        DatabaseStatus s = status("unkeyed");
        assertEquals("unavailable", s.state(), String.valueOf(s));
        assertTrue(s.error().contains("db-paths") && s.error().contains("path_id 1"), s.error());
        assertEquals(unkeyedBefore, listing(env.dbPath("unkeyed"), unkeyedCold),
                "every file of both directories is byte-identical, the LOG included");
    }

    private static DatabaseStatus status(String db) {
        try {
            return await(engine.databases()).stream().filter(d -> d.name().equals(db)).findFirst().orElseThrow();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static BackupSummary backup(String db) throws Exception {
        return await(engine.createBackup(db, new BackupRequest(Engine.newRequestId(), BackupType.MANUAL, "", List.of(),
                null, false), null));
    }

    private static int backupCount(String db) {
        return engine.listBackups(new CatalogQuery(db, null, null, 1000, null)).totalCount();
    }

    private static Map<String, String> read(String db) throws Exception {
        return await(engine.withDatabase(db, live -> readText(live.handle())));
    }

    private static Map<String, String> listing(Path db, Path coldDir) throws Exception {
        Map<String, String> all = new java.util.TreeMap<>();
        OwnerOptionsTest.listing(db).forEach((k, v) -> all.put("db/" + k, v));
        OwnerOptionsTest.listing(coldDir).forEach((k, v) -> all.put("cold/" + k, v));
        return all;
    }

    private static Map<String, String> withoutLogs(Map<String, String> listing) {
        Map<String, String> out = new java.util.TreeMap<>(listing);
        out.keySet().removeIf(k -> Path.of(k).getFileName().toString().startsWith("LOG"));
        return out;
    }

    private static long lastField(String event, String regex) {
        Pattern p = Pattern.compile(regex);
        long value = -1;
        for (ILoggingEvent e : List.copyOf(logs.list)) {
            String line = e.getFormattedMessage();
            Matcher m = p.matcher(line);
            if (line.startsWith("[" + event + "]") && line.contains("database=spread") && m.find()) {
                value = Long.parseLong(m.group(1));
            }
        }
        return value;
    }
}
