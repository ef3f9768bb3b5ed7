package dev.meridian.backup.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.CliRun;
import dev.meridian.backup.TestEnv;
import dev.meridian.backup.model.Json;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI against a real server and, with --repo, against the repository directly; exit codes as documented. */
class CliTest {
    @TempDir
    static Path dir;
    static TestEnv env;

    @BeforeAll
    static void start() throws Exception {
        env = TestEnv.start(dir, List.of("shop"), "");
    }

    @AfterAll
    static void stop() throws Exception {
        env.close();
    }

    static CliRun cli(String... args) {
        return CliRun.of(args);
    }

    static String[] server(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--server");
        all.add(env.baseUrl());
        return all.toArray(String[]::new);
    }

    @Test
    void createListShowVerifyStatsDeleteThroughTheServer() throws Exception {
        CliRun created = cli(server("create", "--json", "-m", "from cli", "--tag", "nightly"));
        assertEquals(0, created.code(), created.err());
        String id = created.json().path("backup_id").asText();
        assertEquals("shop", created.json().path("database").asText(), "the only database is the default");

        CliRun list = cli(server("list", "--json", "--tag", "nightly"));
        assertEquals(id, list.json().path("backups").get(0).path("backup_id").asText());
        CliRun table = cli(server("list"));
        assertTrue(table.out().startsWith("ID  ") && table.out().contains(id) && table.out().contains("from cli"), table.out());

        CliRun show = cli(server("show", id, "--files"));
        assertEquals(0, show.code());
        assertTrue(show.out().contains("CURRENT") && show.out().contains("BLAKE3"), show.out());
        CliRun verify = cli(server("verify", id));
        assertEquals(0, verify.code(), verify.out() + verify.err());
        assertTrue(verify.out().startsWith("OK"), verify.out());
        CliRun deep = cli(server("verify", id, "--deep", "--json"));
        assertTrue(deep.code() == 0 && deep.json().path("deep").asBoolean(), deep.out() + deep.err());
        CliRun deepOffline = cli("verify", id, "--deep", "--repo", env.repository.toString(), "--json");
        assertTrue(deepOffline.json().path("valid").asBoolean() && deepOffline.json().path("deep").asBoolean(), deepOffline.out());
        CliRun stats = cli(server("stats"));
        assertTrue(stats.out().contains("TOTAL"), stats.out());

        CliRun noConfirm = cli(server("delete", id));
        assertEquals(CliException.USAGE, noConfirm.code());
        assertTrue(noConfirm.err().contains("--yes"), noConfirm.err());
        CliRun deleted = cli(server("delete", id, "--yes"));
        assertEquals(0, deleted.code(), deleted.err());
        assertEquals(CliException.USAGE, cli(server("show", id)).code(), "a deleted backup is an unknown id");
    }

    @Test
    void aCorruptedBackupMakesVerifyExitWithThreeAndNameTheFile() throws Exception {
        String id = cli(server("create", "--json")).json().path("backup_id").asText();
        JsonNode manifest = Json.MAPPER.readTree(cli(server("show", id, "--files", "--json")).out());
        JsonNode victim = null;
        for (JsonNode f : manifest.path("files")) {
            if (victim == null || f.path("size").asLong() > victim.path("size").asLong()) {
                victim = f;
            }
        }
        Path object = env.objectFile(victim.path("object").asText());
        try (RandomAccessFile raf = new RandomAccessFile(object.toFile(), "rw")) {
            raf.seek(raf.length() - 3);
            int b = raf.read();
            raf.seek(raf.length() - 3);
            raf.write(b ^ 0xff);
        }
        try {
            CliRun r = cli(server("verify", id));
            assertEquals(CliException.VERIFICATION_FAILED, r.code(), r.out());
            assertTrue(r.out().contains(victim.path("name").asText()), r.out());
            CliRun offline = cli("verify", id, "--repo", env.repository.toString(), "--json");
            assertEquals(CliException.VERIFICATION_FAILED, offline.code());
            assertFalse(offline.json().path("valid").asBoolean());
            // A restore that meets the damaged object stops before writing the target, and says so with exit 3.
            Path target = env.restoreRoot.resolve("from-damaged");
            CliRun restore = cli(server("restore", id, "--target", target.toString(), "--yes"));
            assertEquals(CliException.VERIFICATION_FAILED, restore.code(), restore.err());
            assertTrue(restore.err().contains("verification_failed"), restore.err());
            assertFalse(Files.exists(target));
            CliRun offlineRestore = cli("restore", id, "--repo", env.repository.toString(), "--target", target.toString());
            assertEquals(CliException.VERIFICATION_FAILED, offlineRestore.code(), offlineRestore.err());
            assertFalse(Files.exists(target));
        } finally {
            try (RandomAccessFile raf = new RandomAccessFile(object.toFile(), "rw")) {
                raf.seek(raf.length() - 3);
                int b = raf.read();
                raf.seek(raf.length() - 3);
                raf.write(b ^ 0xff);
            }
        }
    }

