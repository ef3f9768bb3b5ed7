package dev.meridian.backup.model;

/** The kinds of failure a caller can act on; each maps to one HTTP status and one MCP tool error. */
public enum ErrorCode {
    INVALID_ARGUMENT(400),
    NOT_FOUND(404),
    CONFLICT(409),
    BUSY(503),
    VERIFICATION_FAILED(422),
    UNAUTHORIZED(401),
    FORBIDDEN(403),
    /** A state-changing HTTP request whose body is not declared as application/json. */
    UNSUPPORTED_MEDIA_TYPE(415),
    TIMEOUT(504),
    /** A filesystem the operation writes to is full (ENOSPC or a quota). */
    INSUFFICIENT_STORAGE(507),
    UNAVAILABLE(503),
    INTERNAL(500);

    private final int httpStatus;

    ErrorCode(int httpStatus) {
        this.httpStatus = httpStatus;
    }

    public int httpStatus() {
        return httpStatus;
    }

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
