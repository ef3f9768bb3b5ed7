package dev.meridian.backup.http;

import dev.meridian.backup.config.Settings;
import dev.meridian.backup.model.ErrorCode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * Bearer-token checks for REST and MCP over HTTP. With no tokens configured everything is allowed (the server
 * binds to loopback by default). Missing or unknown token: 401 with {@code WWW-Authenticate: Bearer}; a token
 * without the needed scope: 403 {@code insufficient_scope}.
 */
public final class Auth {
    private final List<Settings.AuthToken> tokens;

    public Auth(List<Settings.AuthToken> tokens) {
        this.tokens = List.copyOf(tokens);
    }

    public boolean enabled() {
        return !tokens.isEmpty();
    }

    /** Empty if the request may proceed; otherwise the response to send. */
    public Optional<HttpResponse> check(HttpRequest request, Settings.Scope needed) {
        if (tokens.isEmpty()) {
            return Optional.empty();
        }
        Optional<String> header = request.getHeader("Authorization").map(h -> h.value());
        if (header.isEmpty() || !header.get().regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Optional.of(unauthorized("invalid_request", "this server requires 'Authorization: Bearer <token>'"));
        }
        Settings.AuthToken match = match(header.get());
        if (match == null) {
            return Optional.of(unauthorized("invalid_token", "the bearer token is not recognized"));
        }
        if (!match.grants(needed)) {
            return Optional.of(Responses.error(ErrorCode.FORBIDDEN, "token '" + match.name() + "' lacks the '"
                    + needed.wireName() + "' scope needed here (insufficient_scope)")
                    .addHeader(RawHeader.create("WWW-Authenticate", "Bearer error=\"insufficient_scope\", scope=\"" + needed.wireName() + "\"")));
        }
        return Optional.empty();
    }

    /** The name of the known token a request presents (MCP binds its sessions to it); empty when there is none. */
    public Optional<String> tokenName(HttpRequest request) {
        return request.getHeader("Authorization").map(h -> h.value())
                .filter(v -> v.regionMatches(true, 0, "Bearer ", 0, 7))
                .map(this::match).map(Settings.AuthToken::name);
    }

    private Settings.AuthToken match(String authorization) {
        byte[] presented = authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        Settings.AuthToken match = null;
        for (Settings.AuthToken t : tokens) {
            // Compare every token in constant time so timing does not reveal which prefix matched.
            if (MessageDigest.isEqual(presented, t.token().getBytes(StandardCharsets.UTF_8))) {
                match = t;
            }
        }
        return match;
    }

    private static HttpResponse unauthorized(String error, String message) {
        return Responses.error(ErrorCode.UNAUTHORIZED, message)
                .addHeader(RawHeader.create("WWW-Authenticate", "Bearer realm=\"meridian\", error=\"" + error + "\""));
    }
}
