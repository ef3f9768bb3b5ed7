package dev.meridian.backup.operation;

import dev.meridian.backup.config.Settings;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.ErrorCode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;

/**
 * Bearer-token checks for REST and MCP over HTTP, on the value of the {@code Authorization} header. With no tokens
 * configured everything is allowed (the server binds to loopback by default). A missing or unknown token is
 * {@link ErrorCode#UNAUTHORIZED} (401); a token without the needed scope is {@link ErrorCode#FORBIDDEN} (403,
 * {@code insufficient_scope}). Each refusal carries the {@code WWW-Authenticate} value to send with it.
 */
public final class Access {
    private final List<Settings.AuthToken> tokens;

    /** Why a request may not proceed, and the {@code WWW-Authenticate} header value that goes with the answer. */
    public record Denial(BackupException error, String challenge) {}

    public Access(List<Settings.AuthToken> tokens) {
        this.tokens = List.copyOf(tokens);
    }

    /**
     * Empty if a request with this {@code Authorization} header (empty when absent) may do what needs {@code needed}.
     */
    public Optional<Denial> check(Optional<String> authorization, Settings.Scope needed) {
        if (tokens.isEmpty()) {
            return Optional.empty();
        }
        if (authorization.isEmpty() || !authorization.get().regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Optional.of(unauthorized("invalid_request", "this server requires 'Authorization: Bearer <token>'"));
        }
        Settings.AuthToken match = match(authorization.get());
        if (match == null) {
            return Optional.of(unauthorized("invalid_token", "the bearer token is not recognized"));
        }
        if (!match.grants(needed)) {
            return Optional.of(new Denial(new BackupException(ErrorCode.FORBIDDEN, "token '" + match.name() + "' lacks the '"
                    + needed.wireName() + "' scope needed here (insufficient_scope)"),
                    "Bearer error=\"insufficient_scope\", scope=\"" + needed.wireName() + "\""));
        }
        return Optional.empty();
    }

    /** The name of the known token a request presents (MCP binds its sessions to it); empty when there is none. */
    public Optional<String> tokenName(Optional<String> authorization) {
        return authorization.filter(v -> v.regionMatches(true, 0, "Bearer ", 0, 7))
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

    private static Denial unauthorized(String error, String message) {
        return new Denial(new BackupException(ErrorCode.UNAUTHORIZED, message),
                "Bearer realm=\"meridian\", error=\"" + error + "\"");
    }
}
