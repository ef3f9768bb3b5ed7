package dev.meridian.backup.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.ChildServer;
import dev.meridian.backup.TestEnv;
import dev.meridian.backup.model.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

/**
 * Invariants 3 and 4 against a real process: the server is crashed at named instants (halted like a power cut)
 * and killed with SIGKILL at random instants, during backups and restores. After a restart there is either no
 * trace of the backup or a complete, verifiable one; the database opens in its old or its new state, never a
 * mix; and no scratch directory, temp file or journal is left.
 */
class CrashRecoveryTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    private TestEnv env;
    private int starts;

    private TestEnv prepare(String extra, int keys, int valueSize) throws Exception {
        env = new TestEnv(dir, List.of("crashdb"), extra);
        Files.createDirectories(env.dbPath("crashdb"));
        RocksDB.loadLibrary();
        try (Options o = new Options().setCreateIfMissing(true); RocksDB db = RocksDB.open(o, env.dbPath("crashdb").toString())) {
            TestEnv.writeTo(db, "base", keys, valueSize, 7);
        }
        return env;
    }

    private ChildServer start(String crashAt) throws Exception {
        return ChildServer.start(env.configFile, crashAt, dir.resolve("server-" + (++starts) + ".log"));
    }

    private static JsonNode call(ChildServer s, String method, String path, String body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.url() + path)).timeout(Duration.ofSeconds(120))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return Json.MAPPER.readTree(r.body());
    }

    /** Sends a request that is expected to die with the server; returns when the server has exited. */
    private static void callUntilCrash(ChildServer s, String method, String path, String body) throws Exception {
        try {
            call(s, method, path, body);
        } catch (IOException expected) {
            // the connection dies with the process
        }
        assertTrue(s.waitForExit(60), "server should have crashed");
        assertTrue(s.output().contains("CRASH-POINT"), "the crash point was reached:\n" + s.output());
    }

    private Map<String, String> databaseContents() throws Exception {
        return TestEnv.readDirectory(env.dbPath("crashdb"));
    }

    /** After a restart: every listed backup verifies, no leftovers anywhere, unreferenced objects collected. */
    private void assertCleanRepository(ChildServer s) throws Exception {
        JsonNode backups = call(s, "GET", "/api/v1/backups?limit=1000", null).path("backups");
        Set<String> referenced = new HashSet<>();
        for (JsonNode b : backups) {
            String id = b.path("backup_id").asText();
            JsonNode v = call(s, "POST", "/api/v1/backups/" + id + "/verify", "{}");
            assertTrue(v.path("valid").asBoolean(), "backup " + id + " verifies after the crash: " + v);
            for (JsonNode f : call(s, "GET", "/api/v1/backups/" + id + "/manifest", null).path("files")) {
                referenced.add(f.path("object").asText());
            }
        }
        try (Stream<Path> tmp = Files.list(env.repository.resolve("tmp"))) {
            assertEquals(0, tmp.count(), "tmp/ is swept");
        }
        try (Stream<Path> locks = Files.list(env.repository.resolve("locks"))) {
            assertEquals(List.of("repository.lock"), locks.map(p -> p.getFileName().toString()).toList(),
                    "the journal is not in the repository");
        }
        try (Stream<Path> journal = Files.list(env.repositoryState().resolve("journal"))) {
            assertEquals(List.of(), journal.map(p -> p.getFileName().toString()).toList(), "no journal is left");
        }
        try (Stream<Path> siblings = Files.list(env.dbPath("crashdb").getParent())) {
            assertEquals(List.of("crashdb"), siblings.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no checkpoint, staging or old directory is left");
        }
        // Objects written by an unpublished backup are collected by the garbage collection run at start.
        long deadline = System.currentTimeMillis() + 20_000;
        Set<String> present;
        do {
            present = new HashSet<>();
            for (Path p : env.objectFiles()) {
                present.add(p.getFileName().toString());
            }
            if (present.equals(referenced)) {
                return;
            }
            Thread.sleep(100);
        } while (System.currentTimeMillis() < deadline);
        assertEquals(referenced, present, "objects on disk are exactly those the manifests reference");
    }

    @ParameterizedTest(name = "backup crash at {0}")
    @ValueSource(strings = {"backup.after-checkpoint", "backup.after-first-object", "backup.before-publish", "backup.after-publish"})
    void aBackupCrashLeavesNoTraceOrACompleteBackup(String point) throws Exception {
        prepare("", 4000, 500);
        try (ChildServer s = start(point)) {
            callUntilCrash(s, "POST", "/api/v1/databases/crashdb/backups", "{\"description\":\"crash\"}");
        }
        try (ChildServer s = start(null)) {
            JsonNode list = call(s, "GET", "/api/v1/backups", null);
            int expected = point.equals("backup.after-publish") ? 1 : 0;
            assertEquals(expected, list.path("total_count").asInt(), "after a crash at " + point);
            assertTrue(s.output().contains("[recovery]"), "recovery logged what it cleaned:\n" + s.output());
            assertCleanRepository(s);
            // The database is fine and a new backup works.
            JsonNode b = call(s, "POST", "/api/v1/databases/crashdb/backups", "{}");
            assertTrue(b.has("backup_id"), b.toString());
            s.stop();
        }
        assertEquals(4000, databaseContents().size(), "the database holds what the test wrote");
    }

    @ParameterizedTest(name = "restore crash at {0}")
    @ValueSource(strings = {"restore.staged", "restore.after-close", "restore.before-swap", "restore.after-swap-out",
            "restore.after-swap-in", "restore.before-cleanup"})
    void aRestoreCrashLeavesTheOldOrTheNewDatabaseNeverAMix(String point) throws Exception {
        prepare("", 3000, 400);
        String backupId;
        try (ChildServer s = start(null)) {
            backupId = call(s, "POST", "/api/v1/databases/crashdb/backups", "{}").path("backup_id").asText();
            s.stop();
        }
        Map<String, String> oldState = databaseContents();
        try (Options o = new Options(); RocksDB db = RocksDB.open(o, env.dbPath("crashdb").toString())) {
            TestEnv.writeTo(db, "base", 1500, 400, 99);
            TestEnv.writeTo(db, "newer", 700, 50, 98);
        }
        Map<String, String> newerState = databaseContents();
        try (ChildServer s = start(point)) {
            callUntilCrash(s, "POST", "/api/v1/backups/" + backupId + "/restore", "{\"create_safety_backup\":false}");
        }
        try (ChildServer s = start(null)) {
            JsonNode dbs = call(s, "GET", "/api/v1/databases", null).path("databases");
            assertEquals("ready", dbs.get(0).path("state").asText(), "the database opens after the crash: " + dbs);
            assertCleanRepository(s);
            s.stop();
        }
        Map<String, String> after = databaseContents();
        boolean swapped = List.of("restore.after-swap-in", "restore.before-cleanup").contains(point);
        if (swapped) {
            assertEquals(oldState, after, "the swap had happened: the restored state is in place");
        } else if (point.equals("restore.after-swap-out")) {
            assertEquals(oldState, after, "mid-swap with a complete staged copy: recovery rolls forward");
        } else {
            assertEquals(newerState, after, "the swap had not begun: the database is untouched");
        }
    }

    @ParameterizedTest(name = "restore through a symlink, crash at {0}")
    @ValueSource(strings = {"restore.after-swap-out", "restore.after-swap-in"})
    void aRestoreCrashThroughASymlinkRecoversTheRealDirectoryAndKeepsTheLink(String point) throws Exception {
        // The configured path is a symlink to the volume (issue 7, item 4). Mid-swap the link dangles: recovery
        // must find the real directory from the journal, roll forward there, and leave the link as it was.
        env = new TestEnv(dir, List.of("crashdb"), "");
        Path real = Files.createDirectories(dir.resolve("vol").resolve("crashdb"));
        Files.createDirectories(env.dbPath("crashdb").getParent());
        Files.createSymbolicLink(env.dbPath("crashdb"), Path.of("../vol/crashdb"));
        RocksDB.loadLibrary();
        try (Options o = new Options().setCreateIfMissing(true); RocksDB db = RocksDB.open(o, real.toString())) {
            TestEnv.writeTo(db, "base", 2000, 300, 7);
        }
        String backupId;
        try (ChildServer s = start(null)) {
            backupId = call(s, "POST", "/api/v1/databases/crashdb/backups", "{}").path("backup_id").asText();
            s.stop();
        }
        Map<String, String> atBackup = databaseContents();
        try (Options o = new Options(); RocksDB db = RocksDB.open(o, real.toString())) {
            TestEnv.writeTo(db, "newer", 500, 50, 98);
        }
        try (ChildServer s = start(point)) {
            callUntilCrash(s, "POST", "/api/v1/backups/" + backupId + "/restore", "{\"create_safety_backup\":false}");
        }
        try (ChildServer s = start(null)) {
            JsonNode dbs = call(s, "GET", "/api/v1/databases", null).path("databases");
            assertEquals("ready", dbs.get(0).path("state").asText(), "the database opens after the crash: " + dbs);
            assertCleanRepository(s);
            s.stop();
        }
        assertTrue(Files.isSymbolicLink(env.dbPath("crashdb")), "the configured path is still the symlink");
        assertEquals(Path.of("../vol/crashdb"), Files.readSymbolicLink(env.dbPath("crashdb")));
        try (Stream<Path> vol = Files.list(real.getParent())) {
            assertEquals(List.of("crashdb"), vol.map(p -> p.getFileName().toString()).toList(), "no scratch left on the volume");
        }
        assertEquals(atBackup, TestEnv.readDirectory(real), "rolled forward to the restored database, in the real directory");
    }

    @Test
    void sigkillAtRandomInstantsDuringBackupsAndRestoresNeverLosesOrMixesData() throws Exception {
        // A larger database and a rate limit make each operation last long enough to be killed mid-way.
        prepare("meridian.io.rate-limit = 24MiB\nmeridian.repository.compression = off", 16000, 2048);
        SplittableRandom random = new SplittableRandom(2026);
        String firstBackup;
        try (ChildServer s = start(null)) {
            firstBackup = call(s, "POST", "/api/v1/databases/crashdb/backups", "{}").path("backup_id").asText();
            s.stop();
        }
        Map<String, String> atFirst = databaseContents();
        try (Options o = new Options(); RocksDB db = RocksDB.open(o, env.dbPath("crashdb").toString())) {
            TestEnv.writeTo(db, "later", 4000, 2048, 5);
        }
        Map<String, String> later = databaseContents();
        for (int round = 0; round < 3; round++) {
            boolean restore = round % 2 == 1;
            try (ChildServer s = start(null)) {
                String path = restore ? "/api/v1/backups/" + firstBackup + "/restore" : "/api/v1/databases/crashdb/backups";
                String body = restore ? "{\"create_safety_backup\":true}" : "{}";
                CompletableFuture<Void> inFlight = CompletableFuture.runAsync(() -> {
                    try {
                        call(s, "POST", path, body);
                    } catch (Exception ignored) {
                        // killed mid-request
                    }
                });
                Thread.sleep(150 + random.nextInt(1200));
                s.kill();
                inFlight.join();
            }
            try (ChildServer s = start(null)) {
                JsonNode dbs = call(s, "GET", "/api/v1/databases", null).path("databases");
                assertEquals("ready", dbs.get(0).path("state").asText(), "round " + round + ": " + dbs);
                assertCleanRepository(s);
                s.stop();
            }
            Map<String, String> now = databaseContents();
            if (!now.equals(later) && !now.equals(atFirst)) {
                fail("round " + round + ": the database is neither the old nor the restored state (" + now.size() + " keys)");
            }
            if (now.equals(atFirst)) {
                // A restore completed before the kill: continue from the restored state.
                later = now;
            }
        }
    }
}
