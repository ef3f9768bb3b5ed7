package dev.meridian.backup.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.meridian.backup.runtime.Blocking;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.model.Json;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** JSON responses, and the one mapping from failures to {@code {"error": {"code", "message"}}} with a fitting status. */
public final class Responses {
    private static final Logger log = LoggerFactory.getLogger(Responses.class);

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
        BackupException e = BackupException.from(Blocking.cause(t), "request failed");
        if (e.code() == ErrorCode.INTERNAL) {
            log.error("Request failed: {}", e.getMessage(), e.getCause());
        }
        HttpResponse r = json(e.code().httpStatus(), new Views.ErrorBody(new Views.Error(e.code().wireName(), e.getMessage())));
        if (e.code() == ErrorCode.BUSY) {
            r = r.addHeader(RawHeader.create("Retry-After", "5"));
        }
        return r;
    }

    public static HttpResponse error(ErrorCode code, String message) {
        return error(new BackupException(code, message));
    }

    public static HttpResponse text(String body, String contentType) {
        return HttpResponse.create().withStatus(StatusCodes.OK)
                .withEntity(org.apache.pekko.http.javadsl.model.ContentTypes.parse(contentType),
                        body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
