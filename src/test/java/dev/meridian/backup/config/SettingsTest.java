package dev.meridian.backup.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.schedule.Schedule;
import java.nio.file.Files;
import java.nio.file.Path;
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
        "meridian.databases = [{name = a, path = x, retention { scheduled { keep-forever = 1 } }}]|unknown rule 'keep-forever'",
        "meridian.databases = [{name = a, path = x, retention { scheduled { keep-last = 0 } }}]|keep-last",
        "meridian.databases = [{name = a, path = x, retention { hourly { keep-last = 1 } }}]|unknown backup type",
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
}
