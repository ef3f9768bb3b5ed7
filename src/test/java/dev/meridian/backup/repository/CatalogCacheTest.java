package dev.meridian.backup.repository;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.meridian.backup.TestEnv;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.CatalogQuery;
import dev.meridian.backup.model.FileEntry;
import dev.meridian.backup.model.Manifest;
import dev.meridian.backup.model.Progress;
import dev.meridian.backup.model.VerifyResult;
import dev.meridian.backup.store.file.FileBlobStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The catalog cache in the state directory: used when present, rebuilt from the repository when deleted or damaged
 * (with a warning), reconciled with the manifests the repository lists when backups were added or deleted behind
 * its back, and never trusted for a verification outcome written after its last save.
 */
class CatalogCacheTest {
    @TempDir
    Path dir;

    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final SplittableRandom random = new SplittableRandom(5);

    @BeforeEach
    void captureLogs() {
        logs.start();
        ((Logger) LoggerFactory.getLogger(CatalogCache.class)).addAppender(logs);
    }

    @AfterEach
    void releaseLogs() {
        ((Logger) LoggerFactory.getLogger(CatalogCache.class)).detachAppender(logs);
    }

    private Path repoDir() {
        return dir.resolve("repo");
    }

    private Path stateDir() {
        return dir.resolve("state");
    }

    /** Opens without the OS lock, so a test can hold two instances, and drop one as a crash would. */
    private Repository open() throws Exception {
        return Repository.open(new FileBlobStore(repoDir()), Compression.parse("off"), IoThrottle.UNLIMITED, true, null,
                stateDir());
    }

    private Path cacheFile(Repository repo) {
        return repo.stateDirectory().catalogCache();
    }

    private Manifest backup(Repository repo, String db) throws Exception {
        Path src = Files.createDirectories(dir.resolve("src"));
        List<FileEntry> files = new ArrayList<>();
        try (Repository.Ingest ingest = repo.beginIngest("test")) {
            for (int i = 0; i < 3; i++) {
                byte[] b = new byte[512];
                random.nextBytes(b);
                Path f = src.resolve(String.format("%06d.sst", i));
                Files.write(f, b);
                files.add(ingest.store(f, f.getFileName().toString(), Progress.NONE, 0, b.length).entry());
            }
            Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
            return ingest.publish(new Manifest(Manifest.FORMAT, BackupId.generate(now, random), db, BackupType.MANUAL,
                    "d", List.of("t"), now, now, 0, 0, 1, null, null, 1536, 1536, files, null));
        }
    }

    private static void verified(Repository repo, Manifest m, boolean valid) throws Exception {
        repo.recordVerification(new VerifyResult(m.id(), m.database(), valid, 3, 1536, List.of(), Instant.now(), 1, false));
    }

    private static List<BackupSummary> listing(Repository repo) {
        return repo.catalog().list(new CatalogQuery(null, null, null, 1000, null)).backups();
    }

    private List<String> messages(Level level) {
        return logs.list.stream().filter(e -> e.getLevel() == level).map(ILoggingEvent::getFormattedMessage).toList();
    }

    /** Three backups of two databases, one verified; returns the listing after a clean close. */
    private List<BackupSummary> populate() throws Exception {
        try (Repository repo = open()) {
            backup(repo, "orders");
            Manifest m = backup(repo, "users");
            backup(repo, "orders");
            verified(repo, m, true);
            List<BackupSummary> before = listing(repo);
            assertEquals(3, before.size());
            return before;
        }
    }

    @Test
    void theCacheIsSavedAtCloseAndTheNextOpenReadsNoManifest() throws Exception {
        List<BackupSummary> before = populate();
        logs.list.clear();
        try (Repository repo = open()) {
            assertTrue(Files.isRegularFile(cacheFile(repo)), "the cache is in the state directory");
            assertTrue(cacheFile(repo).startsWith(stateDir().resolve(repo.format().repositoryId())));
            assertEquals(before, listing(repo), "the same listing, verification outcome included");
            assertTrue(messages(Level.INFO).stream().anyMatch(m -> m.contains("3 backups from the cache")
                    && m.contains("0 manifests read") && m.contains("0 verification records read")), logs.list.toString());
            assertEquals(3 * 3, repo.catalog().objectCount(), "the object references came from the cache too");
        }
        try (var walk = Files.walk(repoDir())) {
            assertTrue(walk.noneMatch(p -> p.getFileName().toString().startsWith("catalog")), "nothing in the repository");
        }
    }

