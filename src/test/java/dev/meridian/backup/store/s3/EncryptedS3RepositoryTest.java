package dev.meridian.backup.store.s3;

import static dev.meridian.backup.Plaintext.filesContaining;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.CliRun;
import dev.meridian.backup.Plaintext;
import dev.meridian.backup.TestEnv;
import dev.meridian.backup.model.Json;
import dev.meridian.backup.repository.RepositoryLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The REST/CLI flow once against an encrypted S3 repository (S3Proxy on 127.0.0.1, filesystem backend): backup,
 * verify, list through the server; list, verify, restore with {@code --repo s3://... --password-file}; no plaintext
 * in the bucket's objects on disk; a flipped byte in one object; a wrong password and a missing one change nothing.
 */
class EncryptedS3RepositoryTest {
    static final byte[] MARKER = "MERIDIAN-S3-PLAINTEXT-MARKER-32B".getBytes(StandardCharsets.US_ASCII);
    static final String PASSWORD = "s3-tr0ub4dor&3-not-in-any-output";
    static S3TestServer s3;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        s3 = S3TestServer.shared();
    }

    static String config(String url, Path passwordFile) {
        return "meridian.repository { url = \"" + url + "\", encryption = \"aes-256-gcm\", password-file = \"" + passwordFile
                + "\", s3 { endpoint = \"" + s3.endpoint() + "\", path-style = true, lock-ttl = 3s } }";
    }

    static String[] offline(String url, Path pw, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--repo", url, "--s3-endpoint", s3.endpoint(), "--password-file", pw.toString()));
        return all.toArray(String[]::new);
    }

    static Path prefixDir(String url) {
        return s3.bucketDir().resolve(url.substring(("s3://" + S3TestServer.BUCKET + "/").length()));
    }

    /** Every regular file under the prefix's backend directory: relative name to "size mtime". */
    static Map<String, String> bucketSnapshot(String url) throws Exception {
        Path base = prefixDir(url);
        Map<String, String> out = new TreeMap<>();
        if (!Files.isDirectory(base)) {
            return out;
        }
        try (Stream<Path> walk = Files.walk(base)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (Files.isRegularFile(p)) {
                    out.put(base.relativize(p).toString(), Files.size(p) + " " + Files.getLastModifiedTime(p).toMillis());
                }
            }
        }
        return out;
    }




    @Test
    void anEncryptedS3RepositoryRoundTripsHoldsNoPlaintextAndRefusesDamageAndWrongPasswords() throws Exception {
        String url = s3.newUrl();
        Path pw = dir.resolve("pw");
        Files.writeString(pw, PASSWORD + "\n");
        TestEnv env = TestEnv.start(dir.resolve("env"), List.of("shop"), config(url, pw));
        String id;
        Map<String, String> live;
        JsonNode manifest;
        try {
            Plaintext.writeMarkedValues(env, "shop", MARKER, 1500, 7);
            live = env.snapshot("shop");
            CliRun created = CliRun.of(S3RepositoryTest.args(env, "create", "--json"));
            assertEquals(0, created.code(), created.err());
            id = created.json().path("backup_id").asText();
            CliRun verified = CliRun.of(S3RepositoryTest.args(env, "verify", id, "--json"));
            assertEquals(0, verified.code(), verified.out() + verified.err());
            CliRun listed = CliRun.of(S3RepositoryTest.args(env, "list", "--json"));
            assertEquals(0, listed.code(), listed.err());
            assertEquals(id, listed.json().path("backups").get(0).path("backup_id").asText(), listed.out());
            manifest = Json.MAPPER.readTree(CliRun.of(S3RepositoryTest.args(env, "show", id, "--files", "--json")).out());
            assertFalse(filesContaining(env.dbPath("shop"), MARKER).isEmpty(), "control: the source database holds the marker");
        } finally {
            env.close();
        }
        assertFalse(bucketSnapshot(url).containsKey(RepositoryLock.KEY), "a clean stop deletes the lock object");

        // Offline, with the URL and the password file alone.
        CliRun list = CliRun.of(offline(url, pw, "list", "--json"));
        assertEquals(0, list.code(), list.err());
        assertEquals(id, list.json().path("backups").get(0).path("backup_id").asText(), list.out());
        CliRun verify = CliRun.of(offline(url, pw, "verify", id));
        assertEquals(0, verify.code(), verify.out() + verify.err());
        Path target = dir.resolve("restored");
        CliRun restore = CliRun.of(offline(url, pw, "restore", id, "--target", target.toString()));
        assertEquals(0, restore.code(), restore.err());
        assertEquals(live, TestEnv.readDirectory(target), "the restored database has the same files");
        assertFalse(filesContaining(target, MARKER).isEmpty(), "control: the restored files hold the marker in the clear");

        // (1) No plaintext in the bucket's objects on the backend's disk, nor the password.
        assertFalse(bucketSnapshot(url).isEmpty());
        assertEquals(List.of(), filesContaining(prefixDir(url), MARKER), "no plaintext of the database in the bucket");
        assertEquals(List.of(), filesContaining(prefixDir(url), PASSWORD.getBytes(StandardCharsets.UTF_8)));

        // (3) A wrong password: one line, nothing changed in the bucket.
        Map<String, String> before = bucketSnapshot(url);
        Path bad = dir.resolve("bad");
        Files.writeString(bad, "guess\n");
        for (String[] verb : List.of(new String[] {"list"}, new String[] {"verify", id},
                new String[] {"restore", id, "--target", dir.resolve("wrong").toString()})) {
            CliRun wrong = CliRun.of(offline(url, bad, verb));
            assertNotEquals(0, wrong.code(), wrong.out());
            assertTrue(wrong.err().startsWith("error: wrong password for repository") && !wrong.err().contains("guess"), wrong.err());
            assertEquals(1, wrong.err().strip().lines().count(), wrong.err());
        }
        assertFalse(Files.exists(dir.resolve("wrong")));
        assertEquals(before, bucketSnapshot(url), "a wrong password changes nothing in the bucket");

        // (4) A server with no password refuses in one line and writes nothing (no lock object).
        Path empty = dir.resolve("empty.conf");
        Files.writeString(empty, "meridian { http { host = \"127.0.0.1\", port = 0 }\n  repository.path = \"" + dir.resolve("local")
                + "\"\n  state-dir = \"" + dir.resolve("state4") + "\"\n  databases = []\n}\n"
                + config(url, pw).replace("password-file = \"" + pw + "\"", "password-file = \"\""));
        CliRun serve = CliRun.of("serve", "--config", empty.toString());
        assertEquals(1, serve.code(), serve.out() + serve.err());
        assertTrue(serve.err().startsWith("error: ") && serve.err().contains("no password was given"), serve.err());
        assertEquals(1, serve.err().strip().lines().count(), "one line, no stack trace: " + serve.err());
        assertEquals(before, bucketSnapshot(url), "a refused start writes nothing, no lock object");
        Files.writeString(empty, Files.readString(empty).replace("password-file = \"\"", "password-file = \"" + bad + "\""));
        CliRun wrongServe = CliRun.of("serve", "--config", empty.toString());
        assertEquals(1, wrongServe.code(), wrongServe.out() + wrongServe.err());
        assertTrue(wrongServe.err().startsWith("error: wrong password for repository") && !wrongServe.err().contains("guess"),
                wrongServe.err());
        assertEquals(1, wrongServe.err().strip().lines().count(), wrongServe.err());
        assertEquals(before, bucketSnapshot(url), "a server with a wrong password writes nothing, no lock object");

        // (2) One flipped byte in the largest object on the backend's disk.
        JsonNode victim = null;
        for (JsonNode f : manifest.path("files")) {
            if (victim == null || f.path("size").asLong() > victim.path("size").asLong()) {
                victim = f;
            }
        }
        String object = victim.path("object").asText();
        Path objectFile;
        try (Stream<Path> walk = Files.walk(prefixDir(url))) {
            objectFile = walk.filter(p -> Files.isRegularFile(p) && p.getFileName().toString().equals(object)).findFirst().orElseThrow();
        }
        TestEnv.flip(objectFile, Files.size(objectFile) / 2);
        CliRun damaged = CliRun.of(offline(url, pw, "verify", id));
        assertNotEquals(0, damaged.code(), damaged.out());
        assertTrue(damaged.out().contains("bad file " + victim.path("name").asText()) && damaged.out().contains("fails authentication"),
                damaged.out() + damaged.err());
        Path damagedTarget = dir.resolve("from-damaged");
        CliRun refused = CliRun.of(offline(url, pw, "restore", id, "--target", damagedTarget.toString()));
        assertNotEquals(0, refused.code(), refused.out());
        assertFalse(Files.exists(damagedTarget), "a refused restore creates no target");
    }

    /** init and the key verbs work on an S3 repository (they used to write a local directory named "s3:"). */
    @Test
    void initAndKeySlotsWorkOnAnS3RepositoryAndWriteNothingLocally() throws Exception {
        String url = s3.newUrl();
        Path pw = dir.resolve("pw");
        Files.writeString(pw, PASSWORD + "\n");
        Path second = dir.resolve("second");
        Files.writeString(second, "an-offline-second-password\n");
        String[] where = {"--repo", url, "--s3-endpoint", s3.endpoint()};
        CliRun init = CliRun.of(concat(new String[] {"init", "--encryption", "aes-256-gcm", "--password-file", pw.toString()}, where));
        assertEquals(0, init.code(), init.err());
        assertTrue(init.out().contains(url), init.out());
        assertTrue(Files.exists(prefixDir(url).resolve("config.json")), "the repository is in the bucket");
        assertFalse(Files.exists(Path.of("s3:")), "nothing local named after the URL");
        CliRun again = CliRun.of(concat(new String[] {"init", "--password-file", pw.toString()}, where));
        assertNotEquals(0, again.code());
        assertTrue(again.err().contains("already exists"), again.err());

        CliRun add = CliRun.of(concat(new String[] {"key", "add", "--password-file", pw.toString(), "--new-password-file",
                second.toString()}, where));
        assertEquals(0, add.code(), add.err());
        CliRun list = CliRun.of(concat(new String[] {"key", "list", "--password-file", second.toString()}, where));
        assertEquals(0, list.code(), list.err());
        assertEquals(2, list.out().strip().lines().count(), list.out());
        assertEquals(1, list.out().lines().filter(l -> l.startsWith("* ")).count(), "the second password opens its own slot");
        CliRun backups = CliRun.of(offline(url, second, "list", "--json"));
        assertEquals(0, backups.code(), backups.err());
        assertEquals(0, backups.json().path("total_count").asInt(), backups.out());
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
