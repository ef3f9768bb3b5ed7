package dev.meridian.backup.cli;

import static dev.meridian.backup.Plaintext.filesContaining;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.CliRun;
import dev.meridian.backup.TestEnv;
import dev.meridian.backup.store.s3.S3TestServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.FlushOptions;
import org.rocksdb.WriteOptions;

/** {@code copy}: replicas of a repository, disaster recovery from a replica alone, re-sealing, S3, bad input. */
class CopyCommandTest {
    static final byte[] MARKER = "MERIDIAN-COPY-PLAINTEXT-MARKER-1".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    private static CliRun cli(String... args) {
        return CliRun.of(args);
    }

    private static String create(TestEnv env) throws Exception {
        CliRun created = cli("create", "--json", "--server", env.baseUrl());
        assertEquals(0, created.code(), created.err());
        return created.json().path("backup_id").asText();
    }

    private static List<Path> files(Path root) throws Exception {
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(Files::isRegularFile).toList();
        }
    }

    private static int objects(Path repo) throws Exception {
        Path o = repo.resolve("objects");
        return Files.isDirectory(o) ? files(o).size() : 0;
    }

    private static TreeSet<String> objectNames(Path repo) throws Exception {
        TreeSet<String> names = new TreeSet<>();
        files(repo.resolve("objects")).forEach(p -> names.add(p.getFileName().toString()));
        return names;
    }



    private Path passwordFile(String name, String password) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, password + "\n");
        return p;
    }

    private static void assertOneLineError(CliRun r, String... fragments) {
        assertNotEquals(0, r.code(), r.out() + r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("error: "), r.err());
        for (String f : fragments) {
            assertTrue(r.err().contains(f), "expected '" + f + "' in: " + r.err());
        }
    }

    @Test
    void aReplicaGetsOnlyMissingObjectsAndAloneRestoresTheDatabase() throws Exception {
        TestEnv env = TestEnv.start(dir.resolve("env"), List.of("shop"), "");
        Path replica = dir.resolve("replica");
        String first;
        String second;
        Map<String, String> afterFirst;
        Map<String, String> afterSecond;
        try {
            env.write("shop", "a-", 3000, 200, 1);
            first = create(env);
            afterFirst = env.snapshot("shop");
            env.write("shop", "b-", 500, 200, 2);
            second = create(env);
            afterSecond = env.snapshot("shop");

            // The server keeps running and holding the source's lock: the source is only read.
            CliRun copy = cli("copy", "--from", env.repository.toString(), "--to", replica.toString(), "--json");
            assertEquals(0, copy.code(), copy.err());
            JsonNode r = copy.json();
            assertEquals(2, r.path("copied").asInt(), copy.out());
            assertEquals(0, r.path("skipped").asInt());
            JsonNode b1 = r.path("backups").get(0);
            JsonNode b2 = r.path("backups").get(1);
            assertEquals(first, b1.path("backup_id").asText(), "oldest first");
            assertEquals(second, b2.path("backup_id").asText());
            assertTrue(b1.path("objects_transferred").asInt() > 0 && b1.path("objects_reused").asInt() == 0, copy.out());
            assertTrue(b2.path("objects_reused").asInt() > 0, "the second backup reuses the first's objects: " + copy.out());
            assertTrue(b2.path("objects_transferred").asInt() < b1.path("objects_transferred").asInt(), copy.out());
            assertEquals(objects(replica), r.path("objects_transferred").asInt(), "every object in the replica was transferred once");
            assertEquals(objectNames(env.repository), objectNames(replica), "plaintext to plaintext: same object names");

            CliRun again = cli("copy", "--from", env.repository.toString(), "--to", replica.toString());
            assertEquals(0, again.code(), again.err());
            assertTrue(again.out().contains("0 backups copied, 2 skipped; 0 objects transferred"), again.out());

            // Same backups, same metadata.
            for (String id : List.of(first, second)) {
                JsonNode src = cli("show", id, "--repo", env.repository.toString(), "--json").json();
                JsonNode dst = cli("show", id, "--repo", replica.toString(), "--json").json();
                for (String field : List.of("type", "created_at", "completed_at", "sequence_number", "parent", "tags", "size_bytes", "file_count")) {
                    assertEquals(src.path(field), dst.path(field), field + " of " + id);
                }
            }

            // The live server holds the source's lock: copying into it is refused, naming what to do.
            CliRun locked = cli("copy", "--from", replica.toString(), "--to", env.repository.toString());
            assertOneLineError(locked, "the destination", "stop the server");
        } finally {
            env.close();
        }

        // Disaster: the live repository is gone; the replica alone restores and verifies.
        TestEnv.deleteTree(env.repository);
        assertFalse(Files.exists(env.repository));
        for (String id : List.of(first, second)) {
            CliRun verify = cli("verify", id, "--repo", replica.toString());
            assertEquals(0, verify.code(), verify.out() + verify.err());
        }
        Path target = dir.resolve("recovered");
        CliRun restore = cli("restore", second, "--repo", replica.toString(), "--target", target.toString());
        assertEquals(0, restore.code(), restore.err());
        assertEquals(afterSecond, TestEnv.readDirectory(target));
        Path older = dir.resolve("recovered-first");
        assertEquals(0, cli("restore", first, "--repo", replica.toString(), "--target", older.toString()).code());
        assertEquals(afterFirst, TestEnv.readDirectory(older));
    }

    @Test
    void copiesReSealBetweenModesAndKeysAndReachS3() throws Exception {
        TestEnv env = TestEnv.start(dir.resolve("env"), List.of("shop"), "");
        String id;
        Map<String, String> live;
        try {
            TestEnv.await(env.server.engine().withDatabase("shop", db -> {
                SplittableRandom r = new SplittableRandom(5);
                try (WriteOptions wo = new WriteOptions(); FlushOptions fo = new FlushOptions().setWaitForFlush(true)) {
                    for (int i = 0; i < 1500; i++) {
                        byte[] v = new byte[4 * MARKER.length + 64];
                        r.nextBytes(v);
                        for (int k = 0; k < 4; k++) {
                            System.arraycopy(MARKER, 0, v, k * MARKER.length, MARKER.length);
                        }
                        db.handle().put(wo, String.format("marked-%06d", i).getBytes(StandardCharsets.UTF_8), v);
                    }
                    db.handle().flush(fo);
                } catch (org.rocksdb.RocksDBException e) {
                    throw new IllegalStateException(e);
                }
                return null;
            }));
            id = create(env);
            live = env.snapshot("shop");
        } finally {
            env.close();
        }
        String plain = env.repository.toString();
        assertFalse(filesContaining(env.repository, MARKER).isEmpty(), "control: the plaintext repository holds the marker");
        Path pwA = passwordFile("pwA", "password-of-A");
        Path pwB = passwordFile("pwB", "password-of-B");
        Path encA = dir.resolve("encA");
        Path encB = dir.resolve("encB");

        // plaintext -> encrypted (created by the copy)
        CliRun toA = cli("copy", "--from", plain, "--to", encA.toString(), "--to-encryption", "aes-256-gcm",
                "--to-password-file", pwA.toString());
        assertEquals(0, toA.code(), toA.err());
        assertTrue(toA.out().contains("1 backup copied"), toA.out());
        assertEquals(List.of(), filesContaining(encA, MARKER), "no plaintext in the encrypted replica");
        assertTrue(java.util.Collections.disjoint(objectNames(env.repository), objectNames(encA)), "keyed object names");

        // encrypted A -> encrypted B (a different master key)
        assertEquals(0, cli("init", "--repo", encB.toString(), "--encryption", "aes-256-gcm", "--password-file", pwB.toString()).code());
        CliRun toB = cli("copy", "--from", encA.toString(), "--to", encB.toString(), "--from-password-file", pwA.toString(),
                "--to-password-file", pwB.toString(), "--json");
        assertEquals(0, toB.code(), toB.err());
        assertEquals(objects(encB), toB.json().path("objects_transferred").asInt());
        assertEquals(List.of(), filesContaining(encB, MARKER));
        assertTrue(java.util.Collections.disjoint(objectNames(encA), objectNames(encB)), "B names objects with its own key");

        for (Path[] side : new Path[][] {{encA, pwA}, {encB, pwB}}) {
            CliRun verify = cli("verify", id, "--repo", side[0].toString(), "--password-file", side[1].toString());
            assertEquals(0, verify.code(), verify.out() + verify.err());
            Path target = dir.resolve("restored-" + side[0].getFileName());
            CliRun restore = cli("restore", id, "--repo", side[0].toString(), "--password-file", side[1].toString(),
                    "--target", target.toString());
            assertEquals(0, restore.code(), restore.err());
            assertEquals(live, TestEnv.readDirectory(target));
        }
        CliRun wrongKey = cli("verify", id, "--repo", encB.toString(), "--password-file", pwA.toString());
        assertNotEquals(0, wrongKey.code(), "B's key slots do not open with A's password");

        // encrypted -> S3 (plaintext there), then restore from the bucket
        S3TestServer s3 = S3TestServer.shared();
        String url = s3.newUrl();
        CliRun toS3 = cli("copy", "--from", encA.toString(), "--from-password-file", pwA.toString(), "--to", url,
                "--s3-endpoint", s3.endpoint(), "--json");
        assertEquals(0, toS3.code(), toS3.err());
        assertEquals(1, toS3.json().path("copied").asInt(), toS3.out());
        CliRun againS3 = cli("copy", "--from", encA.toString(), "--from-password-file", pwA.toString(), "--to", url,
                "--s3-endpoint", s3.endpoint(), "--json");
        assertEquals(0, againS3.code(), againS3.err());
        assertEquals(1, againS3.json().path("skipped").asInt(), againS3.out());
        assertEquals(0, againS3.json().path("objects_transferred").asInt(), againS3.out());
        Path fromS3 = dir.resolve("restored-s3");
        CliRun restore = cli("restore", id, "--repo", url, "--s3-endpoint", s3.endpoint(), "--target", fromS3.toString());
        assertEquals(0, restore.code(), restore.err());
        assertEquals(live, TestEnv.readDirectory(fromS3));
        CliRun lockFree = cli("unlock", "--repo", url, "--s3-endpoint", s3.endpoint());
        assertTrue(lockFree.out().contains("is not locked"), "the copy released the destination's lock: " + lockFree.out() + lockFree.err());

        // A damaged source object: the copy stops naming the file, and the backup is not published in the destination.
        JsonNode manifest = cli("show", id, "--files", "--repo", plain, "--json").json();
        JsonNode victim = null;
        for (JsonNode f : manifest.path("files")) {
            if (victim == null || f.path("size").asLong() > victim.path("size").asLong()) {
                victim = f;
            }
        }
        String hash = victim.path("object").asText();
        Path object = env.repository.resolve("objects").resolve(hash.substring(0, 2)).resolve(hash);
        TestEnv.flip(object, Files.size(object) / 2);
        Path tampered = dir.resolve("tampered");
        CliRun damaged = cli("copy", "--from", plain, "--to", tampered.toString());
        assertEquals(CliException.VERIFICATION_FAILED, damaged.code(), damaged.out() + damaged.err());
        assertOneLineError(damaged, "file " + victim.path("name").asText() + " of backup " + id, "nothing was published");
        CliRun listed = cli("list", "--repo", tampered.toString(), "--json");
        assertEquals(0, listed.json().path("backups").size(), listed.out());
        TestEnv.flip(object, Files.size(object) / 2);

        // Bad input: one line, nothing changed.
        Path fresh = dir.resolve("fresh");
        assertOneLineError(cli("copy", "--from", plain, "--to", fresh.toString(), "20200101T000000000Z-abcdef"), "not in the source");
        assertFalse(Files.exists(fresh));
        assertOneLineError(cli("copy", "--from", plain, "--to", plain), "same repository");
        assertOneLineError(cli("copy", "--from", encA.toString(), "--to", fresh.toString()), "the source", "no password was given",
                "--from-password-file");
        assertFalse(Files.exists(fresh));
        int before = objects(encB);
        // Each side's message names that side's own ways to give a password, never another command's.
        assertOneLineError(cli("copy", "--from", plain, "--to", encB.toString()), "the destination",
                "pass --to-password-file FILE, or set MERIDIAN_TO_PASSWORD_FILE or MERIDIAN_TO_PASSWORD");
        assertEquals(before, objects(encB));
        Path aFile = dir.resolve("a-file");
        Files.writeString(aFile, "not a directory");
        assertOneLineError(cli("copy", "--from", plain, "--to", aFile.resolve("repo").toString()), "the destination",
                "pass --to a directory");
        assertOneLineError(cli("copy", "--from", dir.resolve("nothing").toString(), "--to", fresh.toString()), "no Meridian repository");
        assertFalse(Files.exists(fresh));
    }
}
