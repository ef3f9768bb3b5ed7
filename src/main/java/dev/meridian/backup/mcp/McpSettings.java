package dev.meridian.backup.mcp;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import dev.meridian.backup.config.Settings;
import dev.meridian.backup.model.BackupException;
import java.time.Duration;
import java.util.Locale;

/**
 * Typed {@code meridian.mcp.*} settings, checked once at startup like the rest of the configuration. The deprecated
 * {@code meridian.mcp.allowed-hosts} / {@code allowed-origins} are read by {@code http.OriginPolicy},
 * which applies them to every HTTP route.
 *
 * @param progressInterval the longest a tool call with a progressToken goes without a notifications/progress
 *                         (heartbeats fill the gaps while it waits in a queue or between byte updates)
 */
public record McpSettings(
        ToolNameStyle toolNameStyle,
        int maxSessions,
        Duration sessionIdleTimeout,
        int maxRequestBytes,
        int toolsPageSize,
        Duration progressInterval) {

    /**
     * How tools/list spells tool names: {@code backup_create} (the default; it matches {@code ^[a-zA-Z0-9_-]{1,64}$},
     * which several hosts and model APIs require) or the dotted {@code backup.create}. tools/call accepts both.
     */
    public enum ToolNameStyle {
        DOT, UNDERSCORE;

        String apply(String dotted) {
            return this == DOT ? dotted : dotted.replace('.', '_');
        }
    }

    public static McpSettings from(Config root) {
        try {
            Config m = root.getConfig("meridian.mcp");
            ToolNameStyle style;
            String rawStyle = m.getString("tool-name-style");
            try {
                style = ToolNameStyle.valueOf(rawStyle.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw BackupException.invalid("meridian.mcp.tool-name-style '" + rawStyle + "' is not known; use dot or underscore");
            }
            Duration idle = m.getDuration("session-idle-timeout");
            if (idle.isNegative() || idle.isZero()) {
                throw BackupException.invalid("meridian.mcp.session-idle-timeout must be positive, e.g. 30m");
            }
            long maxBytes = m.getBytes("max-request-size");
            if (maxBytes < 1024 || maxBytes > 64L * 1024 * 1024) {
                throw BackupException.invalid("meridian.mcp.max-request-size must be between 1KiB and 64MiB, got " + maxBytes);
            }
            Duration progress = m.getDuration("progress-interval");
            if (progress.toMillis() < 20 || progress.compareTo(Duration.ofSeconds(30)) > 0) {
                throw BackupException.invalid("meridian.mcp.progress-interval must be between 20ms and 30s (clients "
                        + "commonly give up after 60s without progress), got " + progress);
            }
            Config meridian = root.getConfig("meridian");
            return new McpSettings(style, Settings.positive(meridian, "mcp.max-sessions"), idle, (int) maxBytes,
                    Settings.positive(meridian, "mcp.tools-page-size"), progress);
        } catch (ConfigException e) {
            throw BackupException.invalid("configuration is invalid: " + e.getMessage());
        }
    }
}
