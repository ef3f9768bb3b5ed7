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
 * @param destructive      {@code meridian.mcp.destructive}: what a destructive tool call does ({@link Destructive})
 * @param readOnly         {@code meridian.mcp.read-only}: list and run only the read tools (list, get_stats, verify)
 * @param confirmationTtl  {@code meridian.mcp.confirmation-ttl}: how long a plan's confirmation token is accepted,
 *                         and how long the server waits for an elicitation answer (10s to 1h)
 */
public record McpSettings(
        ToolNameStyle toolNameStyle,
        int maxSessions,
        Duration sessionIdleTimeout,
        int maxRequestBytes,
        int toolsPageSize,
        Duration progressInterval,
        Destructive destructive,
        boolean readOnly,
        Duration confirmationTtl) {

    /**
     * What a call to a destructive MCP tool (restore over a live database, delete, create_scheduled's retention) does:
     * run at once ({@code allow}, as before), return a plan and act only once it is confirmed ({@code confirm}, the
     * default; see {@code DestructivePolicy}), or neither list nor run it ({@code deny}). REST and the CLI are not
     * affected: they keep their own scopes and {@code --yes}.
     */
    public enum Destructive {
        ALLOW, CONFIRM, DENY
    }

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
            String rawDestructive = m.getString("destructive");
            Destructive destructive;
            try {
                destructive = Destructive.valueOf(rawDestructive.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw BackupException.invalid("meridian.mcp.destructive '" + rawDestructive + "' is not known; use allow "
                        + "(destructive tools run at once), confirm (they return a plan to confirm first) or deny "
                        + "(they are not offered)");
            }
            Duration ttl = m.getDuration("confirmation-ttl");
            if (ttl.compareTo(Duration.ofSeconds(10)) < 0 || ttl.compareTo(Duration.ofHours(1)) > 0) {
                throw BackupException.invalid("meridian.mcp.confirmation-ttl must be between 10s and 1h, got " + ttl);
            }
            Config meridian = root.getConfig("meridian");
            return new McpSettings(style, Settings.positive(meridian, "mcp.max-sessions"), idle, (int) maxBytes,
                    Settings.positive(meridian, "mcp.tools-page-size"), progress, destructive, m.getBoolean("read-only"),
                    ttl);
        } catch (ConfigException e) {
            throw BackupException.invalid("configuration is invalid: " + e.getMessage());
        }
    }
}
