package dev.meridian.backup.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.Schedule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The embedded default is the README's promise; every bad setting is refused at startup with its key named. */
class SettingsTest {
    @TempDir
    Path dir;

    @Test
    void theEmbeddedDefaultIsTheDocumentedOne() {
        Settings s = Settings.from(Settings.load(Optional.empty()));
        assertEquals("127.0.0.1", s.httpHost());
        assertEquals(8080, s.httpPort());
        assertEquals(Path.of("var/backups").toAbsolutePath(), s.repositoryPath());
        Settings.DatabaseSettings demo = s.database("demo").orElseThrow();
        assertEquals(Path.of("var/db/demo").toAbsolutePath(), demo.path());
        assertTrue(demo.createIfMissing() && demo.seedKeys() >= 1000);
        assertTrue(demo.schedule() instanceof Schedule.Daily);
        assertEquals(7, demo.policyFor(BackupType.SCHEDULED).keepLast());
        assertTrue(demo.policyFor(BackupType.MANUAL).keepsEverything());
        assertTrue(s.autoVerify());
    }

    @Test
    void aConfigFileOverridesAndSystemPropertiesOverrideTheFile() throws Exception {
        Path f = dir.resolve("c.conf");
        Files.writeString(f, "meridian.http.port = 9091\nmeridian.repository.compression = \"zstd:5\"\n");
        System.setProperty("meridian.http.port", "9092");
        try {
            Settings s = Settings.from(Settings.load(Optional.of(f)));
            assertEquals(9092, s.httpPort());
            assertEquals("zstd:5", s.compression().toString());
        } finally {
            System.clearProperty("meridian.http.port");
            ConfigFactory.invalidateCaches();
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "meridian.http.port = 70000|meridian.http.port",
        "meridian.repository.compression = lz4|compression",
        "meridian.repository.compression = \"zstd:0\"|compression",
        "meridian.repository.compression = \"zstd:22\"|compression",
        "meridian.databases = [{name = \"a/b\", path = \"x\"}]|invalid database name",
        "meridian.databases = [{name = a, path = x}, {name = a, path = y}]|twice",
        "meridian.databases = [{name = a, path = x, schedule = sometimes}]|invalid schedule",
        "meridian.databases = [{name = a, path = x, retention { scheduled { keep-forever = 1 } }}]|meridian.databases[0].retention.scheduled.keep-forever",
        "meridian.databases = [{name = a, path = x, retention { scheduled { keep-last = 0 } }}]|keep-last",
        "meridian.databases = [{name = a, path = x, retention { hourly { keep-last = 1 } }}]|'hourly' is none of manual, scheduled, pre_migration",
        "meridian.database.queue-size = 0|queue-size",
        "meridian.auth.tokens = [{token = short, scopes = [read]}]|shorter than 16",
        "meridian.auth.tokens = [{token = \"0123456789abcdef0\", scopes = [root]}]|unknown scope",
        "meridian.io.rate-limit = -5|rate-limit",
    })
    void badSettingsAreRefusedNamingTheKey(String conf, String fragment) throws Exception {
        Path f = dir.resolve("bad.conf");
        Files.writeString(f, conf + "\n");
        BackupException e = assertThrows(BackupException.class, () -> Settings.from(Settings.load(Optional.of(f))));
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }

    @Test
    void aMissingConfigFileIsAUsageError() {
        BackupException e = assertThrows(BackupException.class, () -> Settings.load(Optional.of(dir.resolve("nope.conf"))));
        assertTrue(e.getMessage().contains("does not exist"));
        assertEquals(2, dev.meridian.backup.cli.Main.run("serve", "--config", dir.resolve("nope.conf").toString()));
    }

    // ---- unknown keys (issue 7 item 9): a misspelt key was ignored and its default silently used ----

    private BackupException refused(String conf) throws Exception {
        Path f = dir.resolve("bad.conf");
        Files.writeString(f, conf);
        return assertThrows(BackupException.class, () -> Settings.from(Settings.load(Optional.of(f))));
    }

    // The inputs: keep-lats in a database's retention block, a misspelt schedule, meridian.repositry.path.
    @Test
    void aMisspeltRetentionRuleIsRefusedWithItsPathFileLineAndTheNearestKey() throws Exception {
        BackupException e = refused("""
                meridian.databases = [
                  { name = orders, path = "/tmp/orders",
                    retention { manual { keep-lats = 7 } } }
                ]
                """);
        assertEquals(dev.meridian.backup.model.ErrorCode.INVALID_ARGUMENT, e.code());
        String m = e.getMessage();
        assertTrue(m.startsWith("unknown setting meridian.databases[0].retention.manual.keep-lats at "
                + dir.resolve("bad.conf") + ":3 (did you mean meridian.databases[0].retention.manual.keep-last?)"), m);
    }

