package dev.meridian.backup.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.meridian.backup.model.ProgressUpdate;
import java.time.Duration;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Sends one tool call's notifications: notifications/progress for the caller's progressToken and
 * notifications/message at or above the session's log level. Once the call's result is ready nothing more is sent,
 * so notifications never follow the response.
 *
 * <p>Progress is one strictly increasing series, as the spec requires. Its value is bytes done (for a restore: the
 * restore's bytes plus its safety backup's bytes, and the total is their sum once the safety backup has started).
 * An update that adds no bytes (a step such as "published", a queue position, a heartbeat) is sent as the same bytes
 * plus a fraction below one: 0.5, 0.667, 0.75, ... so the value still rises and stays below the next byte (at
 * terabytes, after about a hundred such updates, double precision runs out and each value is the next representable
 * one, which runs ahead of the bytes by about a quarter byte per thousand updates). While the
 * call has a progressToken, a heartbeat repeats the last state whenever nothing was sent for half the interval, so
 * the gap between two notifications stays under {@code interval}, also while the call waits in a queue.
 */
final class CallNotifier {
    static final String LOGGER = "meridian-backup";

    private final McpSession session;
    private final JsonNode progressToken;
    private final Outbox out;
    private final String operation;
    private final long halfIntervalNanos;
    private final Cancellable heartbeat;
    private boolean finished;
    /** The last value sent; each one sent is above it. */
    private double lastValue = -1;
    /** Bytes of the last update, and how many updates since then added none. */
    private long lastBytes = -1;
    private int sameBytes;
    private long lastTotal;
    private String lastMessage;
    private long lastSentNanos = System.nanoTime();
    /** A restore's inner safety backup: its bytes and total so far, counted into the restore's progress. */
    private long safetyDone;
    private long safetyTotal;
    private long ownDone;
    private long ownTotal;

    /**
     * @param tool      the tool's name as called, for the message sent before the engine reports anything
     * @param operation only this engine operation's updates count as the call's progress, and for "restore" also
     *                  its safety backup's ("backup"); null for a call the engine sends no progress for
     * @param interval  the longest gap between two progress notifications (meridian.mcp.progress-interval)
     * @param system    whose scheduler runs the heartbeat (it only queues a message, never blocks)
     */
    CallNotifier(McpSession session, JsonNode progressToken, Outbox out, String tool, String operation, Duration interval,
            ActorSystem<?> system) {
        this.session = session;
        this.progressToken = progressToken;
        this.out = out;
        this.operation = operation;
        this.halfIntervalNanos = interval.toNanos() / 2;
        this.lastMessage = tool + ": started";
        this.heartbeat = progressToken != null && out != null && system != null
                ? system.scheduler().scheduleAtFixedRate(interval.dividedBy(2), interval.dividedBy(2), this::beat,
                        system.executionContext())
                : null;
    }

    /** The session the call runs in. */
    McpSession session() {
        return session;
    }

    /** Where messages to the client go while the call runs (its SSE stream, or stdout); null when nowhere. */
    Outbox outbox() {
        return out;
    }

    /** Whether anything could be sent at all; when not, no progress listener is needed. */
    boolean active() {
        return out != null && operation != null && (progressToken != null || wants(LogLevel.INFO));
    }

    synchronized void progress(ProgressUpdate u) {
        if (finished) {
            return;
        }
        if (progressToken != null) {
            if (u.operation().equals(operation)) {
                ownDone = u.done();
                ownTotal = u.total();
                send(ownDone + safetyDone, ownTotal > 0 ? ownTotal + safetyTotal : 0, describe(u));
            } else if (operation.equals("restore") && u.operation().equals("backup")) {
                safetyDone = u.done();
                safetyTotal = u.total();
                send(ownDone + safetyDone, ownTotal > 0 ? ownTotal + safetyTotal : 0, "restore: safety " + describe(u));
            }
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

    /** Called just before the result is sent; later progress from the engine is dropped, the heartbeat stops. */
    synchronized void finish() {
        finished = true;
        if (heartbeat != null) {
            heartbeat.cancel();
        }
    }

    /** The heartbeat: repeats the last state if nothing was sent for half the interval. */
    private synchronized void beat() {
        if (!finished && System.nanoTime() - lastSentNanos >= halfIntervalNanos) {
            send(Math.max(lastBytes, 0), lastTotal, lastMessage);
        }
    }

    private void send(long bytes, long total, String message) {
        if (out == null) {
            return;
        }
        double value;
        if (bytes > lastBytes) {
            lastBytes = bytes;
            sameBytes = 0;
            value = bytes;
        } else {
            sameBytes++;
            value = lastBytes + sameBytes / (sameBytes + 1.0);
        }
        if (!(value > lastValue)) {
            value = Math.nextUp(lastValue); // the fraction ran out of precision on a large byte count
        }
        lastValue = value;
        lastTotal = total;
        lastMessage = message;
        lastSentNanos = System.nanoTime();
        ObjectNode p = JsonRpc.NODES.objectNode();
        p.set("progressToken", progressToken);
        if (value == Math.rint(value) && Math.abs(value) < 0x1p53) {
            p.put("progress", (long) value);
        } else {
            p.put("progress", value);
        }
        if (total > 0 && value <= total) {
            p.put("total", total); // left out rather than let a step after the last byte read above 100%
        }
        if (McpServer.hasAnnotations(session.protocolVersion())) {
            p.put("message", message); // added in 2025-03-26
        }
        out.send(JsonRpc.notification("notifications/progress", p));
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
