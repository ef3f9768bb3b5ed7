package dev.meridian.backup.model;

/**
 * A failure with a message written for the caller: what failed, for which database or backup, and what to do.
 * Everything that reaches REST, MCP or the CLI as an error is one of these.
 */
public class BackupException extends RuntimeException {
    private final ErrorCode code;

    public BackupException(ErrorCode code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public BackupException(ErrorCode code, String message, Throwable cause) {
        super(message, cause, false, false);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }

    public static BackupException invalid(String message) {
        return new BackupException(ErrorCode.INVALID_ARGUMENT, message);
    }

    public static BackupException notFound(String message) {
        return new BackupException(ErrorCode.NOT_FOUND, message);
    }

    /** Wraps anything unexpected so the caller sees a sentence, never a stack trace. */
    public static BackupException from(Throwable t, String context) {
        Throwable cause = t;
        while ((cause instanceof java.util.concurrent.CompletionException
                        || cause instanceof java.util.concurrent.ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof BackupException be) {
            return be;
        }
        if (cause instanceof java.util.concurrent.TimeoutException) {
            return new BackupException(ErrorCode.TIMEOUT, context + ": timed out; the operation may still finish, check the backup list", cause);
        }
        String detail = OsError.describe(cause);
        if (isOutOfSpace(cause)) {
            return new BackupException(ErrorCode.INSUFFICIENT_STORAGE, context + ": " + detail + ". The filesystem is "
                    + "full: free space on the disk that holds the repository (deleted backups free theirs once garbage is "
                    + "collected) or, for a restore, the disk it restores onto, then retry", cause);
        }
        return new BackupException(ErrorCode.INTERNAL, context + ": " + detail, cause);
    }

    /** ENOSPC or EDQUOT anywhere in the chain, as the JDK and RocksDB word them. */
    static boolean isOutOfSpace(Throwable t) {
        return OsError.kindOf(t) == OsError.Kind.NO_SPACE;
    }
}