    @Test
    void aMisspeltScheduleIsRefusedNotIgnored() throws Exception {
        String m = refused("meridian.databases = [{ name = orders, path = \"/tmp/orders\", schedul = \"hourly\" }]\n").getMessage();
        assertTrue(m.contains("meridian.databases[0].schedul at " + dir.resolve("bad.conf") + ":1"), m);
        assertTrue(m.contains("did you mean meridian.databases[0].schedule?"), m);
    }

    @Test
    void aMisspeltTopLevelSectionNamesTheFullPathAndTheKeyItMeant() throws Exception {
        String m = refused("meridian.repositry.path = \"/srv/backups\"\n").getMessage();
        assertTrue(m.contains("unknown setting meridian.repositry.path at " + dir.resolve("bad.conf") + ":1"), m);
        assertTrue(m.contains("did you mean meridian.repository.path?"), m);
    }

    // The same kind of fault elsewhere: in the second database, in a token, from -D, several at once.
    @Test
    void aTypoInTheSecondDatabaseIsRefusedWithItsIndex() throws Exception {
        String m = refused("""
                meridian.databases = [
                  { name = a, path = "/tmp/a", retention { scheduled { keep-last = 3 } } }
                  { name = b, path = "/tmp/b", create-if-mising = true }
                ]
                """).getMessage();
        assertTrue(m.contains("meridian.databases[1].create-if-mising"), m);
        assertTrue(m.contains("did you mean meridian.databases[1].create-if-missing?"), m);
        assertFalse(m.contains("databases[0]"), m);
    }

    @Test
    void aTypoInATokenIsRefused() throws Exception {
        String m = refused("meridian.auth.tokens = [{ name = ci, tokn = \"0123456789abcdef0\", scopes = [read] }]\n").getMessage();
        assertTrue(m.contains("meridian.auth.tokens[0].tokn"), m);
        assertTrue(m.contains("did you mean meridian.auth.tokens[0].token?"), m);
    }

    @Test
    void aTypoInASystemPropertyOverrideIsRefusedNamingTheFlag() {
        System.setProperty("meridian.http.prot", "9000");
        try {
            BackupException e = assertThrows(BackupException.class, () -> Settings.from(Settings.load(Optional.empty())));
            assertTrue(e.getMessage().contains("unknown setting meridian.http.prot from -Dmeridian.http.prot (did you mean meridian.http.port?)"),
                    e.getMessage());
        } finally {
            System.clearProperty("meridian.http.prot");
            ConfigFactory.invalidateCaches();
        }
    }

    @Test
    void everyUnknownKeyIsNamedInOneLineAndFarOffKeysListWhatIsKnownThere() throws Exception {
        String m = refused("""
                meridian.backup.paralel-files = 4
                meridian.mcp.tool-name-styel = underscore
                meridian.databases = [{ name = a, path = "/tmp/a", retention { weekly { keep-last = 2 } } }]
                """).getMessage();
        assertTrue(m.startsWith("3 unknown settings: "), m);
        assertFalse(m.contains("\n"), "one line: " + m);
        assertTrue(m.contains("meridian.backup.paralel-files"), m);
        assertTrue(m.contains("did you mean meridian.backup.parallel-files?"), m);
        assertTrue(m.contains("did you mean meridian.mcp.tool-name-style?"), m);
        assertTrue(m.contains("meridian.databases[0].retention.weekly.keep-last"), m);
        assertTrue(m.contains("('weekly' is none of manual, scheduled, pre_migration, pre-migration, incremental)"), m);
    }

    @Test
    void theNearestKeyIsFoundByEditDistanceWithSwapsCountingOne() {
        assertEquals(1, ConfigKeys.distance("keep-lats", "keep-last"));
        assertEquals(1, ConfigKeys.distance("schedul", "schedule"));
        assertEquals("keep-last", ConfigKeys.nearest("keep-lats", dev.meridian.backup.model.RetentionPolicy.RULES));
        assertEquals("keep-daily", ConfigKeys.nearest("KEEP-DAYLY", dev.meridian.backup.model.RetentionPolicy.RULES));
        assertEquals(null, ConfigKeys.nearest("keep-forever", dev.meridian.backup.model.RetentionPolicy.RULES));
    }

