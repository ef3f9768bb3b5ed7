package dev.meridian.backup.http;

import dev.meridian.backup.model.ErrorCode;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;

/**
 * Answers requests too malformed to reach the routes (a bad request target, an oversized header or URI, an
 * unreadable Content-Length) with the same JSON error body as every other failure, instead of Pekko's plain text.
 * Configured by {@code pekko.http.server.parsing.error-handler}.
 */
public final class JsonParsingErrorHandler extends ParsingErrorHandler {

    @Override
    public HttpResponse handle(StatusCode status, ErrorInfo error, LoggingAdapter log, ServerSettings settings) {
        String summary = error.summary() == null || error.summary().isBlank() ? status.reason() : error.summary();
        return Responses.error(ErrorCode.INVALID_ARGUMENT, "the request could not be parsed: " + summary)
                .withStatus(status.intValue());
    }
}
