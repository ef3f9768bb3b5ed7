package dev.meridian.backup.verify;

import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.FileEntry;
import dev.meridian.backup.model.Manifest;
import dev.meridian.backup.model.Progress;
import dev.meridian.backup.model.VerifyResult;
import dev.meridian.backup.repository.CorruptObjectException;
import dev.meridian.backup.repository.Repository;
import dev.meridian.backup.rocks.SstChecksum;
import dev.meridian.backup.store.file.FileBlobStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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

    /**
     * Checks one file of a backup; returns its error, or null if it is intact. Always: the object exists and its
     * size and Blake3 hash match the manifest. With {@code deep}, an SST is also written out to a temporary file and
     * its RocksDB block checksums checked, which catches a table that was already corrupt when it was backed up.
     * Blocks while it reads the object (and, when deep, writes and re-reads the SST: free space for one SST per
     * thread is needed in {@link Repository#scratchDirectory()}: never inside an encrypted repository).
     *
     * @throws BackupException when the temporary copy cannot be written: that says nothing about the backup, so the
     *     verification as a whole fails instead of reporting the file as bad
     */
    public static VerifyResult.FileError check(Repository repo, FileEntry f, boolean deep, Progress progress) {
        try {
            if (deep && f.name().endsWith(".sst")) {
                return checkSst(repo, f, progress);
            }
            repo.readFile(f, null, progress, 0, f.size());
            return null;
        } catch (CorruptObjectException e) {
            return new VerifyResult.FileError(f.name(), f.object().hex(), e.getMessage(), VerifyResult.FileError.OBJECT_DAMAGED);
        } catch (IOException e) {
            return new VerifyResult.FileError(f.name(), f.object().hex(), "could not be read: " + e.getMessage(),
                    VerifyResult.FileError.UNREADABLE);
        }
    }

    // The SST is materialized once (checking its Blake3 as it is written) and handed to RocksDB; the temporary file
    // is removed on every path, and one left by a crash lies in a scratch directory the next open sweeps.
    private static VerifyResult.FileError checkSst(Repository repo, FileEntry f, Progress progress) throws IOException {
        Path dir = repo.scratchDirectory();
        Path scratch;
        try {
            Files.createDirectories(dir);
            scratch = Files.createTempFile(dir, "verify-", ".sst");
        } catch (IOException e) {
            throw scratchFailed(f, dir, e);
        }
        try {
            try (FileChannel out = FileChannel.open(scratch, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                repo.readFile(f, new ScratchSink(out), progress, 0, f.size());
            } catch (ScratchWriteFailed e) {
                throw scratchFailed(f, dir, e.getCause());
            }
            return SstChecksum.corruption(scratch, f.name())
                    .map(reason -> new VerifyResult.FileError(f.name(), f.object().hex(), "the object is intact, but "
                            + "RocksDB rejects the SST it holds: " + reason + ". This backup was taken of an already "
                            + "corrupt table", VerifyResult.FileError.SST_CORRUPT))
                    .orElse(null);
        } finally {
            Files.deleteIfExists(scratch);
        }
    }

    private static BackupException scratchFailed(FileEntry f, Path dir, Throwable cause) {
        return BackupException.from(cause, "deep verification could not write a temporary copy of " + f.name() + " to "
                + dir + " (it needs free space for one SST per hashing thread)");
    }

    /** A write to the temporary copy failed: the scratch disk's fault, not the object's. */
    private static final class ScratchWriteFailed extends IOException {
        ScratchWriteFailed(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    /** The temporary copy as a sink that tells its own write errors apart from errors reading the object. */
    private record ScratchSink(FileChannel out) implements WritableByteChannel {
        @Override
        public int write(ByteBuffer src) throws IOException {
            try {
                return out.write(src);
            } catch (IOException e) {
                throw new ScratchWriteFailed(e);
            }
        }

        @Override
        public boolean isOpen() {
            return out.isOpen();
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }

    /** Verifies every file of {@code m} on {@code threads} threads; {@code deep} as in {@link #check}. */
    public static VerifyResult run(Repository repo, Manifest m, int threads, boolean deep, Progress progress) throws Exception {
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
                futures.add(pool.submit(() -> check(repo, f, deep, (d, t) -> {
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
                    end.truncatedTo(ChronoUnit.MILLIS), Duration.between(start, end).toMillis(), deep);
        } finally {
            pool.shutdownNow();
        }
    }
}
