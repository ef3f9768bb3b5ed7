package dev.meridian.backup.mcp;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.ErrorCode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Confirmation tokens expire, belong to one caller, and die with the server's key (a restart). */
class ConfirmationTokensTest {
    final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-11-30T12:00:00Z"));
    final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }
    };
    final ConfirmationTokens tokens = new ConfirmationTokens(Duration.ofMinutes(5), clock);
    final ConfirmationTokens.Binding plan = new ConfirmationTokens.Binding("backup.delete", "alpha",
            List.of("20261130T120000000Z-abcdef"), null, "d1", "ops");

    static String refusal(Runnable r) {
        BackupException e = assertThrows(BackupException.class, r::run);
        assertEquals(ErrorCode.FORBIDDEN, e.code());
        return e.getMessage();
    }

    @Test
    void anExpiredTokenIsRefused() {
        String token = tokens.mint(plan).token();
        now.set(now.get().plus(Duration.ofMinutes(5)));
        String why = refusal(() -> tokens.redeem(token, plan));
        assertTrue(why.startsWith("confirmation token expired at 2026-11-30T12:05:00Z"), why);
        assertTrue(why.contains("Nothing was changed; call backup_delete again without 'confirmation'"), why);
    }

    @Test
    void aTokenBelongsToTheCallerItWasIssuedTo() {
        String token = tokens.mint(plan).token();
        ConfirmationTokens.Binding other = new ConfirmationTokens.Binding("backup.delete", "alpha", plan.backupIds(), null, "d1", "intruder");
        assertTrue(refusal(() -> tokens.redeem(token, other)).contains("issued to another caller"));
        now.set(now.get().plus(Duration.ofMinutes(4)));
        assertDoesNotThrow(() -> tokens.redeem(token, plan), "still valid for its own caller, within the TTL");
        assertTrue(refusal(() -> tokens.redeem(token, plan)).contains("already used"));
    }

    @Test
    void anotherServerKeyRefusesTheToken() {
        String token = tokens.mint(plan).token();
        ConfirmationTokens restarted = new ConfirmationTokens(Duration.ofMinutes(5), clock);
        assertTrue(refusal(() -> restarted.redeem(token, plan)).contains("signature does not match"));
    }

    @Test
    void aRequestStateIsAcceptedOnlyAsARequestStateForItsCallerAndBeforeItExpires() {
        String state = tokens.mint(plan, ConfirmationTokens.Use.REQUEST_STATE).token();
        assertTrue(refusal(() -> tokens.redeem(state, plan)).contains("requestState of an input_required result"));
        String token = tokens.mint(plan).token();
        assertTrue(refusal(() -> tokens.verify(token, ConfirmationTokens.Use.REQUEST_STATE, "backup.delete"))
                .contains("is a plan's confirmation token"));
        ConfirmationTokens.Binding other = new ConfirmationTokens.Binding("backup.delete", "alpha", plan.backupIds(), null, "d1", "intruder");
        assertTrue(refusal(() -> tokens.redeem(state, other, ConfirmationTokens.Use.REQUEST_STATE)).contains("issued to another caller"));
        assertDoesNotThrow(() -> tokens.verify(state, ConfirmationTokens.Use.REQUEST_STATE, "backup.delete"));
        now.set(now.get().plus(Duration.ofMinutes(5)));
        String why = refusal(() -> tokens.verify(state, ConfirmationTokens.Use.REQUEST_STATE, "backup.delete"));
        assertTrue(why.startsWith("requestState expired at"), why);
        assertTrue(why.contains("again without 'requestState'"), why);
    }
}
