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

    /**
     * The documented exit code for an error code (README, "Exit codes"): 2 for invalid input, which includes naming a
     * backup, database or repository that does not exist; 3 for a verification that found damage; 1 otherwise.
     * {@code wireName} is the code as the REST API spells it ({@code not_found}); an unknown or absent one is 1.
     */
    public static int exitCodeFor(String wireName) {
        for (dev.meridian.backup.model.ErrorCode c : dev.meridian.backup.model.ErrorCode.values()) {
            if (c.wireName().equals(wireName)) {
                return switch (c) {
                    case INVALID_ARGUMENT, NOT_FOUND -> USAGE;
                    case VERIFICATION_FAILED -> VERIFICATION_FAILED;
                    default -> FAILURE;
                };
            }
        }
        return FAILURE;
    }
}
