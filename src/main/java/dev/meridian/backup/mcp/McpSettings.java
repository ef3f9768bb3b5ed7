package dev.meridian.backup.mcp;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import dev.meridian.backup.config.Settings;
import dev.meridian.backup.model.BackupException;
import java.time.Duration;
import java.util.Locale;

/**
 * Typed {@code meridian.mcp.*} settings, checked once at startup like the rest of the configuration. The deprecated
 * {@code meridian.mcp.allowed-hosts} / {@code allowed-origins} are read by {@link dev.meridian.backup.http.OriginPolicy},
 * which applies them to every HTTP route.
 */
public record McpSettings(
        ToolNameStyle toolNameStyle,
        int maxSessions,
        Duration sessionIdleTimeout,
        int maxRequestBytes,
        int toolsPageSize) {

    /** How tool names are spelled: {@code backup.create} or, for clients that reject dots, {@code backup_create}. */
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
            Config meridian = root.getConfig("meridian");
            return new McpSettings(style, Settings.positive(meridian, "mcp.max-sessions"), idle, (int) maxBytes,
                    Settings.positive(meridian, "mcp.tools-page-size"));
        } catch (ConfigException e) {
            throw BackupException.invalid("configuration is invalid: " + e.getMessage());
        }
    }
}
