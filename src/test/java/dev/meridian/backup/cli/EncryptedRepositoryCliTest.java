package dev.meridian.backup.cli;

import static dev.meridian.backup.Plaintext.filesContaining;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.CliRun;
import dev.meridian.backup.Plaintext;
import dev.meridian.backup.TestEnv;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** An encrypted repository end to end: the server, tampering, offline recovery with the password alone, key slots. */
class EncryptedRepositoryCliTest {
    static final byte[] MARKER = "MERIDIAN-PLAINTEXT-MARKER-32BYTE".getBytes(StandardCharsets.US_ASCII);
    static final String PASSWORD = "tr0ub4dor&3-not-in-any-output";

    @TempDir
    Path dir;

    private static CliRun cli(String... args) {
        return CliRun.of(args);
    }

    private static String[] server(TestEnv env, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--server");
        all.add(env.baseUrl());
        return all.toArray(String[]::new);
    }

    private Path passwordFile(String name, String password) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, password + "\n");
        return p;
    }




    @ParameterizedTest(name = "compression {0}")
    @ValueSource(strings = {"off", "auto"})
    void anEncryptedRepositoryRoundTripsResistsTamperingAndRecoversWithThePasswordAlone(String compression) throws Exception {
        Path pw = passwordFile("pw", PASSWORD);
        TestEnv env = TestEnv.start(dir, List.of("shop"), "meridian.repository { encryption = \"aes-256-gcm\", password-file = \""
                + pw + "\", compression = \"" + compression + "\" }");
        try {
            Plaintext.writeMarkedValues(env, "shop", MARKER, 2000, 3);
            Map<String, String> live = env.snapshot("shop");
            CliRun created = cli(server(env, "create", "--json"));
            assertEquals(0, created.code(), created.err());
            String id = created.json().path("backup_id").asText();
            CliRun verified = cli(server(env, "verify", id));
            assertEquals(0, verified.code(), verified.out() + verified.err());

            Path target = env.restoreRoot.resolve("copy");
            CliRun restored = cli(server(env, "restore", id, "--target", target.toString(), "--yes"));
            assertEquals(0, restored.code(), restored.err());
            assertEquals(live, TestEnv.readDirectory(target), "restore through the server gives back the database");
            assertFalse(filesContaining(target, MARKER).isEmpty(), "control: the backed-up files hold the marker in the clear");
            assertEquals(List.of(), filesContaining(env.repository, MARKER), "no plaintext of the database in the repository");
            assertEquals(List.of(), filesContaining(env.repository, PASSWORD.getBytes(StandardCharsets.UTF_8)));
            TestEnv.Reply metrics = env.request("GET", "/metrics", null);
            assertEquals(200, metrics.status());
            assertFalse(metrics.raw().body().contains(PASSWORD), "the password is not in /metrics");

            // Offline recovery: the repository and the password file are all it takes.
            String repo = env.repository.toString();
            CliRun list = cli("list", "--repo", repo, "--password-file", pw.toString(), "--json");
            assertEquals(id, list.json().path("backups").get(0).path("backup_id").asText(), list.err());
            assertEquals(0, cli("verify", id, "--repo", repo, "--password-file", pw.toString()).code());
            Path offlineTarget = dir.resolve("offline-copy");
            CliRun offline = cli("restore", id, "--repo", repo, "--password-file", pw.toString(), "--target", offlineTarget.toString());
            assertEquals(0, offline.code(), offline.err());
            assertEquals(live, TestEnv.readDirectory(offlineTarget));

            CliRun missing = cli("list", "--repo", repo);
            assertEquals(CliException.FAILURE, missing.code());
            assertEquals(1, missing.err().strip().lines().count(), missing.err());
            assertTrue(missing.err().contains("is encrypted and no password was given") && missing.err().contains("--password-file")
                    && missing.err().contains("MERIDIAN_PASSWORD_FILE"), missing.err());
            CliRun wrong = cli("list", "--repo", repo, "--password-file", passwordFile("bad", "guess").toString());
            assertEquals(CliException.FAILURE, wrong.code());
            assertTrue(wrong.err().startsWith("error: wrong password for repository") && !wrong.err().contains("guess"), wrong.err());

            // One flipped byte in the largest object: verify names the file, restores refuse before writing the target.
            JsonNode manifest = Json.MAPPER.readTree(cli(server(env, "show", id, "--files", "--json")).out());
            JsonNode victim = null;
            for (JsonNode f : manifest.path("files")) {
                if (victim == null || f.path("size").asLong() > victim.path("size").asLong()) {
                    victim = f;
                }
            }
            assertFalse(victim.path("object").asText().equals(victim.path("blake3").asText()), "objects are named by a keyed hash");
            Path object = env.objectFile(victim.path("object").asText());
            TestEnv.flip(object, Files.size(object) / 2);
            CliRun bad = cli(server(env, "verify", id));
            assertEquals(CliException.VERIFICATION_FAILED, bad.code(), bad.out());
            assertTrue(bad.out().contains("bad file " + victim.path("name").asText()) && bad.out().contains("fails authentication"),
                    bad.out());
            Path damagedTarget = env.restoreRoot.resolve("from-damaged");
            assertEquals(CliException.VERIFICATION_FAILED, cli(server(env, "restore", id, "--target", damagedTarget.toString(), "--yes")).code());
            assertFalse(Files.exists(damagedTarget));
            assertEquals(CliException.VERIFICATION_FAILED, cli("restore", id, "--repo", repo, "--password-file", pw.toString(),
                    "--target", damagedTarget.toString()).code());
            assertFalse(Files.exists(damagedTarget));
            TestEnv.flip(object, Files.size(object) / 2);

            // The repository keeps its mode: a configuration asking for none is refused at start.
            env.stopServer();
            Files.writeString(env.configFile, Files.readString(env.configFile).replace("encryption = \"aes-256-gcm\"", "encryption = \"none\""));
            BackupException refused = assertThrows(BackupException.class, env::startServer);
            assertTrue(refused.getMessage().contains("was created with encryption aes-256-gcm but meridian.repository.encryption is none"),
                    refused.getMessage());
        } finally {
            env.close();
        }
    }

    @Test
    void theServerRefusesAWrongPasswordWithoutTouchingTheRepository() throws Exception {
        Path pw = passwordFile("pw", PASSWORD);
        String conf = "meridian.repository { encryption = \"aes-256-gcm\", password-file = \"" + pw + "\" }";
        TestEnv env = TestEnv.start(dir, List.of("shop"), conf);
        env.close();
        Files.writeString(pw, "not the password\n");
        BackupException e = assertThrows(BackupException.class, env::startServer);
        assertTrue(e.getMessage().startsWith("wrong password for repository") && e.getMessage().contains("meridian.repository.password-file"),
                e.getMessage());
        Files.writeString(env.configFile, Files.readString(env.configFile).replace("password-file = \"" + pw + "\"", "password-file = \"\""));
        BackupException none = assertThrows(BackupException.class, env::startServer);
        assertTrue(none.getMessage().contains("no password was given") && none.getMessage().contains("MERIDIAN_PASSWORD"), none.getMessage());
    }

    @Test
    void initAndKeySlots() throws Exception {
        String repo = dir.resolve("repo").toString();
        Path one = passwordFile("one", "first password");
        Path two = passwordFile("two", "second password");
        Path three = passwordFile("three", "third password");

        CliRun noPassword = cli("init", "--repo", repo, "--encryption", "aes-256-gcm");
        assertEquals(CliException.FAILURE, noPassword.code());
        assertTrue(noPassword.err().contains("MERIDIAN_PASSWORD"), noPassword.err());
        assertFalse(Files.exists(Path.of(repo)), "nothing was created");

        CliRun init = cli("init", "--repo", repo, "--encryption", "aes-256-gcm", "--password-file", one.toString());
        assertEquals(0, init.code(), init.err());
        assertTrue(init.out().contains("encryption aes-256-gcm"), init.out());
        assertEquals(CliException.FAILURE, cli("init", "--repo", repo, "--password-file", one.toString()).code(), "not twice");

        CliRun listed = cli("key", "list", "--repo", repo, "--password-file", one.toString());
        assertEquals(0, listed.code(), listed.err());
        assertTrue(listed.out().startsWith("* ") && listed.out().contains("argon2id m=65536KiB t=3 p=1"), listed.out());
        String firstSlot = listed.out().substring(2, 18);

        assertEquals(0, cli("key", "add", "--repo", repo, "--password-file", one.toString(), "--new-password-file", two.toString()).code());
        CliRun viaTwo = cli("key", "list", "--repo", repo, "--password-file", two.toString());
        assertEquals(2, viaTwo.out().lines().count(), viaTwo.out());
        String secondSlot = viaTwo.out().lines().filter(l -> l.startsWith("* ")).findFirst().orElseThrow().substring(2, 18);

        assertEquals(0, cli("key", "passwd", "--repo", repo, "--password-file", two.toString(), "--new-password-file", three.toString()).code());
        assertEquals(CliException.FAILURE, cli("key", "list", "--repo", repo, "--password-file", two.toString()).code(), "the old password is gone");
        assertTrue(cli("key", "list", "--repo", repo, "--password-file", three.toString()).out().contains("* " + secondSlot));

        assertEquals(0, cli("key", "remove", firstSlot, "--repo", repo, "--password-file", three.toString()).code());
        assertEquals(CliException.FAILURE, cli("key", "list", "--repo", repo, "--password-file", one.toString()).code());
        CliRun last = cli("key", "remove", secondSlot, "--repo", repo, "--password-file", three.toString());
        assertEquals(CliException.FAILURE, last.code());
        assertTrue(last.err().contains("last one"), last.err());
        assertEquals(0, cli("list", "--repo", repo, "--password-file", three.toString()).code());
    }
}
