package dev.meridian.backup.repository;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.CatalogQuery;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.model.FileEntry;
import dev.meridian.backup.model.Manifest;
import dev.meridian.backup.model.Progress;
import dev.meridian.backup.store.BlobStore;
import dev.meridian.backup.store.PendingBlob;
import dev.meridian.backup.store.file.FileBlobStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Invariants 5 and 6 on the repository itself, with real files and real byte flips. */
class RepositoryTest {
    @TempDir
    Path dir;

    private Repository open(String compression) throws Exception {
        return Repository.openFile(dir.resolve("repo"), Compression.parse(compression), IoThrottle.UNLIMITED);
    }

    private Path file(String name, byte[] content) throws Exception {
        Path p = dir.resolve("src").resolve(name);
        Files.createDirectories(p.getParent());
        Files.write(p, content);
        return p;
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    /** Half random, half a repeated pattern, like the benchmark's values. */
    private static byte[] halfCompressible(int n, long seed) {
        byte[] b = random(n, seed);
        for (int i = 0; i < n; i += 1024) {
            for (int j = i + 512; j < Math.min(n, i + 1024); j++) {
                b[j] = (byte) (j % 7);
            }
        }
        return b;
    }

    private static Manifest manifest(String db, List<FileEntry> files, long stored) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        return new Manifest(Manifest.FORMAT, BackupId.generate(now, new SplittableRandom()), db, BackupType.MANUAL, "",
                List.of(), now, now, 0, 0, 1, null, null, files.stream().mapToLong(FileEntry::size).sum(), stored, files, null);
    }

