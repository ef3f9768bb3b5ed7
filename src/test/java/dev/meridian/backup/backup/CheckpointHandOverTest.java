package dev.meridian.backup.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.CheckpointHost;
import dev.meridian.backup.TestEnv;
import dev.meridian.backup.config.Settings;
import dev.meridian.backup.model.BackupException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

/**
 * Checkpoint hand-over from a separate JVM that owns the database (owner = application) and keeps it open, and so
 * its LOCK, for the whole test: Meridian never opens it, ingests the checkpoints the owner writes under the
 * database's checkpoint roots through REST, deduplicated like any backup, and every bad hand-over gets a 4xx with a
 * clear message and leaves the repository and the directory as they were.
 */
class CheckpointHandOverTest {
    @TempDir
    static Path dir;
    static TestEnv env;
    static CheckpointHost host;
    static Path roots;
    static Path outside;

    @BeforeAll
    static void start() throws Exception {
        roots = Files.createDirectories(dir.resolve("handover"));
        outside = Files.createDirectories(dir.resolve("outside"));
        Path appDb = dir.resolve("db").resolve("app");
        Files.createDirectories(appDb.getParent());
        host = CheckpointHost.start(appDb, dir.resolve("host.log"));
        env = new TestEnv(dir, List.of(), "meridian.databases = [\n"
                + "  { name = \"app\", path = \"" + appDb + "\", owner = \"application\", checkpoint-roots = [\"" + roots + "\"] }\n"
                + "  { name = \"owned\", path = \"" + dir.resolve("db").resolve("owned") + "\", create-if-missing = true,"
                + " seed-keys = 10 }\n]\n");
        env.startServer();
    }

    @AfterAll
    static void stop() throws Exception {
        if (env != null) {
            env.close();
        }
        if (host != null) {
            host.close();
        }
    }

