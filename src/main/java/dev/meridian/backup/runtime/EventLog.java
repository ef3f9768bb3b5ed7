package dev.meridian.backup.runtime;

import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupType;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.MDC;

/**
 * One log line per lifecycle event (queued, started, checkpointed, published, verified, restored, deleted,
 * retention, failed), with database, backup id, type, bytes and duration both in the MDC (for JSON logs) and in
 * the message (for people).
 */
public final class EventLog {
    private final Logger log;
    private final Map<String, String> fields = new LinkedHashMap<>();

    private EventLog(Logger log, String event) {
        this.log = log;
        fields.put("event", event);
    }

    public static EventLog event(Logger log, String event) {
        return new EventLog(log, event);
    }

    public EventLog database(String db) {
        return put("database", db);
    }

    public EventLog backup(BackupId id) {
        return put("backup_id", id == null ? null : id.value());
    }

    public EventLog type(BackupType type) {
        return put("type", type == null ? null : type.wireName());
    }

    public EventLog bytes(long bytes) {
        return put("bytes", Long.toString(bytes));
    }

    public EventLog durationMs(long ms) {
        return put("duration_ms", Long.toString(ms));
    }

    public EventLog field(String key, Object value) {
        return put(key, value == null ? null : value.toString());
    }

    private EventLog put(String k, String v) {
        if (v != null) {
            fields.put(k, v);
        }
        return this;
    }

    public void info(String message) {
        emit(false, message);
    }

    public void warn(String message) {
        emit(true, message);
    }

    private void emit(boolean warn, String message) {
        StringBuilder line = new StringBuilder(message);
        fields.forEach((k, v) -> {
            if (!k.equals("event")) {
                line.append(' ').append(k).append('=').append(v);
            }
        });
        fields.forEach(MDC::put);
        try {
            if (warn) {
                log.warn("[{}] {}", fields.get("event"), line);
            } else {
                log.info("[{}] {}", fields.get("event"), line);
            }
        } finally {
            fields.keySet().forEach(MDC::remove);
        }
    }
}
