package dev.meridian.backup.repository;

import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.ErrorCode;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** One writer per repository: an OS file lock on {@code locks/repository.lock}, released when the process dies. */
public final class RepositoryLock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private RepositoryLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    public static RepositoryLock acquire(Path repositoryRoot) throws IOException {
        Path dir = repositoryRoot.resolve("locks");
        Files.createDirectories(dir);
        Path file = dir.resolve("repository.lock");
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            ch.close();
            throw new BackupException(ErrorCode.CONFLICT, "repository " + repositoryRoot
                    + " is in use by another Meridian process; stop it, or use read-only commands (--repo) instead");
        }
        return new RepositoryLock(ch, lock);
    }

    @Override
    public void close() throws IOException {
        lock.release();
        channel.close();
    }
}
