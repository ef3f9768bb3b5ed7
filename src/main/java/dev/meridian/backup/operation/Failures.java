package dev.meridian.backup.operation;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.model.Json;
import dev.meridian.backup.runtime.Blocking;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one mapping from a failed operation to what a gateway answers. Every failure becomes a {@link BackupException}
 * (an unexpected one is {@link ErrorCode#INTERNAL} and is logged with its stack trace); REST sends it as
 * {@link Views.ErrorBody} with {@link ErrorCode#httpStatus()} (and {@code Retry-After: 5} for {@link ErrorCode#BUSY}),
 * MCP as a tool error whose text is {@code [code] message}.
 */
public final class Failures {
    private static final Logger log = LoggerFactory.getLogger(Failures.class);
    /** Seconds a client is asked to wait after a {@link ErrorCode#BUSY} answer. */
    public static final String RETRY_AFTER_SECONDS = "5";

    private Failures() {}

    /**
     * The failure behind {@code t} (completion wrappers removed) as a BackupException.
     *
     * @param what names what failed, for the log and for the message of an unexpected failure (e.g. "request")
     */
    public static BackupException of(Throwable t, String what) {
        BackupException e = BackupException.from(Blocking.cause(t), what + " failed");
        if (e.code() == ErrorCode.INTERNAL) {
            log.error("{} failed: {}", what, e.getMessage(), e.getCause());
        }
        return e;
    }

    public static Views.ErrorBody body(BackupException e) {
        return new Views.ErrorBody(new Views.Error(e.code().wireName(), e.getMessage()));
    }

    /** {@link #body} as JSON bytes. */
    public static byte[] json(BackupException e) {
        try {
            return Json.MAPPER.writeValueAsBytes(body(e));
        } catch (JsonProcessingException x) {
            throw new IllegalStateException("error body could not be encoded", x);
        }
    }

    /** The text of an MCP tool error: {@code [not_found] backup ... does not exist; ...}. */
    public static String toolMessage(BackupException e) {
        return "[" + e.code().wireName() + "] " + e.getMessage();
    }
}
