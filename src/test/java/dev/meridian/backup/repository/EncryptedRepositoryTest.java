package dev.meridian.backup.repository;

import static dev.meridian.backup.Plaintext.contains;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.model.FileEntry;
import dev.meridian.backup.model.Hash;
import dev.meridian.backup.model.Manifest;
import dev.meridian.backup.model.Progress;
import dev.meridian.backup.repository.seal.Encryption;
import dev.meridian.backup.repository.seal.Password;
import dev.meridian.backup.store.file.FileBlobStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Encryption at rest at the repository level: sealing, keyed names, tampering, passwords, the mode kept. */
class EncryptedRepositoryTest {
    static final byte[] MARKER = "MERIDIAN-PLAINTEXT-MARKER-32BYTE".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    private Path passwordFile(String name, String password) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, password + "\n");
        return p;
    }

    private Password.Source source(Path file) {
        return new Password.Source(file, "--password-file", Map.of());
    }

    private Repository open(Path repo, String compression, Path password) throws IOException {
        return Repository.openFile(repo, Compression.parse(compression), IoThrottle.UNLIMITED, Encryption.AES_256_GCM, source(password));
    }

    /** 3.5 MiB: four frames, the last one short; each 1 KiB holds the marker, the rest compressible text. */
    private Path data(String name) throws IOException {
        byte[] b = new byte[3 * ObjectCodec.BLOCK_SIZE + ObjectCodec.BLOCK_SIZE / 2];
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) ('a' + r.nextInt(4));
        }
        for (int off = 0; off + MARKER.length <= b.length; off += 1024) {
            System.arraycopy(MARKER, 0, b, off, MARKER.length);
        }
        Path p = dir.resolve(name);
        Files.write(p, b);
        return p;
    }

    private static Manifest manifest(String db, List<FileEntry> files) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        return new Manifest(Manifest.FORMAT, BackupId.generate(now, new SplittableRandom()), db, BackupType.MANUAL, "",
                List.of(), now, now, 0, 0, 1, null, null, files.stream().mapToLong(FileEntry::size).sum(), 0, files, null);
    }

    private static byte[] read(Repository repo, FileEntry f) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        repo.readFile(f, Channels.newChannel(out), Progress.NONE, 0, f.size());
        return out.toByteArray();
    }


    /** Every regular file under {@code root} (minus the lock) with its bytes, to show nothing changed. */
    private static Map<String, String> snapshot(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(p) && !p.startsWith(root.resolve("locks"))) {
                    out.put(root.relativize(p).toString(), java.util.HexFormat.of().formatHex(
                            dev.meridian.backup.hash.Blake3.hash(Files.readAllBytes(p))) + Files.getLastModifiedTime(p));
                }
            }
        }
        return out;
    }

    @ParameterizedTest(name = "compression {0}")
    @ValueSource(strings = {"off", "auto"})
    void roundTripIsSealedAndNamedByTheKeyedHash(String compression) throws Exception {
        Path repoDir = dir.resolve("repo");
        Path pw = passwordFile("pw", "correct horse");
        Path file = data("f.bin");
        FileEntry entry;
        try (Repository repo = open(repoDir, compression, pw); Repository.Ingest ingest = repo.beginIngest("t")) {
            entry = ingest.store(file, "000001.sst", Progress.NONE, 0, Files.size(file)).entry();
            ingest.publish(manifest("orders", List.of(entry)));
            Path empty = dir.resolve("empty");
            Files.write(empty, new byte[0]);
            FileEntry none = ingest.store(empty, "LOG", Progress.NONE, 0, 0).entry();
            assertEquals(0, read(repo, none).length, "an empty file is one empty authenticated frame");
            assertNotEquals(entry.blake3(), entry.object(), "the object's name is not the content hash");
            assertEquals(Hash.of(repo.keys().orElseThrow().newNameHasher()
                    .update(java.util.HexFormat.of().parseHex(entry.blake3().hex())).digest()), entry.object(),
                    "the name is BLAKE3 keyed with the name key over the content's Blake3");
            assertArrayEquals(Files.readAllBytes(file), read(repo, entry));
        }
        try (Repository again = open(repoDir, compression, pw)) {
            assertEquals(1, again.catalog().size(), "the sealed manifest reads back");
            assertArrayEquals(Files.readAllBytes(file), read(again, entry));
        }
        try (Stream<Path> files = Files.walk(repoDir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(p)) {
                    byte[] b = Files.readAllBytes(p);
                    assertFalse(contains(b, MARKER), "plaintext in " + p);
                    assertFalse(contains(b, "orders".getBytes(StandardCharsets.US_ASCII)) && p.toString().endsWith(".json")
                            && !p.getFileName().toString().startsWith("config") && !p.startsWith(repoDir.resolve("keys"))
                            && !p.startsWith(repoDir.resolve("manifests")), "manifest content in " + p);
                }
            }
        }
    }

    @ParameterizedTest(name = "compression {0}")
    @ValueSource(strings = {"off", "auto"})
    void aFlippedByteATruncationOrSwappedFramesFailAuthentication(String compression) throws Exception {
        Path repoDir = dir.resolve("repo");
        Path pw = passwordFile("pw", "pw");
        Path file = data("f.bin");
        try (Repository repo = open(repoDir, compression, pw); Repository.Ingest ingest = repo.beginIngest("t")) {
            FileEntry entry = ingest.store(file, "000001.sst", Progress.NONE, 0, Files.size(file)).entry();
            Path object = repoDir.resolve(Repository.objectKey(entry.object()));
            byte[] good = Files.readAllBytes(object);

            try (RandomAccessFile raf = new RandomAccessFile(object.toFile(), "rw")) {
                raf.seek(good.length / 2);
                int b = raf.read();
                raf.seek(good.length / 2);
                raf.write(b ^ 1);
            }
            CorruptObjectException flipped = assertThrows(CorruptObjectException.class, () -> read(repo, entry));
            assertTrue(flipped.getMessage().contains("fails authentication"), flipped.getMessage());

            Files.write(object, java.util.Arrays.copyOf(good, good.length - 100));
            assertThrows(CorruptObjectException.class, () -> read(repo, entry), "truncated");

            if (compression.equals("off")) {
                // Raw frames are all 1 MiB + tag: swapping the first two keeps every length right, only the nonces differ.
                int frame = ObjectCodec.BLOCK_SIZE + 16;
                int start = ObjectHeader.SIZE + 12;
                byte[] swapped = good.clone();
                System.arraycopy(good, start, swapped, start + frame, frame);
                System.arraycopy(good, start + frame, swapped, start, frame);
                Files.write(object, swapped);
                CorruptObjectException reordered = assertThrows(CorruptObjectException.class, () -> read(repo, entry));
                assertTrue(reordered.getMessage().contains("frame 0"), reordered.getMessage());
            }
            Files.write(object, good);
            assertArrayEquals(Files.readAllBytes(file), read(repo, entry), "the original bytes still open");
        }
    }

    @Test
    void aManifestSwappedBetweenTwoBackupsIsDetected() throws Exception {
        Path repoDir = dir.resolve("repo");
        Path pw = passwordFile("pw", "pw");
        Path file = data("f.bin");
        Manifest a;
        Manifest b;
        try (Repository repo = open(repoDir, "auto", pw); Repository.Ingest ingest = repo.beginIngest("t")) {
            FileEntry entry = ingest.store(file, "000001.sst", Progress.NONE, 0, Files.size(file)).entry();
            a = ingest.publish(manifest("orders", List.of(entry)));
            b = ingest.publish(manifest("orders", List.of(entry)));
        }
        Path aFile = repoDir.resolve(ManifestCodec.key(a.database(), a.id()));
        Path bFile = repoDir.resolve(ManifestCodec.key(b.database(), b.id()));
        Files.copy(aFile, bFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        try (Repository repo = open(repoDir, "auto", pw)) {
            assertEquals(List.of(ManifestCodec.key(b.database(), b.id())), repo.openReport().unreadableManifests());
            assertTrue(repo.catalog().get(b.id()).isEmpty(), "the swapped manifest is not listed as backup " + b.id());
            assertTrue(repo.catalog().get(a.id()).isPresent());
        }
    }

    @Test
    void aWrongOrMissingPasswordIsRefusedAndNothingChanges() throws Exception {
        Path repoDir = dir.resolve("repo");
        Path pw = passwordFile("pw", "right");
        try (Repository repo = open(repoDir, "auto", pw); Repository.Ingest ingest = repo.beginIngest("t")) {
            Path file = data("f.bin");
            ingest.publish(manifest("orders", List.of(ingest.store(file, "000001.sst", Progress.NONE, 0, Files.size(file)).entry())));
        }
        Files.writeString(repoDir.resolve("tmp").resolve("leftover"), "an unfinished write, swept only once the keys open");
        Map<String, String> before = snapshot(repoDir);

        BackupException wrong = assertThrows(BackupException.class, () -> open(repoDir, "auto", passwordFile("bad", "wrong")));
        assertEquals(ErrorCode.UNAUTHORIZED, wrong.code());
        assertTrue(wrong.getMessage().startsWith("wrong password for repository") && !wrong.getMessage().contains("wrong\n")
                && !wrong.getMessage().contains("right"), wrong.getMessage());
        BackupException wrongRead = assertThrows(BackupException.class,
                () -> Repository.openFileReadOnly(repoDir, new Password.Source(null, "", Map.of(Password.VARIABLE, "nope"))));
        assertEquals(ErrorCode.UNAUTHORIZED, wrongRead.code());
        assertTrue(wrongRead.getMessage().contains("password from MERIDIAN_PASSWORD"), wrongRead.getMessage());

        BackupException missing = assertThrows(BackupException.class, () -> Repository.openFileReadOnly(repoDir));
        assertEquals(ErrorCode.UNAUTHORIZED, missing.code());
        assertTrue(missing.getMessage().contains("is encrypted and no password was given")
                && missing.getMessage().contains("--password-file") && missing.getMessage().contains("MERIDIAN_PASSWORD_FILE")
                && missing.getMessage().contains("MERIDIAN_PASSWORD"), missing.getMessage());
        assertThrows(BackupException.class, () -> Repository.openFile(repoDir, Compression.parse("auto"), IoThrottle.UNLIMITED,
                Encryption.AES_256_GCM, Password.Source.none()));
        assertEquals(before, snapshot(repoDir), "a refused password reads and writes nothing");

        try (Repository ro = Repository.openFileReadOnly(repoDir, new Password.Source(null, "", Map.of(Password.VARIABLE, "right")))) {
            assertEquals(1, ro.catalog().size(), "the password alone opens it read-only (MERIDIAN_PASSWORD)");
        }
    }

    /** Plaintext scratch copies (deep verify's SSTs) never go into an encrypted repository; stale ones are swept. */
    @Test
    void scratchCopiesOfAnEncryptedRepositoryStayOutOfItAndAreSweptAtOpen() throws Exception {
        Path plainRoot = dir.resolve("plain");
        try (Repository plain = Repository.openFile(plainRoot, Compression.parse("auto"), IoThrottle.UNLIMITED, dir.resolve("state"))) {
            assertEquals(plainRoot.resolve(FileBlobStore.TMP), plain.scratchDirectory());
        }
        Path sealedRoot = dir.resolve("sealed");
        Path pw = passwordFile("pw", "right");
        Path scratch;
        try (Repository sealed = Repository.openFile(sealedRoot, Compression.parse("auto"), IoThrottle.UNLIMITED,
                dir.resolve("state"), Encryption.AES_256_GCM, source(pw))) {
            scratch = sealed.scratchDirectory();
            assertFalse(scratch.toAbsolutePath().startsWith(sealedRoot.toAbsolutePath()), scratch.toString());
            assertTrue(scratch.startsWith(sealed.stateDirectory().root()), scratch.toString());
        }
        Files.createDirectories(scratch);
        Files.write(scratch.resolve("verify-left-by-a-crash.sst"), MARKER);
        try (Repository sealed = Repository.openFile(sealedRoot, Compression.parse("auto"), IoThrottle.UNLIMITED,
                dir.resolve("state"), Encryption.AES_256_GCM, source(pw))) {
            assertFalse(Files.exists(scratch.resolve("verify-left-by-a-crash.sst")));
        }
    }

    @Test
    void aMissingPasswordCreatesNothing() throws Exception {
        Path repoDir = dir.resolve("new");
        BackupException e = assertThrows(BackupException.class, () -> Repository.openFile(repoDir, Compression.parse("auto"),
                IoThrottle.UNLIMITED, Encryption.AES_256_GCM, Password.Source.none()));
        assertTrue(e.getMessage().contains("is to be encrypted") || e.getMessage().contains("no password"), e.getMessage());
        assertFalse(Files.exists(repoDir), "nothing was created");
    }

    @Test
    void aRepositoryKeepsItsModeAndAConfigurationThatDisagreesIsRefused() throws Exception {
        Path plain = dir.resolve("plain");
        Repository.openFile(plain, Compression.parse("auto"), IoThrottle.UNLIMITED).close();
        BackupException toEncrypted = assertThrows(BackupException.class, () -> open(plain, "auto", passwordFile("pw", "x")));
        assertEquals(ErrorCode.CONFLICT, toEncrypted.code());
        assertTrue(toEncrypted.getMessage().contains("created with encryption none but meridian.repository.encryption is aes-256-gcm"),
                toEncrypted.getMessage());

        Path sealed = dir.resolve("sealed");
        open(sealed, "auto", passwordFile("pw2", "x")).close();
        BackupException toPlain = assertThrows(BackupException.class,
                () -> Repository.openFile(sealed, Compression.parse("auto"), IoThrottle.UNLIMITED));
        assertEquals(ErrorCode.CONFLICT, toPlain.code());
        assertTrue(toPlain.getMessage().contains("created with encryption aes-256-gcm"), toPlain.getMessage());

        // config.json rewritten to claim "none" (a downgrade) is caught by the key slots it cannot explain.
        Path config = sealed.resolve(RepositoryFormat.KEY);
        Files.writeString(config, Files.readString(config).replace("aes-256-gcm", "none"));
        BackupException downgraded = assertThrows(BackupException.class,
                () -> Repository.openFile(sealed, Compression.parse("auto"), IoThrottle.UNLIMITED));
        assertTrue(downgraded.getMessage().contains("was altered"), downgraded.getMessage());
    }
}