    // What must keep loading: every known key, Pekko's keys in dispatcher blocks, anything under pekko, the process
    // switches given as -D (surefire itself sets -Dmeridian.strict-dispatchers=true for every test).
    @Test
    void everyKnownKeyDispatcherKeysPekkoKeysAndProcessSwitchesStillLoad() throws Exception {
        Path f = dir.resolve("full.conf");
        Files.writeString(f, """
                include "application.conf"
                meridian {
                  http { host = "127.0.0.1", port = 0 }
                  repository { path = "%s", compression = "zstd:3" }
                  auth.tokens = [{ name = ci, token = "0123456789abcdef0", scopes = [read, backup] }]
                  databases = [
                    { name = a, path = "%s", create-if-missing = true, seed-keys = 10, schedule = "every 6h",
                      retention { manual { keep-within = 90d }, scheduled { keep-last = 7, keep-hourly = 24,
                        keep-daily = 7, keep-weekly = 4, keep-monthly = 12 }, pre-migration { keep-last = 3 },
                        incremental { keep-last = 2 } } }
                  ]
                  io-dispatcher { throughput-deadline-time = 1s, thread-pool-executor { fixed-pool-size = 3, keep-alive-time = 30s } }
                }
                pekko.some-future-pekko-setting = 1
                """.formatted(dir.resolve("repo"), dir.resolve("db-a")));
        System.setProperty("meridian.test.crash-at", "nowhere");
        System.setProperty("meridian.blake3.vector", "true");
        try {
            Settings s = Settings.from(Settings.load(Optional.of(f)));
            assertEquals(3, s.database("a").orElseThrow().policyFor(BackupType.PRE_MIGRATION).keepLast());
            assertEquals(7, s.database("a").orElseThrow().policyFor(BackupType.SCHEDULED).keepDaily());
            assertEquals(1, s.authTokens().size());
        } finally {
            System.clearProperty("meridian.test.crash-at");
            System.clearProperty("meridian.blake3.vector");
            ConfigFactory.invalidateCaches();
        }
    }

    // The warm-up switches docs/performance.md tells people to pass (-Dmeridian.warmup=false and the others) were
    // refused as unknown settings: every documented -D switch must load.
    @Test
    void documentedWarmUpSwitchesLoad() throws Exception {
        Path f = dir.resolve("warm.conf");
        Files.writeString(f, "meridian { repository.path = \"%s\", databases = [] }\n".formatted(dir.resolve("repo")));
        Map<String, String> switches = Map.of("meridian.warmup", "false", "meridian.blake3.warmup", "false");
        switches.forEach(System::setProperty);
        try {
            Settings.from(Settings.load(Optional.of(f)));
        } finally {
            switches.keySet().forEach(System::clearProperty);
            ConfigFactory.invalidateCaches();
        }
    }

    @Test
    void serveWithAnUnknownKeyPrintsOneLineAndExitsTwo() throws Exception {
        Path f = dir.resolve("bad.conf");
        // The port is out of range too, so that serve without the key check stops instead of running: the unknown key
        // is checked first and is what gets reported.
        Files.writeString(f, "meridian.databases = [{ name = orders, path = \"" + dir.resolve("orders")
                + "\", retention { manual { keep-lats = 7 } } }]\nmeridian.http.port = 70000\n");
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream old = System.err;
        int code;
        try {
            System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
            code = dev.meridian.backup.cli.Main.run("serve", "--config", f.toString());
        } finally {
            System.setErr(old);
        }
        String printed = err.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(2, code, printed);
        assertEquals(1, printed.lines().count(), printed);
        assertTrue(printed.startsWith("error: unknown setting meridian.databases[0].retention.manual.keep-lats"), printed);
        assertTrue(printed.contains("did you mean meridian.databases[0].retention.manual.keep-last?"), printed);
        assertFalse(Files.exists(dir.resolve("orders")), "nothing was started or created");
    }

    // ---- meridian.state-dir (issue 10): local state outside the repository ----

    @Test
    void theStateDirDefaultsToVarStateAndResolvesLikeTheRepositoryPath() throws Exception {
        Path f = dir.resolve("state.conf");
        Files.writeString(f, "meridian { repository.path = \"%s\", databases = [] }\n".formatted(dir.resolve("repo")));
        assertEquals(Path.of("var/state").toAbsolutePath().normalize(), Settings.from(Settings.load(Optional.of(f))).stateDir());
        Files.writeString(f, "meridian { repository.path = \"%s\", state-dir = \"%s\", databases = [] }\n"
                .formatted(dir.resolve("repo"), dir.resolve("state")));
        assertEquals(dir.resolve("state"), Settings.from(Settings.load(Optional.of(f))).stateDir());
    }

    @Test
    void aStateDirOverlappingADatabaseOrEmptyIsRefused() throws Exception {
        BackupException e = refused("meridian { state-dir = \"%s\", databases = [{ name = orders, path = \"%s\" }] }\n"
                .formatted(dir.resolve("orders").resolve("state"), dir.resolve("orders")));
        assertTrue(e.getMessage().contains("meridian.state-dir") && e.getMessage().contains("overlaps database 'orders'"),
                e.getMessage());
        e = refused("meridian { state-dir = \"\", databases = [] }\n");
        assertTrue(e.getMessage().contains("meridian.state-dir is empty"), e.getMessage());
    }
}
