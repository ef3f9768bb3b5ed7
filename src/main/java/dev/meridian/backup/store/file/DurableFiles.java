package dev.meridian.backup.store.file;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The one way the service writes a file that must survive a crash whole or not at all, and the directory steps
 * around it: write to a temporary sibling, fsync it, rename it over the target, fsync the directory (POSIX
 * {@code rename(2)} is atomic, but only an fsync of the directory makes the new entry durable). The blob store,
 * the job journal, the fingerprint cache, OPTIONS rewrites and restore's directory swap all use it.
 */
public final class DurableFiles {
    /** Directories created by one thread whose entry in the parent is not fsynced yet. */
    private static final Set<Path> CREATED_NOT_SYNCED = ConcurrentHashMap.newKeySet();

    private DurableFiles() {}

    /**
     * Replaces {@code target} with {@code data}, atomically: a reader sees the old content or the new, never a mix.
     * The temporary file is {@code .<name>.part} beside the target. With {@code durable} the file is fsynced before
     * the rename and the directory after it, so the new content survives a crash once this returns; without, a crash
     * may leave the old content (for caches that can be rebuilt).
     *
     * @throws IOException if any step fails; the temporary file is then removed and the target is unchanged
     */
    public static void write(Path target, byte[] data, boolean durable) throws IOException {
        Path part = target.resolveSibling("." + target.getFileName() + ".part");
        try {
            try (FileChannel ch = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(data);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                if (durable) {
                    ch.force(false);
                }
            }
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(part);
            throw e;
        }
        if (durable) {
            fsyncDirectory(target.getParent());
        }
    }

    /**
     * Renames {@code from} to {@code to} atomically ({@code to} must not exist) and fsyncs the directory of
     * {@code to}, and that of {@code from} when it differs, so the move is durable once this returns.
     */
    public static void rename(Path from, Path to) throws IOException {
        Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        fsyncDirectory(to.getParent());
        if (from.getParent() != null && !from.getParent().equals(to.getParent())) {
            fsyncDirectory(from.getParent());
        }
    }

    /**
     * fsyncs a directory so a rename, create or unlink in it is durable (POSIX needs this; Java can do it on Linux).
     * This is the one place the service syncs a directory. A filesystem that refuses directory fsync (EINVAL or
     * ENOTSUP, as some SMB/CIFS and FUSE filesystems do) is accepted the way restic, borg and syncthing accept it:
     * the call returns, and one warning per filesystem says that a crash may lose the latest renames there.
     *
     * @throws IOException naming the operation and the directory ("fsync of directory /x failed: ...") for any
     *     other failure, with the original exception as its cause
     */
    public static void fsyncDirectory(Path dir) throws IOException {
        fsyncDirectory(dir, DurableFiles::forceDirectory);
    }

    /** The system call behind {@link #fsyncDirectory(Path)}; tests inject failures here. */
    interface DirectorySync {
        void force(Path dir) throws IOException;
    }

    /** Filesystems (by device number, or path when unknown) already warned about, so each is warned once. */
    private static final Set<Object> DIRECTORY_FSYNC_REFUSED = ConcurrentHashMap.newKeySet();

    static void fsyncDirectory(Path dir, DirectorySync sync) throws IOException {
        try {
            sync.force(dir);
        } catch (IOException e) {
            String reason = reason(e);
            if (refusesDirectorySync(reason)) {
                Object filesystem = filesystemOf(dir);
                if (DIRECTORY_FSYNC_REFUSED.add(filesystem)) {
                    org.slf4j.LoggerFactory.getLogger(DurableFiles.class).warn("The filesystem of {} does not support "
                            + "fsync of a directory ({}); continuing without it there. A crash or power loss may undo the "
                            + "latest renames on that filesystem (a backup may then be missing, never half-visible). "
                            + "This is warned once per filesystem", dir, reason);
                }
                return;
            }
            throw new IOException("fsync of directory " + dir + " failed: " + reason, e);
        }
    }

    /** Forgets which filesystems were warned about, so a test can observe the warning again. */
    static void forgetRefusedFilesystems() {
        DIRECTORY_FSYNC_REFUSED.clear();
    }

    private static void forceDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** EINVAL or ENOTSUP/EOPNOTSUPP, as the JDK words them (it reports strerror text, not errno). */
    static boolean refusesDirectorySync(String reason) {
        return reason.contains("Invalid argument") || reason.contains("Operation not supported")
                || reason.contains("Not supported");
    }

    /** The system's reason for a failed call: a FileSystemException's reason, else the message. */
    private static String reason(IOException e) {
        if (e instanceof java.nio.file.FileSystemException fse && fse.getReason() != null) {
            return fse.getReason();
        }
        return dev.meridian.backup.model.OsError.describe(e);
    }

    private static Object filesystemOf(Path dir) {
        try {
            return Files.getAttribute(dir, "unix:dev");
        } catch (IOException | RuntimeException e) {
            return dir.toAbsolutePath().normalize();
        }
    }

    /**
     * Creates a directory and its missing parents, fsyncing each parent that gained an entry. Returns only when
     * the directory's entry is durable, also when another thread created it a moment ago and has not synced yet.
     */
    public static void createDirectories(Path dir) throws IOException {
        Path parent = dir.getParent();
        if (Files.isDirectory(dir)) {
            syncIfAnotherThreadIsCreating(dir, parent);
            return;
        }
        if (parent != null) {
            createDirectories(parent);
        }
        CREATED_NOT_SYNCED.add(dir);
        try {
            try {
                Files.createDirectory(dir);
            } catch (FileAlreadyExistsException e) {
                // Another thread created it; fall through and sync the parent ourselves.
            }
            if (parent != null) {
                fsyncDirectory(parent);
            }
        } finally {
            CREATED_NOT_SYNCED.remove(dir);
        }
    }

    private static void syncIfAnotherThreadIsCreating(Path dir, Path parent) throws IOException {
        if (parent != null && CREATED_NOT_SYNCED.contains(dir)) {
            fsyncDirectory(parent);
        }
    }

    /** Deletes a directory tree (or a file), children first; a missing path is not an error. Not fsynced. */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            List<Path> paths = walk.sorted(Collections.reverseOrder()).toList();
            for (Path p : paths) {
                Files.deleteIfExists(p);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

}
