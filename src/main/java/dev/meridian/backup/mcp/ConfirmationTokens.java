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
 * <p>Format: {@code mcf1.<payload>.<mac>}, both parts base64url without padding. The payload is compact JSON
 * {@code {"tool","database","backup_ids","target","digest","principal","expires_at" (ms since the epoch, UTC),
 * "nonce"}}; the MAC is HMAC-SHA256 (RFC 2104, FIPS 198-1) of the payload's bytes under a 256-bit key drawn from
 * {@link SecureRandom} when this object is made. The key is never stored, so a server restart invalidates every
 * token, which is the safe direction. Redeeming checks, in order: the format, the MAC (a forged or edited token),
 * the expiry, that the token is bound to exactly the plan the call would carry out now ({@link Binding}: tool,
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
        p.put("expires_at", expires.toEpochMilli());
        p.put("nonce", Base64.getUrlEncoder().withoutPadding().encodeToString(nonce));
        byte[] payload = JsonRpc.write(p).getBytes(StandardCharsets.UTF_8);
        Base64.Encoder enc = Base64.getUrlEncoder().withoutPadding();
        return new Minted(PREFIX + enc.encodeToString(payload) + "." + enc.encodeToString(mac(payload)), expires);
    }

    /**
     * Accepts {@code token} once for the plan {@code expected}, or throws a forbidden {@link BackupException} naming
     * what is wrong; nothing is recorded then.
     */
    void redeem(String token, Binding expected) {
        String again = " Nothing was changed; call " + McpSettings.ToolNameStyle.UNDERSCORE.apply(expected.tool())
                + " again without 'confirmation' for a new plan and token.";
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
            throw refused("confirmation is not a token this server issued (expected the 'token' of a plan, " + PREFIX
                    + "...)." + again);
        }
        if (!MessageDigest.isEqual(mac(payload), mac)) {
            throw refused("confirmation token was not issued by this server or was altered (its signature does not "
                    + "match; tokens from before a server restart are no longer valid)." + again);
        }
        JsonNode p = JsonRpc.read(new String(payload, StandardCharsets.UTF_8));
        long expiresAt = p.path("expires_at").asLong();
        if (clock.millis() >= expiresAt) {
            throw refused("confirmation token expired at " + Instant.ofEpochMilli(expiresAt) + " (tokens are accepted "
                    + "for meridian.mcp.confirmation-ttl = " + ttl + ")." + again);
        }
        List<String> ids = new ArrayList<>();
        p.path("backup_ids").forEach(id -> ids.add(id.asText()));
        Binding got = new Binding(p.path("tool").asText(), text(p, "database"), ids, text(p, "target"), text(p, "digest"),
                text(p, "principal"));
        String mismatch = mismatch(got, expected);
        if (mismatch != null) {
            throw refused("confirmation token does not match this call: " + mismatch + "." + again);
        }
        long now = clock.millis();
        redeemed.values().removeIf(exp -> exp <= now);
        if (redeemed.putIfAbsent(p.path("nonce").asText(), expiresAt) != null) {
            throw refused("confirmation token was already used; each token confirms one call." + again);
        }
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