    @Test
    void aDeletedCacheIsRebuiltWithTheSameListing() throws Exception {
        List<BackupSummary> before = populate();
        Path cache;
        try (Repository repo = open()) {
            cache = cacheFile(repo);
        }
        Files.delete(cache);
        logs.list.clear();
        try (Repository repo = open()) {
            assertEquals(before, listing(repo));
            assertTrue(messages(Level.INFO).stream().anyMatch(m -> m.contains("No catalog cache")), logs.list.toString());
            assertTrue(Files.isRegularFile(cache), "rebuilt at open");
        }
    }

    @Test
    void aCorruptCacheIsRebuiltWithAWarning() throws Exception {
        List<BackupSummary> before = populate();
        Path cache;
        try (Repository repo = open()) {
            cache = cacheFile(repo);
        }
        long size = Files.size(cache);
        for (long offset : new long[] {size / 2, size - 1, 5}) { // the body, the gzip trailer, the header line
            TestEnv.flip(cache, offset);
            logs.list.clear();
            try (Repository repo = open()) {
                assertEquals(before, listing(repo), "flipped at " + offset);
                assertTrue(messages(Level.WARN).stream().anyMatch(m -> m.contains("corrupt") && m.contains("rebuilding")),
                        "flipped at " + offset + ": " + logs.list);
            }
            logs.list.clear();
            try (Repository repo = open()) {
                assertTrue(messages(Level.WARN).isEmpty(), "the rewritten cache is sound: " + logs.list);
            }
        }
    }

    @Test
    void backupsAddedAndDeletedBehindTheCachesBackAreReconciled() throws Exception {
        populate();
        List<BackupSummary> truth;
        Manifest added;
        // A second instance without the state directory changes the repository; the cache does not see it.
        try (Repository other = Repository.open(new FileBlobStore(repoDir()), Compression.parse("off"),
                IoThrottle.UNLIMITED, true, null, null)) {
            BackupSummary oldest = listing(other).get(2);
            other.deleteBackup(oldest.backupId());
            added = backup(other, "events");
            truth = listing(other);
        }
        logs.list.clear();
        try (Repository repo = open()) {
            assertEquals(truth, listing(repo));
            assertTrue(repo.catalog().get(added.id()).isPresent());
            assertTrue(messages(Level.INFO).stream().anyMatch(m -> m.contains("2 backups from the cache")
                    && m.contains("1 manifests read") && m.contains("1 dropped")), logs.list.toString());
        }
        // A manifest file deleted by hand is dropped too.
        Files.delete(repoDir().resolve(ManifestCodec.key(added.database(), added.id())));
        try (Repository repo = open()) {
            assertFalse(repo.catalog().get(added.id()).isPresent());
            assertEquals(truth.size() - 1, listing(repo).size());
        }
    }

    @Test
    void aVerificationWrittenAfterTheLastSaveIsReadAgainAfterACrash() throws Exception {
        Manifest m;
        try (Repository repo = open()) {
            m = backup(repo, "orders");
            verified(repo, m, true);
        }
        Repository crashed = open();
        assertEquals(Boolean.TRUE, crashed.catalog().get(m.id()).orElseThrow().verified());
        verified(crashed, m, false); // re-verified, then the process dies: no save, no close
        Manifest later = backup(crashed, "orders");
        try (Repository repo = open()) {
            assertEquals(Boolean.FALSE, repo.catalog().get(m.id()).orElseThrow().verified(),
                    "the pending record is read again, not taken from the older cache");
            assertTrue(repo.catalog().get(later.id()).isPresent(), "the backup published after the save is read");
            assertFalse(Files.exists(repo.stateDirectory().catalogPending()), "the pending list is cleared by the save");
        }
    }

    @Test
    void twoRepositoriesKeepSeparateState() throws Exception {
        populate();
        Path otherRepo = dir.resolve("repo2");
        try (Repository a = open(); Repository b = Repository.open(new FileBlobStore(otherRepo), Compression.parse("off"),
                IoThrottle.UNLIMITED, true, null, stateDir())) {
            assertFalse(a.stateDirectory().root().equals(b.stateDirectory().root()));
            assertEquals(0, b.catalog().size(), "the other repository's cache is not used");
        }
    }
}
