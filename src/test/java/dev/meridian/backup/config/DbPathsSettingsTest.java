package dev.meridian.backup.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.rocks.DbPath;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * db-paths of a database: read in the owner's order with HOCON sizes; a relative, duplicated, empty or incomplete
 * entry, a typo in its keys, and a directory RocksDB would share with something else are refused at start
 * (invariant 7; RocksDB deletes the SSTs of a db path that its database does not list).
 */
class DbPathsSettingsTest {
    @TempDir
    Path dir;

    private Settings settings(String databases) {
        String hocon = "meridian { repository.path = \"" + dir.resolve("repo") + "\", state-dir = \"" + dir.resolve("state")
                + "\" }\nmeridian.databases = [" + databases + "]\n";
        return Settings.from(ConfigFactory.parseString(hocon).withFallback(Settings.load(Optional.empty())).resolve());
    }

    private String refused(String databases) {
        return assertThrows(BackupException.class, () -> settings(databases)).getMessage();
    }

    private String db(String name, String dbPaths) {
        return "{ name = " + name + ", path = \"" + dir.resolve(name) + "\", db-paths = " + dbPaths + " }";
    }

    @Test
    void dbPathsAreReadInTheOwnersOrderWithSizes() {
        Settings s = settings(db("orders", "[{ path = \"" + dir.resolve("orders") + "\", target-size = 64KiB },"
                + " { path = \"/data/orders-cold\", target-size = 100GiB }]"));
        assertEquals(List.of(new DbPath(dir.resolve("orders"), 64 * 1024), new DbPath(Path.of("/data/orders-cold"), 100L << 30)),
                s.database("orders").orElseThrow().dbPaths());
        assertEquals(List.of(), settings("{ name = plain, path = \"" + dir.resolve("plain") + "\" }")
                .database("plain").orElseThrow().dbPaths(), "none by default");
    }

    @Test
    void badEntriesAreRefusedNamingTheEntryAndWhatToDo() {
        String m = refused(db("orders", "[{ path = \"relative/cold\", target-size = 1GiB }]"));
        assertTrue(m.contains("db-paths[0].path = \"relative/cold\" is not an absolute path"), m);
        m = refused(db("orders", "[{ path = \"/data/c\", target-size = 1GiB }, { path = \"/data/c/\", target-size = 2GiB }]"));
        assertTrue(m.contains("db-paths[1].path /data/c is listed twice"), m);
        m = refused(db("orders", "[{ path = \"/data/c\" }]"));
        assertTrue(m.contains("db-paths[0] needs both path and target-size"), m);
        m = refused(db("orders", "[]"));
        assertTrue(m.contains("db-paths is empty"), m);
        m = refused(db("orders", "[{ path = \"/data/c\", target-size = -1 }]"));
        assertTrue(m.contains("target-size") && m.contains("negative"), m);
        m = refused(db("orders", "[{ path = \"/data/c\", target-sise = 1GiB }]"));
        assertTrue(m.contains("meridian.databases[0].db-paths[0].target-sise"), m);
        assertTrue(m.contains("did you mean meridian.databases[0].db-paths[0].target-size?"), m);
        m = refused("{ name = orders, path = \"" + dir.resolve("orders") + "\", db-path = [] }");
        assertTrue(m.contains("did you mean meridian.databases[0].db-paths?"), m);
        m = refused("{ name = orders, path = \"" + dir.resolve("orders") + "\", owner = application,"
                + " db-paths = [{ path = \"/data/c\", target-size = 1GiB }] }");
        assertTrue(m.contains("never does with owner = application"), m);
    }

    @Test
    void aDbPathSharedWithAnythingElseIsRefused() {
        String m = refused(db("orders", "[{ path = \"" + dir.resolve("repo/x") + "\", target-size = 1GiB }]"));
        assertTrue(m.contains("overlaps the repository"), m);
        m = refused(db("orders", "[{ path = \"" + dir.resolve("state") + "\", target-size = 1GiB }]"));
        assertTrue(m.contains("state directory"), m);
        m = refused(db("orders", "[{ path = \"" + dir.resolve("users") + "\", target-size = 1GiB }]") + ", "
                + "{ name = users, path = \"" + dir.resolve("users") + "\" }");
        assertTrue(m.contains("overlaps database 'users'"), m);
        m = refused(db("orders", "[{ path = \"/data/cold\", target-size = 1GiB }]") + ", "
                + db("users", "[{ path = \"/data/cold\", target-size = 1GiB }]"));
        assertTrue(m.contains("no two databases may share one"), m);
    }
}
