package dev.meridian.backup.model;

import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * What the operating system said about a failed file operation, as the JDK and RocksDB word it (they report the
 * strerror text, never the errno). Used to name the real cause to a user and to pick the advice that fits it.
 */
public final class OsError {
    /** The causes a user acts on differently. */
    public enum Kind {
        /** ENOSPC or EDQUOT: free space. */
        NO_SPACE,
        /** EROFS: the filesystem is mounted read-only. */
        READ_ONLY,
        /** EACCES or EPERM: the service's user may not do this. */
        PERMISSION,
        OTHER
    }

    private OsError() {}

    /**
     * The message of a failure with its path and reason: the JDK leaves the reason out of several exceptions
     * (an AccessDeniedException's message is the bare path), so it is put back here.
     */
    public static String describe(Throwable t) {
        if (t instanceof FileSystemException fse && fse.getReason() == null) {
            String file = fse.getFile() + (fse.getOtherFile() == null ? "" : " -> " + fse.getOtherFile());
            String reason;
            if (t instanceof AccessDeniedException) {
                reason = "Permission denied";
            } else if (t instanceof NoSuchFileException) {
                reason = "No such file or directory";
            } else if (t instanceof FileAlreadyExistsException) {
                reason = "File exists";
            } else if (t instanceof DirectoryNotEmptyException) {
                reason = "Directory not empty";
            } else if (t instanceof NotDirectoryException) {
                reason = "Not a directory";
            } else {
                reason = t.getClass().getSimpleName();
            }
            return file + ": " + reason;
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    /** The first cause in the chain that has a kind a user acts on, else {@link Kind#OTHER}. */
    public static Kind kindOf(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof AccessDeniedException) {
                return Kind.PERMISSION;
            }
            String m = c.getMessage();
            if (m == null) {
                continue;
            }
            if (m.contains("No space left on device") || m.contains("Disk quota exceeded")) {
                return Kind.NO_SPACE;
            }
            if (m.contains("Read-only file system")) {
                return Kind.READ_ONLY;
            }
            if (m.contains("Permission denied") || m.contains("Operation not permitted")) {
                return Kind.PERMISSION;
            }
        }
        return Kind.OTHER;
    }

    /** One sentence of advice for a kind, naming where ({@code where}, e.g. "the database's filesystem"). */
    public static String advice(Kind kind, String where) {
        return switch (kind) {
            case NO_SPACE -> "free space on " + where + ", then retry";
            case READ_ONLY -> where + " is mounted read-only; remount it read-write or move the data, then retry";
            case PERMISSION -> "the service's user may not write there; fix the ownership or permissions of " + where
                    + ", then retry";
            case OTHER -> "check " + where + " and retry";
        };
    }
}