    @Test
    void disasterRecoveryWorksFromTheRepositoryAloneWhileTheServerRuns() throws Exception {
        env.write("shop", "dr", 2000, 200, 3);
        var atBackup = env.snapshot("shop");
        String id = cli(server("create", "--json")).json().path("backup_id").asText();
        CliRun list = cli("list", "--repo", env.repository.toString(), "--json");
        assertEquals(0, list.code(), list.err());
        assertTrue(list.out().contains(id));
        assertEquals(0, cli("stats", "--repo", env.repository.toString()).code());
        Path target = dir.resolve("recovered");
        CliRun restore = cli("restore", id, "--repo", env.repository.toString(), "--target", target.toString(), "--json");
        assertEquals(0, restore.code(), restore.err());
        assertEquals(atBackup, TestEnv.readDirectory(target));
        assertTrue(restore.json().path("file_count").asInt() > 0 && restore.json().path("bytes").asLong() > 0, restore.out());
        assertEquals(CliException.USAGE, cli("stats", "--repo", env.repository.toString(), "--database", "../x").code());
        // A database the repository holds no backup of is not found (exit 2), naming the ones it holds.
        for (String verb : List.of("list", "stats")) {
            CliRun unknown = cli(verb, "--repo", env.repository.toString(), "--database", "nosuch");
            assertEquals(CliException.USAGE, unknown.code(), verb + ": " + unknown.err());
            assertTrue(unknown.err().contains("holds no backup of database 'nosuch'; it holds backups of: shop"), unknown.err());
        }
        assertEquals(0, cli("list", "--repo", env.repository.toString(), "--database", "shop").code());
        CliRun again = cli("restore", id, "--repo", env.repository.toString(), "--target", target.toString());
        assertEquals(CliException.FAILURE, again.code(), "an existing, non-empty target is refused");
        CliRun noTarget = cli("restore", id, "--repo", env.repository.toString());
        assertEquals(CliException.USAGE, noTarget.code());
    }

    @Test
    void usageErrorsExitWithTwoAndAnUnreachableServerWithOne() {
        CliRun unknown = cli("list", "--bogus");
        assertEquals(2, unknown.code());
        CliRun badId = cli(server("show", "../etc/passwd"));
        assertEquals(2, badId.code());
        assertTrue(badId.err().contains("invalid backup id"), badId.err());
        CliRun down = cli("list", "--server", "http://127.0.0.1:9");
        assertEquals(1, down.code());
        assertTrue(down.err().contains("cannot reach the server"), down.err());
        // Naming something that does not exist is invalid input too (README, "Exit codes").
        CliRun unknownBackup = cli(server("show", "20260101T000000000Z-abcdef"));
        assertEquals(2, unknownBackup.code(), unknownBackup.err());
        CliRun unknownDatabase = cli(server("list", "no-such-database"));
        assertEquals(2, unknownDatabase.code(), unknownDatabase.err());
        CliRun missingRepo = cli("list", "--repo", dir.resolve("no-such-repo").toString());
        assertEquals(2, missingRepo.code());
        assertTrue(missingRepo.err().contains("no Meridian repository"), missingRepo.err());
        assertFalse(missingRepo.err().contains("Exception"), missingRepo.err());
    }

    @Test
    void everyVerbAnswersHelpWithItsOwnUsage() {
        for (String verb : List.of("serve", "create", "list", "show", "verify", "restore", "delete", "stats", "retention",
                "bench", "mcp")) {
            CliRun help = cli(verb, "--help");
            assertEquals(0, help.code(), verb + ": " + help.err());
            assertTrue(help.out().startsWith("Usage: meridian-backup " + verb), verb + ": " + help.out());
        }
        // Only the verbs that can work without a server offer --repo; the others refuse it with a reason.
        for (String verb : List.of("create", "delete", "retention")) {
            assertFalse(cli(verb, "--help").out().contains("--repo"), verb);
            CliRun refused = verb.equals("delete") ? cli(verb, "20260101T000000000Z-abcdef", "--repo", dir.toString())
                    : cli(verb, "--repo", dir.toString());
            assertEquals(2, refused.code(), verb + ": " + refused.err());
            assertTrue(refused.err().contains(verb + " needs the server") && refused.err().contains("drop --repo"), refused.err());
        }
        for (String verb : List.of("list", "show", "stats", "verify", "restore", "unlock")) {
            assertTrue(cli(verb, "--help").out().contains("--repo"), verb);
        }
    }
}
