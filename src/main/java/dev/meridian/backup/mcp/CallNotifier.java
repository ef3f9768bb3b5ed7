package dev.meridian.backup.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.meridian.backup.model.ProgressUpdate;

/**
 * Sends one tool call's notifications: notifications/progress for the caller's progressToken (bytes done and total,
 * strictly increasing as the spec requires) and notifications/message at or above the session's log level. Once the
 * call's result is ready nothing more is sent, so notifications never follow the response.
 */
final class CallNotifier {
    static final String LOGGER = "meridian-backup";

    private final McpSession session;
    private final JsonNode progressToken;
    private final Outbox out;
    private final String operation;
    private boolean finished;
    private long lastProgress = -1;

    /**
     * @param operation only this engine operation's bytes count as the call's progress; others (the safety backup
     *                  inside a restore) are reported as log steps, so progress stays one monotonic series
     */
    CallNotifier(McpSession session, JsonNode progressToken, Outbox out, String operation) {
        this.session = session;
        this.progressToken = progressToken;
        this.out = out;
        this.operation = operation;
    }

    /** Whether anything could be sent at all; when not, no progress listener is needed. */
    boolean active() {
        return out != null && operation != null && (progressToken != null || wants(LogLevel.INFO));
    }

    synchronized void progress(ProgressUpdate u) {
        if (finished) {
            return;
        }
        if (progressToken != null && u.operation().equals(operation) && u.done() > lastProgress) {
            lastProgress = u.done();
            ObjectNode p = JsonRpc.NODES.objectNode();
            p.set("progressToken", progressToken);
            p.put("progress", u.done());
            if (u.total() > 0) {
                p.put("total", u.total());
            }
            p.put("message", describe(u));
            out.send(JsonRpc.notification("notifications/progress", p));
        }
        if (u.message() != null) {
            log(LogLevel.INFO, describe(u));
        }
    }

    synchronized void log(LogLevel level, String message) {
        if (finished || out == null || !wants(level)) {
            return;
        }
        ObjectNode p = JsonRpc.NODES.objectNode();
        p.put("level", level.wireName());
        p.put("logger", LOGGER);
        p.put("data", message);
        out.send(JsonRpc.notification("notifications/message", p));
    }

    /** Called just before the result is sent; later progress from the engine is dropped. */
    synchronized void finish() {
        finished = true;
    }

    private boolean wants(LogLevel level) {
        LogLevel min = session.logLevel();
        return min != null && level.ordinal() >= min.ordinal();
    }

    private static String describe(ProgressUpdate u) {
        String what = u.operation() + " of " + u.subject() + ": ";
        if (u.message() != null) {
            return what + u.message();
        }
        return what + u.done() + (u.total() > 0 ? " of " + u.total() : "") + " bytes";
    }
}
