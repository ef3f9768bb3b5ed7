package dev.meridian.backup.restore;

import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.model.FileEntry;
import dev.meridian.backup.model.Manifest;
import dev.meridian.backup.model.Progress;
import dev.meridian.backup.repository.CorruptObjectException;
import dev.meridian.backup.repository.Repository;
import dev.meridian.backup.rocks.OptionsFile;
import dev.meridian.backup.store.file.DurableFiles;
import dev.meridian.backup.store.file.FileBlobStore;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Restore without a server, for {@code --repo} (disaster recovery): stage every file hash-checked beside the
 * target, then publish the directory with one rename. The target must be new or an empty directory.
 */
public final class OfflineRestore {
    private OfflineRestore() {}

    public static void run(Repository repo, Manifest m, Path target, Progress progress) throws IOException {
        Path t = target.toAbsolutePath().normalize();
        if (Files.exists(t, LinkOption.NOFOLLOW_LINKS)) {
            boolean empty = Files.isDirectory(t, LinkOption.NOFOLLOW_LINKS);
            if (empty) {
                try (DirectoryStream<Path> s = Files.newDirectoryStream(t)) {
                    empty = !s.iterator().hasNext();
                }
            }
            if (!empty) {
                throw new BackupException(ErrorCode.CONFLICT, "restore target " + t + " exists and is not an empty directory; choose a new path");
            }
        }
        DurableFiles.createDirectories(t.getParent());
        Path staging = RestoreSwap.staging(t, "offline-" + UUID.randomUUID().toString().substring(0, 8));
        Files.createDirectory(staging);
        AtomicLong done = new AtomicLong();
        try {
            for (FileEntry f : m.files()) {
                long[] last = {0};
                try {
                    Materializer.writeFile(repo, f, staging, (d, total) -> {
                        progress.report(done.addAndGet(d - last[0]), m.sizeBytes());
                        last[0] = d;
                    });
                } catch (CorruptObjectException e) {
                    throw new BackupException(ErrorCode.VERIFICATION_FAILED, "file " + f.name() + " of backup " + m.id()
                            + " is damaged in the repository (" + e.getMessage() + "); nothing was restored");
                }
            }
            OptionsFile.detachWalDir(staging); // the copy's WAL is in its own directory, not the live wal_dir
            DurableFiles.fsyncDirectory(staging);
            RestoreSwap.publishDirectory(staging, t);
        } finally {
            DurableFiles.deleteTree(staging);
        }
    }
}
