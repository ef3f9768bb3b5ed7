package dev.meridian.backup.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.backup.config.Settings;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.FileEntry;
import dev.meridian.backup.model.Manifest;
import dev.meridian.backup.model.Progress;
import dev.meridian.backup.repository.BackupCopy;
import dev.meridian.backup.repository.Compression;
import dev.meridian.backup.repository.IoThrottle;
import dev.meridian.backup.repository.Repository;
import dev.meridian.backup.repository.seal.Encryption;
import dev.meridian.backup.repository.seal.Password;
import dev.meridian.backup.runtime.Metrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One replica's copy pass on local directories: a copy cut short (objects stored, manifest not) is never listed in
 * the replica and the next pass completes it, collecting nothing it needs; a backup damaged in the primary is skipped,
 * counted and left as lag while the others are copied; the lag counts what the replica lacks.
 */
class ReplicaTargetTest {
    @TempDir
    Path dir;

    private final SplittableRandom random = new SplittableRandom(11);

    private Manifest backup(Repository repo, int files) throws Exception {
        Path src = Files.createDirectories(dir.resolve("src"));
        List<FileEntry> entries = new ArrayList<>();
        long size = 0;
        try (Repository.Ingest ingest = repo.beginIngest("test")) {
            for (int i = 0; i < files; i++) {
                byte[] b = new byte[4096];
                random.nextBytes(b);
                Path f = src.resolve(String.format("%06d.sst", i));
                Files.write(f, b);
                entries.add(ingest.store(f, f.getFileName().toString(), Progress.NONE, 0, b.length).entry());
                size += b.length;
            }
            Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
            Thread.sleep(2); // distinct, increasing ids
            return ingest.publish(new Manifest(Manifest.FORMAT, BackupId.generate(now, random), "shop", BackupType.MANUAL,
                    "", List.of(), now, now, 0, 0, 1, null, null, size, size, entries, null));
        }
    }

    private ReplicaTarget target(Repository primary, Path replicaDir, Metrics metrics) {
        Settings.Replica r = new Settings.Replica("nas", replicaDir.toString(), Optional.empty(), replicaDir,
                Duration.ofSeconds(60), Encryption.NONE, Password.Source.none());
        return new ReplicaTarget(r, primary, Compression.parse("off"), 0, dir.resolve("state"), metrics, Clock.systemUTC());
    }

    private static long objects(Path repo) throws Exception {
        try (Stream<Path> walk = Files.walk(repo.resolve("objects"))) {
            return walk.filter(Files::isRegularFile).count();
        }
    }

    @Test
    void aCopyCutShortIsNotListedAndTheNextPassCompletesIt() throws Exception {
        Path replicaDir = dir.resolve("replica");
        try (Repository primary = Repository.openFile(dir.resolve("primary"), Compression.parse("off"), IoThrottle.UNLIMITED)) {
            Manifest first = backup(primary, 4);
            Manifest second = backup(primary, 4);
            // A crash midway through copying the first backup: two objects stored, no manifest.
            try (Repository replica = Repository.openFile(replicaDir, Compression.parse("off"), IoThrottle.UNLIMITED)) {
                assertThrows(CancellationException.class, () -> BackupCopy.run(primary, replica, List.of(first.id()),
                        Files.createDirectories(dir.resolve("scratch")), (d, t, b) -> {
                            if (d > 2 * 4096) { // into the third file: the first two are stored
                                throw new CancellationException("crash");
                            }
                        }));
                assertEquals(0, replica.catalog().size(), "a half copy is never listed");
            }
            assertTrue(objects(replicaDir) >= 2, "its objects were stored");

            Metrics metrics = new Metrics();
            ReplicaTarget target = target(primary, replicaDir, metrics);
            assertEquals(2, target.lag().backups(), "not yet opened: every backup counts");
            ReplicaTarget.Pass pass = target.run();
            assertEquals(new ReplicaTarget.Pass(2, 0, 0, false), pass);
            assertEquals(0, target.lag().backups());
            assertEquals(0, target.lagSeconds());
            assertTrue(target.lastSuccess() > 0);
            assertNull(target.failedOn());
            target.stop(Runnable::run).get();
            try (Repository replica = Repository.openFileReadOnly(replicaDir)) {
                assertEquals(List.of(first.id(), second.id()), BackupCopy.select(replica, null, List.of()));
            }
            assertEquals(8, objects(replicaDir), "the cut copy's objects were reused, nothing else left over");
        }
    }

    @Test
    void aBackupDamagedInThePrimaryIsSkippedAndCountedWhileTheOthersAreCopied() throws Exception {
        Path replicaDir = dir.resolve("replica");
        try (Repository primary = Repository.openFile(dir.resolve("primary"), Compression.parse("off"), IoThrottle.UNLIMITED)) {
            Manifest damaged = backup(primary, 2);
            Manifest fine = backup(primary, 2);
            FileEntry victim = damaged.files().get(0);
            Path object = dir.resolve("primary").resolve(Repository.objectKey(victim.object()));
            byte[] bytes = Files.readAllBytes(object);
            bytes[bytes.length - 1] ^= 1;
            Files.write(object, bytes);

            Metrics metrics = new Metrics();
            ReplicaTarget target = target(primary, replicaDir, metrics);
            metrics.replica("nas", () -> target.lag().backups(), target::lagSeconds, target::lastSuccess);
            assertEquals(new ReplicaTarget.Pass(1, 0, 1, false), target.run());
            assertEquals(1, target.lag().backups(), "the damaged backup is still lag");
            assertEquals(damaged.completedAt(), target.lag().oldest());
            assertEquals(0, target.lastSuccess(), "a pass that left a backup behind is no success");
            assertTrue(metrics.scrape().contains("meridian_replica_copy_failures_total{replica=\"nas\"} 1.0"), metrics.scrape());
            assertTrue(metrics.scrape().contains("meridian_replica_lag_backups{replica=\"nas\"} 1.0"), metrics.scrape());
            target.stop(Runnable::run).get();
            try (Repository replica = Repository.openFileReadOnly(replicaDir)) {
                assertEquals(List.of(fine.id()), BackupCopy.select(replica, null, List.of()));
            }
        }
    }
}