    private static byte[] readBack(Repository repo, FileEntry f) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        repo.readFile(f, Channels.newChannel(out), Progress.NONE, 0, f.size());
        return out.toByteArray();
    }

    @ParameterizedTest(name = "compression {0}")
    @ValueSource(strings = {"off", "auto", "zstd:3", "zstd:-5"})
    void everyCompressionModeRoundTripsAndChecksTheHash(String mode) throws Exception {
        try (Repository repo = open(mode)) {
            byte[][] contents = {new byte[0], random(1, 1), random(ObjectCodec.BLOCK_SIZE + 17, 2),
                    halfCompressible(3 * ObjectCodec.BLOCK_SIZE + 5, 3), new byte[2 * ObjectCodec.BLOCK_SIZE]};
            try (Repository.Ingest ingest = repo.beginIngest("t")) {
                for (int i = 0; i < contents.length; i++) {
                    Path p = file("f" + i, contents[i]);
                    Repository.StoredFile s = ingest.store(p, "f" + i, Progress.NONE, 0, contents[i].length);
                    assertEquals(contents[i].length, s.entry().size());
                    assertTrue(java.util.Arrays.equals(contents[i], readBack(repo, s.entry())), "round trip of f" + i);
                }
            }
        }
    }

    @Test
    void autoCompressionShrinksCompressibleDataAndStoresRandomDataAsIs() throws Exception {
        try (Repository repo = open("auto"); Repository.Ingest ingest = repo.beginIngest("t")) {
            byte[] half = halfCompressible(4 * ObjectCodec.BLOCK_SIZE, 5);
            byte[] rnd = random(4 * ObjectCodec.BLOCK_SIZE, 6);
            long halfStored = ingest.store(file("half", half), "half", Progress.NONE, 0, half.length).storedBytes();
            long rndStored = ingest.store(file("rnd", rnd), "rnd", Progress.NONE, 0, rnd.length).storedBytes();
            assertTrue(halfStored < half.length * 0.6, "half-compressible data shrinks: " + halfStored);
            assertTrue(rndStored <= rnd.length + 64 + 8 * 4, "random data costs at most its framing: " + rndStored);
        }
    }

    @Test
    void identicalContentIsStoredOnce() throws Exception {
        try (Repository repo = open("off"); Repository.Ingest ingest = repo.beginIngest("t")) {
            byte[] c = random(100_000, 7);
            Repository.StoredFile a = ingest.store(file("a.sst", c), "a.sst", Progress.NONE, 0, c.length);
            Repository.StoredFile b = ingest.store(file("b.sst", c), "b.sst", Progress.NONE, 0, c.length);
            assertEquals(a.entry().object(), b.entry().object());
            assertTrue(a.storedBytes() > 0);
            assertEquals(0, b.storedBytes(), "the second copy costs nothing (invariant 5)");
            assertEquals(1, Files.list(dir.resolve("repo/objects")).count());
        }
    }

    private FileEntry stored(Repository repo, String name, byte[] content) throws Exception {
        try (Repository.Ingest ingest = repo.beginIngest("t")) {
            FileEntry e = ingest.store(file(name, content), name, Progress.NONE, 0, content.length).entry();
            ingest.publish(manifest("db", List.of(e), content.length));
            return e;
        }
    }

    @Test
    void aFlippedByteATruncationAndADeletionAreEachReportedForTheFile() throws Exception {
        try (Repository repo = open("off")) {
            FileEntry flipped = stored(repo, "flip.sst", random(300_000, 8));
            FileEntry truncated = stored(repo, "trunc.sst", random(300_000, 9));
            FileEntry deleted = stored(repo, "gone.sst", random(300_000, 10));
            Path p = dir.resolve("repo").resolve(Repository.objectKey(flipped.object()));
            try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
                raf.seek(150_000);
                int b = raf.read();
                raf.seek(150_000);
                raf.write(b ^ 0x40);
            }
            try (RandomAccessFile raf = new RandomAccessFile(dir.resolve("repo").resolve(Repository.objectKey(truncated.object())).toFile(), "rw")) {
                raf.setLength(200_000);
            }
            Files.delete(dir.resolve("repo").resolve(Repository.objectKey(deleted.object())));
            assertTrue(assertThrows(CorruptObjectException.class, () -> readBack(repo, flipped)).getMessage().contains("hash mismatch"));
            assertTrue(assertThrows(CorruptObjectException.class, () -> readBack(repo, truncated)).getMessage().contains("truncated"));
            assertTrue(assertThrows(CorruptObjectException.class, () -> readBack(repo, deleted)).getMessage().contains("missing"));
        }
    }

    @Test
    void aDamagedManifestIsRefusedAtOpenAndBlocksGarbageCollection() throws Exception {
        String key;
        try (Repository repo = open("off"); Repository.Ingest ingest = repo.beginIngest("t")) {
            FileEntry e = ingest.store(file("x.sst", random(1000, 11)), "x.sst", Progress.NONE, 0, 1000).entry();
            Manifest m = ingest.publish(manifest("db", List.of(e), 1000));
            key = ManifestCodec.key("db", m.id());
        }
        Path manifestFile = dir.resolve("repo").resolve(key);
        String text = Files.readString(manifestFile).replace("\"size\" : 1000", "\"size\" : 1001");
        Files.writeString(manifestFile, text);
        try (Repository repo = open("off")) {
            assertEquals(0, repo.catalog().size());
            assertEquals(List.of(key), repo.openReport().unreadableManifests());
            BackupException e = assertThrows(BackupException.class, repo::collectGarbage);
            assertEquals(ErrorCode.CONFLICT, e.code());
            assertEquals(1, Files.list(dir.resolve("repo/objects")).count(), "its objects are kept: their references are unknown");
        }
    }

    @Test
    void deletionRemovesTheManifestFirstAndCollectionOnlyUnreferencedObjects() throws Exception {
        try (Repository repo = open("off")) {
            byte[] shared = random(50_000, 12);
            FileEntry s1;
            Manifest m1;
            Manifest m2;
            try (Repository.Ingest ingest = repo.beginIngest("a")) {
                s1 = ingest.store(file("shared.sst", shared), "shared.sst", Progress.NONE, 0, shared.length).entry();
                FileEntry only1 = ingest.store(file("only1.sst", random(50_000, 13)), "only1.sst", Progress.NONE, 0, 50_000).entry();
                m1 = ingest.publish(manifest("db", List.of(s1, only1), 100_000));
            }
            try (Repository.Ingest ingest = repo.beginIngest("b")) {
                FileEntry again = ingest.store(file("shared2.sst", shared), "shared.sst", Progress.NONE, 0, shared.length).entry();
                m2 = ingest.publish(manifest("db", List.of(again), 0));
            }
            repo.deleteBackup(m1.id());
            assertTrue(repo.catalog().get(m1.id()).isEmpty());
            assertEquals(2, Files.list(dir.resolve("repo/objects")).mapToLong(d -> d.toFile().list().length).sum(),
                    "objects stay until collection (two-phase)");
            Repository.GcReport gc = repo.collectGarbage();
            assertEquals(1, gc.objectsDeleted());
            assertNotNull(readBack(repo, m2.files().get(0)), "the shared object survives");
        }
    }

    // Repeated: one run catches the pins-before-catalog bug about 1 time in 40 (the forced test below always does).
    @RepeatedTest(10)
    void garbageCollectionRacingBackupsNeverRemovesAnObjectAPublishedManifestNeeds() throws Exception {
        // Invariant 6 under a real race: backups reuse objects whose previous owners are being deleted and collected.
        try (Repository repo = open("off")) {
            List<Path> sources = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                sources.add(file("s" + i + ".sst", random(20_000, 100 + i)));
            }
            AtomicBoolean stop = new AtomicBoolean();
            ExecutorService pool = Executors.newFixedThreadPool(3);
            List<Manifest> published = Collections.synchronizedList(new ArrayList<>());
            Future<?> collector = pool.submit(() -> {
                while (!stop.get()) {
                    repo.collectGarbage();
                }
                return null;
            });
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                int seed = w;
                writers.add(pool.submit(() -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    for (int round = 0; round < 150; round++) {
                        try (Repository.Ingest ingest = repo.beginIngest("w" + seed)) {
                            List<FileEntry> files = new ArrayList<>();
                            for (int k = 0; k < 2; k++) {
                                Path src = sources.get(r.nextInt(sources.size()));
                                files.add(ingest.store(src, "f" + k + ".sst", Progress.NONE, 0, Files.size(src)).entry());
                            }
                            Manifest m = ingest.publish(manifest("db" + seed, files, 0));
                            published.add(m);
                        }
                        // Delete an older backup so its objects become candidates while others reuse them.
                        if (published.size() > 4) {
                            Manifest victim = published.remove(0);
                            try {
                                repo.deleteBackup(victim.id());
                            } catch (BackupException gone) {
                                // the other writer deleted it first
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : writers) {
                f.get();
            }
            stop.set(true);
            collector.get();
            repo.collectGarbage();
            Set<String> needed = new HashSet<>();
            for (var b : repo.catalog().list(new CatalogQuery(null, null, null, 1000, null)).backups()) {
                for (FileEntry f : repo.readManifest(b.backupId()).files()) {
                    readBack(repo, f);
                    needed.add(f.object().hex());
                }
            }
            Set<String> present = new HashSet<>();
            Files.walk(dir.resolve("repo/objects")).filter(Files::isRegularFile).forEach(p -> present.add(p.getFileName().toString()));
            assertEquals(needed, present, "every referenced object exists, and nothing else does");
            pool.shutdown();
        }
    }

    @Test
    void aBackupPublishingAndUnpinningInTheMiddleOfACollectionKeepsItsNewObjects() throws Exception {
        // The narrowest interleaving of the race above, made deterministic: garbage collection has taken one of
        // its two snapshots of what is live (pins, catalog) when a backup publishes its manifest and unpins.
        // Reading the catalog first and the pins second lost the new object (seen once in CI-like runs).
        try (Repository repo = open("off")) {
            Path src = file("new.sst", random(30_000, 7));
            Repository.Ingest ingest = repo.beginIngest("racer");
            FileEntry stored = ingest.store(src, "new.sst", Progress.NONE, 0, Files.size(src)).entry();
            repo.betweenLiveSnapshots = () -> {
                try {
                    ingest.publish(manifest("db", List.of(stored), 0));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                ingest.close();
            };
            repo.collectGarbage();
            repo.betweenLiveSnapshots = () -> {};
            assertArrayEquals(Files.readAllBytes(src), readBack(repo, stored), "the published backup's object survived");
            repo.collectGarbage();
            assertArrayEquals(Files.readAllBytes(src), readBack(repo, stored), "and stays, now referenced by the catalog");
        }
    }

    @Test
    void pinningABackupDeletedAfterItsManifestWasReadSaysNotFound() throws Exception {
        // Verify and restore read the manifest, then pin. A delete in between must not turn into "objects missing".
        try (Repository repo = open("off")) {
            Path src = file("gone.sst", random(10_000, 8));
            Manifest m;
            try (Repository.Ingest ingest = repo.beginIngest("t")) {
                m = ingest.publish(manifest("db", List.of(ingest.store(src, "gone.sst", Progress.NONE, 0, Files.size(src)).entry()), 0));
            }
            Manifest read = repo.readManifest(m.id());
            repo.pin(read).close();
            repo.deleteBackup(m.id());
            repo.collectGarbage();
            BackupException e = assertThrows(BackupException.class, () -> repo.pin(read));
            assertEquals(ErrorCode.NOT_FOUND, e.code());
            assertTrue(e.getMessage().contains("was deleted"), e.getMessage());
        }
    }

    /** Real files, but writing a manifest lands it and then reports a failure, as a failed directory fsync would. */
    private static final class ManifestWriteFailsAfterLanding implements BlobStore {
        final FileBlobStore files;
        final boolean deleteFails;

        ManifestWriteFailsAfterLanding(Path root, boolean deleteFails) throws IOException {
            this.files = new FileBlobStore(root);
            this.deleteFails = deleteFails;
        }

        @Override
        public void write(String key, byte[] data) throws IOException {
            files.write(key, data);
            if (key.startsWith("manifests/")) {
                throw new IOException("fsync of the manifest directory failed (injected)");
            }
        }

        @Override
        public boolean delete(String key) throws IOException {
            if (deleteFails && key.startsWith("manifests/")) {
                throw new IOException("unlink failed (injected)");
            }
            return files.delete(key);
        }

        @Override public PendingBlob create() throws IOException { return files.create(); }
        @Override public SeekableByteChannel open(String key) throws IOException { return files.open(key); }
        @Override public boolean exists(String key) throws IOException { return files.exists(key); }
        @Override public OptionalLong size(String key) throws IOException { return files.size(key); }
        @Override public List<String> list(String prefix) throws IOException { return files.list(prefix); }
        @Override public int sweepPending() throws IOException { return files.sweepPending(); }
        @Override public String describe() { return files.describe(); }
        @Override public void close() {}
    }

    @ParameterizedTest(name = "removing the manifest fails too: {0}")
    @ValueSource(booleans = {false, true})
    void aManifestWriteThatFailsAfterLandingNeverLeavesABackupWhoseObjectsGetCollected(boolean deleteFails) throws Exception {
        Path root = dir.resolve("repo");
        Path src = file("x.sst", random(20_000, 9));
        try (Repository repo = Repository.open(new ManifestWriteFailsAfterLanding(root, deleteFails), Compression.parse("off"),
                IoThrottle.UNLIMITED, true, null)) {
            FileEntry entry;
            try (Repository.Ingest ingest = repo.beginIngest("t")) {
                entry = ingest.store(src, "x.sst", Progress.NONE, 0, Files.size(src)).entry();
                Manifest draft = manifest("db", List.of(entry), 0);
                assertThrows(IOException.class, () -> ingest.publish(draft));
            }
            if (deleteFails) {
                // The manifest is on disk but not in the catalog: collection must refuse until a restart.
                BackupException refused = assertThrows(BackupException.class, repo::collectGarbage);
                assertEquals(ErrorCode.CONFLICT, refused.code());
            } else {
                repo.collectGarbage();
                assertEquals(List.of(), new FileBlobStore(root).list("manifests/"), "the failed manifest was taken back");
            }
        }
        // After a restart, every backup the repository lists is whole.
        try (Repository reopened = open("off")) {
            for (var b : reopened.catalog().list(new CatalogQuery(null, null, null, 1000, null)).backups()) {
                for (FileEntry f : reopened.readManifest(b.backupId()).files()) {
                    assertArrayEquals(Files.readAllBytes(src), readBack(reopened, f));
                }
            }
            assertEquals(deleteFails ? 1 : 0, reopened.catalog().size());
        }
    }

    @Test
    void aSecondWriterIsRefusedWhileTheRepositoryIsOpen() throws Exception {
        try (Repository repo = open("off")) {
            BackupException e = assertThrows(BackupException.class, () -> open("off"));
            assertEquals(ErrorCode.CONFLICT, e.code());
            try (Repository ro = Repository.openFileReadOnly(dir.resolve("repo"))) {
                assertEquals(repo.catalog().size(), ro.catalog().size(), "read-only access still works");
            }
        }
    }
}
