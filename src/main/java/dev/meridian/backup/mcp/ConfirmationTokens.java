package dev.meridian.backup.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.ErrorCode;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * One-time confirmation tokens for destructive MCP tool calls: minted by the server into a plan, passed back by the
 * client as the call's {@code confirmation} argument, and accepted once.
 *
 * <p>The same tokens serve as the signed {@code requestState} of a 2026-07-28 {@code input_required} result (MCP
 * 2026-07-28, basic/patterns/mrtr, Server Requirements 4 and 5: integrity-protected, bound to the principal, a short
 * expiry and the originating request, and single-use enforced here). A token says which of the two it is ({@link Use}),
 * and is accepted only for that use: a model cannot skip an elicitation by passing its requestState as the
 * {@code confirmation} argument.
 *
 * <p>Format: {@code mcf1.<payload>.<mac>}, both parts base64url without padding. The payload is compact JSON
 * {@code {"tool","database","backup_ids","target","digest","principal","use","expires_at" (ms since the epoch, UTC),
 * "nonce"}}; the MAC is HMAC-SHA256 (RFC 2104, FIPS 198-1) of the payload's bytes under a 256-bit key drawn from
 * {@link SecureRandom} when this object is made. The key is never stored, so a server restart invalidates every
 * token, which is the safe direction. Redeeming checks, in order: the format, the MAC (a forged or edited token),
 * the expiry, the use, that the token is bound to exactly the plan the call would carry out now ({@link Binding}: tool,
 * database, backup ids, target, the plan's digest, and the bearer-token name), and that its nonce was not redeemed
 * before (replay). Each failure is a {@link ErrorCode#FORBIDDEN} {@link BackupException} that says why and what to
 * do; the nonce is recorded only when every check passed.
 *
 * <p>Memory: one entry per redeemed token until it would have expired anyway.
 */
final class ConfirmationTokens {
    static final String PREFIX = "mcf1.";
    private static final String ALGORITHM = "HmacSHA256";

    /**
     * What a token is bound to: a confirmed call must carry out this exact plan.
     *
     * @param tool      the dotted tool name, e.g. {@code backup.delete}
     * @param database  the database whose data is replaced or whose backups are deleted
     * @param backupIds the backups involved (restored, deleted, or predicted to be deleted by retention), sorted
     * @param target    the restore target as given (null: the live database the backup came from), else null
     * @param digest    hex SHA-256 over what the plan was computed from (manifest hashes, the backup set)
     * @param principal the bearer-token name of the caller, or null without authentication
     */
    record Binding(String tool, String database, List<String> backupIds, String target, String digest, String principal) {
        Binding {
            backupIds = List.copyOf(backupIds);
        }
    }

    /** What a token is handed out as, and so the only way it is accepted back. */
    enum Use {
        /** The {@code confirmation.token} of a plan, passed back as the tool's {@code confirmation} argument. */
        CONFIRMATION("confirmation"),
        /** The {@code requestState} of an {@code input_required} result, echoed with the elicitation's answer. */
        REQUEST_STATE("request_state");

        final String wire;

        Use(String wire) {
            this.wire = wire;
        }
    }

    /** A minted token and when it stops being accepted (UTC). */
    record Minted(String token, Instant expiresAt) {}

    private final SecretKeySpec key;
    private final Duration ttl;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    /** Redeemed nonces and their tokens' expiry (ms); entries past it are dropped, since the token is dead anyway. */
    private final ConcurrentHashMap<String, Long> redeemed = new ConcurrentHashMap<>();

    ConfirmationTokens(Duration ttl, Clock clock) {
        byte[] k = new byte[32];
        random.nextBytes(k);
        this.key = new SecretKeySpec(k, ALGORITHM);
        this.ttl = ttl;
        this.clock = clock;
    }

    Minted mint(Binding b) {
        return mint(b, Use.CONFIRMATION);
    }

    Minted mint(Binding b, Use use) {
        byte[] nonce = new byte[16];
        random.nextBytes(nonce);
        Instant expires = clock.instant().plus(ttl);
        ObjectNode p = JsonRpc.NODES.objectNode();
        p.put("tool", b.tool());
        p.put("database", b.database());
        b.backupIds().forEach(p.putArray("backup_ids")::add);
        p.put("target", b.target());
        p.put("digest", b.digest());
        p.put("principal", b.principal());
        p.put("use", use.wire);
        p.put("expires_at", expires.toEpochMilli());
        p.put("nonce", Base64.getUrlEncoder().withoutPadding().encodeToString(nonce));
        byte[] payload = JsonRpc.write(p).getBytes(StandardCharsets.UTF_8);
        Base64.Encoder enc = Base64.getUrlEncoder().withoutPadding();
        return new Minted(PREFIX + enc.encodeToString(payload) + "." + enc.encodeToString(mac(payload)), expires);
    }

    /**
     * Accepts {@code token} once for the plan {@code expected}, as a {@link Use#CONFIRMATION} token, or throws a
     * forbidden {@link BackupException} naming what is wrong; nothing is recorded then.
     */
    void redeem(String token, Binding expected) {
        redeem(token, expected, Use.CONFIRMATION);
    }

    /** As {@link #redeem(String, Binding)}, for a token handed out as {@code use}. */
    void redeem(String token, Binding expected, Use use) {
        String again = again(expected.tool(), use);
        JsonNode p = checked(token, use, again);
        List<String> ids = new ArrayList<>();
        p.path("backup_ids").forEach(id -> ids.add(id.asText()));
        Binding got = new Binding(p.path("tool").asText(), text(p, "database"), ids, text(p, "target"), text(p, "digest"),
                text(p, "principal"));
        String mismatch = mismatch(got, expected);
        if (mismatch != null) {
            throw refused(what(use) + " does not match this call: " + mismatch + "." + again);
        }
        long now = clock.millis();
        long expiresAt = p.path("expires_at").asLong();
        redeemed.values().removeIf(exp -> exp <= now);
        if (redeemed.putIfAbsent(p.path("nonce").asText(), expiresAt) != null) {
            throw refused(what(use) + " was already used; each one confirms one call." + again);
        }
    }

    /**
     * Checks what can be checked without the plan: that {@code token} is well formed, was minted here and is
     * unaltered (its MAC), has not expired, and was handed out as {@code use}. Returns its payload.
     *
     * @throws BackupException {@link ErrorCode#FORBIDDEN}, saying which check failed and what to do
     */
    JsonNode verify(String token, Use use, String tool) {
        return checked(token, use, again(tool, use));
    }

    private JsonNode checked(String token, Use use, String again) {
        String[] parts = token.startsWith(PREFIX) ? token.substring(PREFIX.length()).split("\\.", -1) : new String[0];
        byte[] payload;
        byte[] mac;
        try {
            if (parts.length != 2) {
                throw new IllegalArgumentException("not two parts");
            }
            payload = Base64.getUrlDecoder().decode(parts[0]);
            mac = Base64.getUrlDecoder().decode(parts[1]);
        } catch (IllegalArgumentException e) {
            throw refused(use == Use.CONFIRMATION ? "confirmation is not a token this server issued (expected the 'token' "
                    + "of a plan, " + PREFIX + "...)." + again : "requestState is not one this server issued." + again);
        }
        if (!MessageDigest.isEqual(mac(payload), mac)) {
            throw refused(what(use) + " was not issued by this server or was altered (its signature does not match; "
                    + "those from before a server restart are no longer valid)." + again);
        }
        JsonNode p = JsonRpc.read(new String(payload, StandardCharsets.UTF_8));
        long expiresAt = p.path("expires_at").asLong();
        if (clock.millis() >= expiresAt) {
            throw refused(what(use) + " expired at " + Instant.ofEpochMilli(expiresAt) + " (accepted for "
                    + "meridian.mcp.confirmation-ttl = " + ttl + ")." + again);
        }
        String issuedAs = p.path("use").asText(Use.CONFIRMATION.wire);
        if (!issuedAs.equals(use.wire)) {
            throw refused(use == Use.CONFIRMATION
                    ? "confirmation is the requestState of an input_required result, not a plan's token: echo it as "
                            + "requestState with the user's elicitation answer in inputResponses." + again
                    : "requestState is a plan's confirmation token: pass it as the 'confirmation' argument instead." + again);
        }
        return p;
    }

    private static String what(Use use) {
        return use == Use.CONFIRMATION ? "confirmation token" : "requestState";
    }

    private static String again(String tool, Use use) {
        return " Nothing was changed; call " + McpSettings.ToolNameStyle.UNDERSCORE.apply(tool) + " again without '"
                + (use == Use.CONFIRMATION ? "confirmation'" : "requestState'") + " for a new plan.";
    }

    private static String mismatch(Binding got, Binding want) {
        if (!got.tool().equals(want.tool())) {
            return "it was issued for " + got.tool() + ", not " + want.tool();
        } else if (!Objects.equals(got.database(), want.database())) {
            return "it was issued for database '" + got.database() + "', not '" + want.database() + "'";
        } else if (!got.backupIds().equals(want.backupIds())) {
            return "it was issued for backup(s) " + got.backupIds() + ", and this call involves " + want.backupIds();
        } else if (!Objects.equals(got.target(), want.target())) {
            return "it was issued for target " + (got.target() == null ? "(the live database)" : got.target())
                    + ", not " + (want.target() == null ? "(the live database)" : want.target());
        } else if (!Objects.equals(got.principal(), want.principal())) {
            return "it was issued to another caller (bearer token)";
        } else if (!Objects.equals(got.digest(), want.digest())) {
            return "what the plan was computed from has changed since (a backup was added, deleted or rewritten, or "
                    + "an option such as create_safety_backup differs)";
        }
        return null;
    }

    private static String text(JsonNode p, String field) {
        JsonNode v = p.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private byte[] mac(byte[] payload) {
        try {
            Mac m = Mac.getInstance(ALGORITHM);
            m.init(key);
            return m.doFinal(payload);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available in this JVM", e);
        }
    }

    private static BackupException refused(String message) {
        return new BackupException(ErrorCode.FORBIDDEN, message);
    }
}