    /** Every file under {@code root} with its size and mtime: "intact" means this map is unchanged. */
    static Map<String, String> tree(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return out;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                out.put(root.relativize(p).toString(), Files.isSymbolicLink(p) ? "link" : Files.isDirectory(p) ? "dir"
                        : Files.size(p) + "@" + Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis());
            }
        }
        return out;
    }

    /** The repository's objects and manifests (files only: collection leaves empty shard directories behind). */
    static Map<String, String> repository() throws IOException {
        Map<String, String> all = new TreeMap<>(tree(env.repository.resolve("objects")));
        tree(env.repository.resolve("manifests")).forEach((k, v) -> all.put("manifests/" + k, v));
        all.values().removeIf("dir"::equals);
        return all;
    }

    static TestEnv.Reply handOver(String db, Path checkpoint, boolean remove) throws Exception {
        return env.request("POST", "/api/v1/databases/" + db + "/backups", TestEnv.json(TestEnv.map(
                "checkpoint_dir", checkpoint.toString(), "remove_checkpoint", remove)));
    }

    static Map<String, String> readText(Path db) {
        try (Options o = new Options(); RocksDB rdb = RocksDB.openReadOnly(o, db.toString())) {
            return TestEnv.readText(rdb);
        } catch (org.rocksdb.RocksDBException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A copy of a checkpoint made with hard links, as a second checkpoint of the same data would be. */
    static Path linkCopy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.createLink(to.resolve(f.getFileName()), f);
            }
        }
        return to;
    }

    static Path anySst(Path checkpoint) throws IOException {
        try (Stream<Path> files = Files.list(checkpoint)) {
            return files.filter(f -> f.toString().endsWith(".sst")).findFirst().orElseThrow();
        }
    }

    @Test
    void handedOverCheckpointsAreIngestedDeduplicatedAndRestoreToWhatTheOwnerWrote() throws Exception {
        host.write("a", 5000);
        Path cp1 = roots.resolve("cp-1");
        long seq1 = host.checkpoint(cp1);
        Map<String, String> cp1Before = tree(cp1);

        TestEnv.Reply first = handOver("app", cp1, false);
        assertEquals(201, first.status(), first.raw().body());
        assertEquals("manual", first.json().path("type").asText());
        assertEquals(seq1, first.json().path("sequence_number").asLong(), "the checkpoint's own sequence number");
        assertEquals(cp1Before, tree(cp1), "a checkpoint not asked to be removed is left exactly as it was (the"
                + " read-only open writes nothing)");

        host.write("b", 300); // the owner keeps writing: Meridian holds no lock on its database
        Path cp2 = roots.resolve("cp-2");
        long seq2 = host.checkpoint(cp2);
        Map<String, String> expected = host.written();
        TestEnv.Reply second = env.request("POST", "/api/v1/databases/app/backups", TestEnv.json(TestEnv.map(
                "checkpoint_dir", cp2.toString(), "remove_checkpoint", true, "type", "incremental", "tags", List.of("handed"))));
        assertEquals(201, second.status(), second.raw().body());
        assertEquals("incremental", second.json().path("type").asText());
        assertEquals(seq2, second.json().path("sequence_number").asLong());
        assertFalse(Files.exists(cp2), "removed once published, before the reply, as asked");
        assertTrue(second.json().path("stored_bytes").asLong() < second.json().path("size_bytes").asLong(),
                "the SSTs of the first checkpoint (hard links to the same files) are not stored again: " + second.json());
        String id = second.json().path("backup_id").asText();

        TestEnv.Reply verified = env.request("POST", "/api/v1/backups/" + id + "/verify", "{}");
        assertTrue(verified.json().path("valid").asBoolean(), verified.raw().body());

        Path target = env.restoreRoot.resolve("app-copy");
        TestEnv.Reply restored = env.request("POST", "/api/v1/backups/" + id + "/restore",
                TestEnv.json(TestEnv.map("target", target.toString())));
        assertEquals(200, restored.status(), restored.raw().body());
        assertEquals(expected, readText(target), "the restored copy holds exactly what the owner wrote before cp-2");

        String listed = env.request("GET", "/api/v1/backups?database=app&limit=1000", null).raw().body();
        assertTrue(listed.contains(first.json().path("backup_id").asText()) && listed.contains(id),
                "list works as for any database: " + listed);
        TestEnv.Reply stats = env.request("GET", "/api/v1/stats?database=app", null);
        assertEquals(200, stats.status(), stats.raw().body());
        host.write("c", 10);
    }

    @Test
    void anApplicationOwnedDatabaseIsNeverOpenedAndRefusesWhatNeedsItsHandle() throws Exception {
        JsonNode dbs = env.request("GET", "/api/v1/databases", null).json().path("databases");
        JsonNode app = dbs.get(0);
        assertEquals("app", app.path("name").asText());
        assertEquals("application", app.path("owner").asText());
        assertEquals("application", app.path("state").asText(), "not opening, not unavailable: " + app);
        assertEquals("meridian", dbs.get(1).path("owner").asText());
        assertEquals("ready", dbs.get(1).path("state").asText());

        TestEnv.Reply own = env.request("POST", "/api/v1/databases/app/backups", "{}");
        assertEquals(409, own.status(), own.raw().body());
        assertTrue(own.raw().body().contains("Hand over a checkpoint"), own.raw().body());

        host.write("d", 100);
        Path cp = roots.resolve("cp-inplace");
        host.checkpoint(cp);
        TestEnv.Reply b = handOver("app", cp, true);
        assertEquals(201, b.status(), b.raw().body());
        TestEnv.Reply inPlace = env.request("POST", "/api/v1/backups/" + b.json().path("backup_id").asText() + "/restore",
                "{}");
        assertEquals(409, inPlace.status(), inPlace.raw().body());
        assertTrue(inPlace.raw().body().contains("Restore into a new directory"), inPlace.raw().body());
        host.write("d", 100); // still the owner's, still writable
        assertTrue(host.alive());
        try (Stream<Path> siblings = Files.list(dir.resolve("db"))) {
            assertEquals(List.of("app", "owned"), siblings.map(p -> p.getFileName().toString()).sorted().toList(),
                    "Meridian put nothing beside the application's database");
        }
    }

    /** Posts a bad hand-over: a 4xx whose message contains {@code says}; repository and directory unchanged. */
    static void refused(String db, Path checkpoint, int status, String says) throws Exception {
        Map<String, String> repoBefore = repository();
        Map<String, String> dirBefore = tree(checkpoint);
        TestEnv.Reply r = handOver(db, checkpoint, true);
        assertEquals(status, r.status(), r.raw().body());
        String message = r.json().path("error").path("message").asText();
        assertTrue(message.contains(says), "'" + says + "' in: " + message);
        assertTrue(message.contains(checkpoint.getFileName().toString()), "names the directory: " + message);
        assertEquals(repoBefore, repository(), "nothing was stored or published");
        assertEquals(dirBefore, tree(checkpoint), "the handed-over directory is intact (remove_checkpoint was true)");
    }

    @Test
    void everyBadHandOverGetsA4xxAndChangesNothing() throws Exception {
        host.write("e", 2000);
        Path good = outside.resolve("good");
        host.checkpoint(good);

        refused("app", good, 403, "not under the database's checkpoint roots");

        Path link = roots.resolve("link");
        Files.createSymbolicLink(link, good);
        refused("app", link, 403, "through a symlink");

        Path withLink = linkCopy(good, roots.resolve("with-link"));
        Path sst = anySst(withLink);
        Files.delete(sst);
        Files.createSymbolicLink(sst, good.resolve(sst.getFileName()));
        refused("app", withLink, 403, "is a symlink");

        Path missing = linkCopy(good, roots.resolve("missing-sst"));
        Files.delete(anySst(missing));
        refused("app", missing, 400, "which is missing");

        Path notDb = Files.createDirectories(roots.resolve("not-a-db"));
        Files.writeString(notDb.resolve("notes.txt"), "hello");
        refused("app", notDb, 400, "no CURRENT file");

        Path owned = linkCopy(good, roots.resolve("for-owned"));
        refused("owned", owned, 409, "owner = meridian");

        Path renaming = linkCopy(good, roots.resolve("cp-3.tmp"));
        refused("app", renaming, 409, "still being written");

        Path tempInside = linkCopy(good, roots.resolve("temp-inside"));
        Files.writeString(tempInside.resolve("000099.dbtmp"), "MANIFEST-0");
        refused("app", tempInside, 409, "still being written");

        // A file that grows while Meridian looks: the listings before and after the read-only open differ.
        Path growing = linkCopy(good, roots.resolve("growing"));
        Path extra = growing.resolve("EXTRA");
        Files.writeString(extra, "");
        AtomicBoolean writing = new AtomicBoolean(true);
        Thread writer = new Thread(() -> {
            while (writing.get()) {
                try {
                    Files.writeString(extra, "x", StandardOpenOption.APPEND);
                } catch (IOException e) {
                    return;
                }
            }
        });
        writer.start();
        Map<String, String> repoBefore = repository();
        TestEnv.Reply r;
        try {
            r = handOver("app", growing, true);
        } finally {
            writing.set(false);
            writer.join();
        }
        // Refused at the check (usually), or at the listing just before publishing: 409 naming the file either way.
        assertEquals(409, r.status(), r.raw().body());
        assertTrue(r.raw().body().contains("EXTRA changed"), r.raw().body());
        assertTrue(TestEnv.eventually(() -> {
            try {
                return repoBefore.equals(repository());
            } catch (IOException e) {
                return false;
            }
        }), "nothing published, and anything stored is collected");
        assertTrue(Files.exists(growing.resolve("CURRENT")), "left in place");

        TestEnv.Reply relative = env.request("POST", "/api/v1/databases/app/backups", "{\"checkpoint_dir\":\"handover/x\"}");
        assertEquals(400, relative.status(), relative.raw().body());
        assertTrue(relative.raw().body().contains("is relative"), relative.raw().body());

        // The same data, handed over properly, is accepted: the refusals were about the input, not the data.
        TestEnv.Reply ok = handOver("app", linkCopy(good, roots.resolve("good-copy")), true);
        assertEquals(201, ok.status(), ok.raw().body());
        assertTrue(Files.exists(good.resolve("CURRENT")), "a directory outside the roots is never removed");
    }

    @Test
    void aScheduleOnAnApplicationOwnedDatabaseIsRefusedWhenTheConfigurationLoads() throws Exception {
        Path conf = dir.resolve("scheduled.conf");
        Files.writeString(conf, "meridian {\n  repository.path = \"" + dir.resolve("repo2") + "\"\n  state-dir = \""
                + dir.resolve("state2") + "\"\n  databases = [ { name = \"svc\", path = \"" + dir.resolve("svc")
                + "\", owner = \"application\", schedule = \"daily@02:00\" } ]\n}\n");
        BackupException e = assertThrows(BackupException.class, () -> Settings.from(Settings.load(Optional.of(conf))));
        assertTrue(e.getMessage().contains("The owning process decides when"), e.getMessage());
        assertTrue(e.getMessage().contains("embeds Meridian"), e.getMessage());
        Files.writeString(conf, Files.readString(conf).replace("daily@02:00", "off"));
        assertEquals(Settings.Owner.APPLICATION, Settings.from(Settings.load(Optional.of(conf))).database("svc")
                .orElseThrow().owner());
    }
}
