package dev.meridian.backup.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.repository.seal.Encryption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * meridian.repository.replicas: read with the primary's S3 defaults, and every bad replica refused at start with the
 * replica and key named (invariant 7: bad input changes nothing; a replica is only opened after the server started).
 */
class ReplicaSettingsTest {
    @TempDir
    Path dir;

    private static Settings settings(String hocon) {
        return Settings.from(ConfigFactory.parseString(hocon).withFallback(Settings.load(Optional.empty())).resolve());
    }

    private String refused(String hocon) {
        return assertThrows(BackupException.class, () -> settings(hocon)).getMessage();
    }

    @Test
    void replicasAreReadWithTheirS3SettingsAndPasswordFile() throws Exception {
        assertEquals(List.of(), settings("").replicas(), "none by default");
        assertEquals(Duration.ofMinutes(5), settings("").replicaInterval());
        Path pw = Files.writeString(dir.resolve("pw"), "secret\n");
        Settings s = settings("meridian.repository { path = \"" + dir.resolve("repo") + "\", s3.region = \"eu-west-1\","
                + " replica-interval = 30s, replicas = ["
                + "{ name = \"offsite\", url = \"s3://offsite-bucket/prod/\", s3 { endpoint = \"http://127.0.0.1:9000\","
                + " path-style = true, lock-ttl = 5s }, encryption = \"aes-256-gcm\", password-file = \"" + pw + "\" },"
                + "{ name = \"nas\", url = \"" + dir.resolve("nas") + "\" } ] }");
        assertEquals(Duration.ofSeconds(30), s.replicaInterval());
        Settings.Replica offsite = s.replicas().get(0);
        assertEquals("offsite", offsite.name());
        assertEquals("s3://offsite-bucket/prod", offsite.s3().orElseThrow().url());
        assertEquals("eu-west-1", offsite.s3().get().region(), "the primary's region unless the replica sets one");
        assertTrue(offsite.s3().get().pathStyle());
        assertEquals(Duration.ofSeconds(5), offsite.lockTtl());
        assertEquals(Encryption.AES_256_GCM, offsite.encryption());
        assertEquals(pw, offsite.password().file());
        assertTrue(offsite.password().environment().isEmpty(), "the primary's MERIDIAN_PASSWORD* never open a replica");
        Settings.Replica nas = s.replicas().get(1);
        assertEquals(dir.resolve("nas"), nas.directory());
        assertEquals(Encryption.NONE, nas.encryption());
        assertEquals(Duration.ofSeconds(60), nas.lockTtl());
    }

    @Test
    void badReplicasAreRefusedNamingTheReplicaAndTheKey() throws Exception {
        String repo = "meridian.repository.path = \"" + dir.resolve("repo") + "\"\n";
        String twice = refused(repo + "meridian.repository.replicas = [{ name = \"a\", url = \"/srv/x\" }, { name = \"a\", url = \"/srv/y\" }]");
        assertTrue(twice.contains("replica 'a' twice"), twice);
        String same = refused(repo + "meridian.repository.replicas = [{ name = \"a\", url = \"/srv/x\" }, { name = \"b\", url = \"/srv/x/\" }]");
        assertTrue(same.contains("replica 'b'") && same.contains("same repository as another replica"), same);
        String primary = refused(repo + "meridian.repository.replicas = [{ name = \"a\", url = \"" + dir.resolve("repo") + "\" }]");
        assertTrue(primary.contains("replica 'a'") && primary.contains("is the primary repository"), primary);
        String inside = refused(repo + "meridian.repository.replicas = [{ name = \"a\", url = \"" + dir.resolve("repo/sub") + "\" }]");
        assertTrue(inside.contains("overlaps the primary repository"), inside);
        String s3Primary = refused("meridian.repository { url = \"s3://prim-bucket/p\", s3.endpoint = \"http://127.0.0.1:9000\","
                + " replicas = [{ name = \"a\", url = \"s3://prim-bucket/p/\", s3.endpoint = \"http://127.0.0.1:9000\" }] }");
        assertTrue(s3Primary.contains("is the primary repository"), s3Primary);
        String name = refused(repo + "meridian.repository.replicas = [{ name = \"Off Site\", url = \"/srv/x\" }]");
        assertTrue(name.contains("meridian.repository.replicas[0].name 'Off Site' is not a replica name"), name);
        String url = refused(repo + "meridian.repository.replicas = [{ name = \"a\" }]");
        assertTrue(url.contains("replica 'a' has no url"), url);
        String bucket = refused(repo + "meridian.repository.replicas = [{ name = \"a\", url = \"s3://B_/x\" }]");
        assertTrue(bucket.contains("replica 'a'") && bucket.contains("not a valid S3 bucket name"), bucket);
        String mode = refused(repo + "meridian.repository.replicas = [{ name = \"a\", url = \"/srv/x\", encryption = \"rot13\" }]");
        assertTrue(mode.contains("replica 'a'") && mode.contains("encryption 'rot13' is unknown"), mode);
        String noPassword = refused(repo + "meridian.repository.replicas = [{ name = \"a\", url = \"/srv/x\", encryption = \"aes-256-gcm\" }]");
        assertTrue(noPassword.contains("replica 'a' has encryption = aes-256-gcm but no password-file"), noPassword);
        Path missing = dir.resolve("no-such-password");
        String unreadable = refused(repo + "meridian.repository.replicas = [{ name = \"a\", url = \"/srv/x\","
                + " encryption = \"aes-256-gcm\", password-file = \"" + missing + "\" }]");
        assertTrue(unreadable.contains("replica 'a': password-file " + missing + " is not a readable file"), unreadable);
        // An encrypted primary's replica must say its encryption: plaintext copies are never the silent default.
        String plain = refused(repo + "meridian.repository { encryption = \"aes-256-gcm\", password-file = \"" + missing
                + "\" }\nmeridian.repository.replicas = [{ name = \"nas\", url = \"/srv/x\" }]");
        assertTrue(plain.contains("replica 'nas' sets no encryption, but the primary repository is encrypted")
                && plain.contains("encryption = \"none\" to copy in plaintext on purpose"), plain);
        String ttl = refused(repo + "meridian.repository.replicas = [{ name = \"a\", url = \"s3://ok-bucket\", s3.lock-ttl = 1ms }]");
        assertTrue(ttl.contains("replica 'a': s3.lock-ttl"), ttl);
        String key = refused(repo + "meridian.repository.replicas = [{ name = \"a\", url = \"/srv/x\", pasword-file = \"/x\" }]");
        assertTrue(key.contains("meridian.repository.replicas[0].pasword-file") && key.contains("did you mean"), key);
        String interval = refused(repo + "meridian.repository.replica-interval = 10ms");
        assertTrue(interval.contains("meridian.repository.replica-interval"), interval);
    }
}
