package dev.meridian.backup.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.model.Json;
import dev.meridian.backup.operation.Access;
import dev.meridian.backup.operation.Failures;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * JSON responses, and failures as HTTP: {@link Failures}' mapping to {@code {"error": {"code", "message"}}} with the
 * code's status.
 */
public final class Responses {
    private Responses() {}

    public static HttpResponse json(int status, Object body) {
        try {
            return HttpResponse.create().withStatus(status)
                    .withEntity(ContentTypes.APPLICATION_JSON, Json.MAPPER.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            return error(new BackupException(ErrorCode.INTERNAL, "response could not be encoded: " + e.getOriginalMessage()));
        }
    }

    public static HttpResponse error(Throwable t) {
        BackupException e = Failures.of(t, "request");
        HttpResponse r = json(e.code().httpStatus(), Failures.body(e));
        if (e.code() == ErrorCode.BUSY) {
            r = r.addHeader(RawHeader.create("Retry-After", Failures.RETRY_AFTER_SECONDS));
        }
        return r;
    }

    public static HttpResponse error(ErrorCode code, String message) {
        return error(new BackupException(code, message));
    }

    /** A refused bearer token: 401 or 403 with its {@code WWW-Authenticate} challenge. */
    public static HttpResponse denied(Access.Denial d) {
        return error(d.error()).addHeader(RawHeader.create("WWW-Authenticate", d.challenge()));
    }

    public static HttpResponse text(String body, String contentType) {
        return HttpResponse.create().withStatus(StatusCodes.OK)
                .withEntity(org.apache.pekko.http.javadsl.model.ContentTypes.parse(contentType),
                        body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
