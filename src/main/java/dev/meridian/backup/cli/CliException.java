package dev.meridian.backup.cli;

/** A failure the CLI reports as one line on stderr with a documented exit code (never a stack trace). */
public final class CliException extends RuntimeException {
    public static final int FAILURE = 1;
    public static final int USAGE = 2;
    public static final int VERIFICATION_FAILED = 3;

    private final int exitCode;

    public CliException(int exitCode, String message) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
