package dev.meridian.backup.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.store.s3.S3Location;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** meridian.repository.url: a directory or s3://bucket/prefix, over path; conflicts and bad URLs refused with the key named. */
class RepositoryUrlSettingsTest {
    private static Settings settings(String hocon) {
        return Settings.from(ConfigFactory.parseString(hocon).withFallback(Settings.load(Optional.empty())).resolve());
    }

    @Test
    void anS3UrlIsTheRepositoryAndPathStaysTheLocalWorkingDirectory() {
        Settings s = settings("meridian.repository { url = \"s3://backups-1/site/a/\", path = \"/srv/meridian\","
                + " s3 { endpoint = \"http://127.0.0.1:9000\", path-style = true } }");
        S3Location loc = s.s3Repository().orElseThrow();
        assertEquals("backups-1", loc.bucket());
        assertEquals("site/a/", loc.prefix());
        assertEquals("s3://backups-1/site/a", loc.url());
        assertTrue(loc.pathStyle());
        assertEquals(Path.of("/srv/meridian"), s.repositoryPath());
        assertEquals(java.time.Duration.ofSeconds(60), s.s3LockTtl());
    }

    @Test
    void aDirectoryUrlTakesPrecedenceAndTheDefaultStaysLocal() {
        assertEquals(Path.of("/srv/repo"), settings("meridian.repository.url = \"/srv/repo\"").repositoryPath());
        assertEquals(Path.of("/srv/repo"), settings("meridian.repository { url = \"/srv/repo\", path = \"/srv/repo\" }").repositoryPath());
        assertEquals(Optional.empty(), settings("meridian.repository.url = \"/srv/repo\"").s3Repository());
        assertEquals(Optional.empty(), settings("").s3Repository());
    }

    @Test
    void conflictsAndMalformedValuesAreRefusedNamingTheKey() {
        BackupException both = assertThrows(BackupException.class,
                () -> settings("meridian.repository { url = \"/srv/a\", path = \"/srv/b\" }"));
        assertTrue(both.getMessage().contains("meridian.repository.url is /srv/a and meridian.repository.path is /srv/b"),
                both.getMessage());
        BackupException bucket = assertThrows(BackupException.class, () -> settings("meridian.repository.url = \"s3://Bad_Bucket/x\""));
        assertTrue(bucket.getMessage().contains("not a valid S3 bucket name"), bucket.getMessage());
        BackupException prefix = assertThrows(BackupException.class, () -> settings("meridian.repository.url = \"s3://ok-bucket/../x\""));
        assertTrue(prefix.getMessage().contains("prefix '../x'"), prefix.getMessage());
        BackupException endpoint = assertThrows(BackupException.class,
                () -> settings("meridian.repository { url = \"s3://ok-bucket\", s3.endpoint = \"127.0.0.1:9000\" }"));
        assertTrue(endpoint.getMessage().contains("meridian.repository.s3.endpoint"), endpoint.getMessage());
        BackupException ttl = assertThrows(BackupException.class,
                () -> settings("meridian.repository { url = \"s3://ok-bucket\", s3.lock-ttl = 10ms }"));
        assertTrue(ttl.getMessage().contains("meridian.repository.s3.lock-ttl"), ttl.getMessage());
        BackupException unknown = assertThrows(BackupException.class, () -> settings("meridian.repository.s3.secret-key = x"));
        assertTrue(unknown.getMessage().contains("meridian.repository.s3.secret-key"), unknown.getMessage());
    }
}
