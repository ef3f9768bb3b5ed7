package dev.meridian.backup.mcp;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Streamable HTTP sessions: bounded in number, ended by DELETE or by idling past the timeout. An ended session
 * is removed outright, so memory follows the live sessions only.
 */
final class McpSessions {
    private final ConcurrentHashMap<String, McpSession> sessions = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();
    private final int max;
    private final long idleTimeoutNanos;

    McpSessions(McpSettings settings) {
        this.max = settings.maxSessions();
        this.idleTimeoutNanos = settings.sessionIdleTimeout().toNanos();
    }

    /** Opens a session with a fresh 256-bit random id, or empty when {@code max} live sessions exist. */
    synchronized Optional<McpSession> open(String protocolVersion, String principal) {
        if (sessions.size() >= max) {
            sweep();
            if (sessions.size() >= max) {
                return Optional.empty();
            }
        }
        McpSession s;
        do {
            s = new McpSession(newId(), protocolVersion, principal);
        } while (sessions.putIfAbsent(s.id(), s) != null);
        return Optional.of(s);
    }

    Optional<McpSession> get(String id) {
        return Optional.ofNullable(sessions.get(id));
    }

    boolean end(String id) {
        return sessions.remove(id) != null;
    }

    /** Ends every session idle past the timeout; runs on a timer and when the table is full. */
    int sweep() {
        long now = System.nanoTime();
        int before = sessions.size();
        sessions.values().removeIf(s -> s.idle(now, idleTimeoutNanos));
        return before - sessions.size();
    }

    int size() {
        return sessions.size();
    }

    private String newId() {
        byte[] b = new byte[32];
        random.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
