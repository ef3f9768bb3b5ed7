package dev.meridian.backup.verify;

import dev.meridian.backup.model.FileEntry;
import dev.meridian.backup.model.Manifest;
import dev.meridian.backup.model.Progress;
import dev.meridian.backup.model.VerifyResult;
import dev.meridian.backup.repository.CorruptObjectException;
import dev.meridian.backup.repository.Repository;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Verification without a server, for {@code --repo} (disaster recovery): the same per-file check as
 * {@link VerifyJob}, on a plain thread pool. Reads only; records nothing.
 */
public final class OfflineVerification {
    private OfflineVerification() {}

    /** Checks one file of a backup; returns its error, or null if it is intact. */
    public static VerifyResult.FileError check(Repository repo, FileEntry f, Progress progress) {
        try {
            repo.readFile(f, null, progress, 0, f.size());
            return null;
        } catch (CorruptObjectException e) {
            return new VerifyResult.FileError(f.name(), f.object().hex(), e.getMessage());
        } catch (IOException e) {
            return new VerifyResult.FileError(f.name(), f.object().hex(), "could not be read: " + e.getMessage());
        }
    }

    public static VerifyResult run(Repository repo, Manifest m, int threads, Progress progress) throws Exception {
        Instant start = Instant.now();
        AtomicLong done = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "meridian-verify");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<VerifyResult.FileError>> futures = new ArrayList<>();
            for (FileEntry f : m.files()) {
                long[] last = {0};
                futures.add(pool.submit(() -> check(repo, f, (d, t) -> {
                    progress.report(done.addAndGet(d - last[0]), m.sizeBytes());
                    last[0] = d;
                })));
            }
            List<VerifyResult.FileError> errors = new ArrayList<>();
            for (Future<VerifyResult.FileError> fu : futures) {
                VerifyResult.FileError e = fu.get();
                if (e != null) {
                    errors.add(e);
                }
            }
            errors.sort(Comparator.comparing(VerifyResult.FileError::file));
            Instant end = Instant.now();
            long bytes = m.files().stream().filter(f -> errors.stream().noneMatch(e -> e.file().equals(f.name())))
                    .mapToLong(FileEntry::size).sum();
            return new VerifyResult(m.id(), m.database(), errors.isEmpty(), m.fileCount(), bytes, errors,
                    end.truncatedTo(ChronoUnit.MILLIS), Duration.between(start, end).toMillis());
        } finally {
            pool.shutdownNow();
        }
    }
}
