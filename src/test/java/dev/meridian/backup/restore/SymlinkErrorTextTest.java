package dev.meridian.backup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.CliRun;
import dev.meridian.backup.TestEnv;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7 review, error texts about symlinks, with real symlinks and a real server: a configured database path that
 * is (or goes through) a dangling symlink names the symlink and its missing target, and a restore target that a
 * symlink leads out of the restore roots names where it resolves to and the allowed roots; REST and CLI show the
 * same text, and nothing is created at either end.
 */
class SymlinkErrorTextTest {
    @TempDir
    static Path dir;
    static TestEnv env;
    static Path volume;
    static Path mount;

    @BeforeAll
    static void start() throws Exception {
        volume = dir.resolve("vol"); // not there: an unmounted volume
        mount = dir.resolve("mnt");
        env = new TestEnv(dir, List.of("shop", "orders"), "meridian.databases += { name = nested, path = \""
                + dir.resolve("app").resolve("nested") + "\", create-if-missing = true, schedule = off }");
        Files.createDirectories(env.dbPath("orders").getParent());
        Files.createSymbolicLink(env.dbPath("orders"), Path.of("..", "vol", "orders")); // relative, as ln -s makes them
        Files.createSymbolicLink(dir.resolve("app"), mount);
        env.startServer();
    }

    @AfterAll
    static void stop() throws Exception {
        env.close();
    }

    private static JsonNode database(String name) throws Exception {
        for (JsonNode d : env.request("GET", "/api/v1/databases", null).json().path("databases")) {
            if (d.path("name").asText().equals(name)) {
                return d;
            }
        }
        throw new AssertionError("no database " + name);
    }

    @Test
    void aDanglingSymlinkAsTheDatabasePathNamesTheLinkAndItsMissingTarget() throws Exception {
        assertTrue(TestEnv.eventually(() -> {
            try {
                return database("orders").path("state").asText().equals("unavailable")
                        && database("nested").path("state").asText().equals("unavailable");
            } catch (Exception e) {
                return false;
            }
        }), "both databases are unavailable");
        String orders = database("orders").path("error").asText();
        Path target = volume.resolve("orders");
        assertTrue(orders.contains(env.dbPath("orders") + " is a symlink to " + target + ", which does not exist"), orders);
        assertTrue(orders.contains("missing: " + volume) && orders.contains("mount") && orders.contains("fix the symlink"), orders);
        String nested = database("nested").path("error").asText();
        assertTrue(nested.contains("goes through the symlink " + dir.resolve("app") + ", which points to " + mount
                + ", which does not exist"), nested);
        // The CLI shows the same text for a verb that needs the database; nothing was created at either target.
        CliRun create = CliRun.of("create", "--database", "orders", "--server", env.baseUrl());
        assertEquals(1, create.code(), create.err());
        assertTrue(create.err().contains(env.dbPath("orders") + " is a symlink to " + target + ", which does not exist"), create.err());
        assertFalse(Files.exists(volume) || Files.exists(mount), "no directory was created where the symlinks point");
        assertTrue(Files.isSymbolicLink(env.dbPath("orders")) && Files.isSymbolicLink(dir.resolve("app")));
    }

    @Test
    void aRestoreTargetThatASymlinkLeadsOutOfTheRootsSaysWhereItResolvesAndWhichRootsAreAllowed() throws Exception {
        JsonNode backup = env.request("POST", "/api/v1/databases/shop/backups", "{}").json();
        String id = backup.path("backup_id").asText();
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Path link = env.restoreRoot.resolve("exports");
        Files.createSymbolicLink(link, outside);
        Path dangling = env.restoreRoot.resolve("later");
        Files.createSymbolicLink(dangling, outside.resolve("not-yet")); // a target that does not exist yet
        for (Path through : List.of(link, dangling)) {
            Path target = through.resolve("copy");
            Path real = Files.readSymbolicLink(through).resolve("copy");
            TestEnv.Reply r = env.request("POST", "/api/v1/backups/" + id + "/restore",
                    "{\"target\": \"" + target + "\", \"create_safety_backup\": false}");
            assertEquals(403, r.status(), r.raw().body());
            String message = r.json().path("error").path("message").asText();
            assertTrue(message.contains("restore target " + target + " is not allowed: it resolves to " + real
                    + " through the symlink " + through + " -> " + Files.readSymbolicLink(through)), message);
            assertTrue(message.contains("meridian.restore-roots: " + env.restoreRoot + ")"), message);
            CliRun cli = CliRun.of("restore", id, "--target", target.toString(), "--yes", "--server", env.baseUrl());
            assertEquals(1, cli.code(), cli.err());
            assertTrue(cli.err().contains("it resolves to " + real) && cli.err().contains(env.restoreRoot.toString()), cli.err());
        }
        try (var s = Files.list(outside)) {
            assertEquals(0, s.count(), "nothing was written outside the roots");
        }
        // A target outside the roots with no symlink on the way keeps the plain text.
        assertFalse(message(id, outside.resolve("plain")).contains("it resolves to"), "no symlink, no resolution shown");
    }

    private static String message(String id, Path target) throws Exception {
        TestEnv.Reply r = env.request("POST", "/api/v1/backups/" + id + "/restore",
                "{\"target\": \"" + target + "\", \"create_safety_backup\": false}");
        assertEquals(403, r.status(), r.raw().body());
        String m = r.json().path("error").path("message").asText();
        assertTrue(m.contains("must be a configured database or lie under a restore root (meridian.restore-roots: "
                + env.restoreRoot + ")"), m);
        return m;
    }
}
