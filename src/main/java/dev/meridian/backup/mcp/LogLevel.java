package dev.meridian.backup.mcp;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** MCP log levels (RFC 5424 severities), least severe first, so {@code ordinal()} orders them. */
enum LogLevel {
    DEBUG, INFO, NOTICE, WARNING, ERROR, CRITICAL, ALERT, EMERGENCY;

    String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The level named on the wire, or a -32602 error listing the valid ones. */
    static LogLevel parse(String wire) {
        for (LogLevel l : values()) {
            if (l.wireName().equals(wire)) {
                return l;
            }
        }
        throw new JsonRpcException(JsonRpcException.INVALID_PARAMS, "unknown log level '" + wire + "'; use one of "
                + Arrays.stream(values()).map(LogLevel::wireName).collect(Collectors.joining(", ")));
    }
}
