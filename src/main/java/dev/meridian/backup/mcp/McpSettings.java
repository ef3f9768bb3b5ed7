package dev.meridian.backup.mcp;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import dev.meridian.backup.config.Settings;
import dev.meridian.backup.model.BackupException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Typed {@code meridian.mcp.*} settings, checked once at startup like the rest of the configuration.
 *
 * @param progressInterval the longest a tool call with a progressToken goes without a notifications/progress
 *                         (heartbeats fill the gaps while it waits in a queue or between byte updates)
 */
public record McpSettings(
        ToolNameStyle toolNameStyle,
        int maxSessions,
        Duration sessionIdleTimeout,
        List<String> allowedOrigins,
        List<String> allowedHosts,
        int maxRequestBytes,
        int toolsPageSize,
        Duration progressInterval) {

    public McpSettings {
        allowedOrigins = List.copyOf(allowedOrigins);
        allowedHosts = List.copyOf(allowedHosts);
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
            List<String> origins = new ArrayList<>();
            for (String o : m.getStringList("allowed-origins")) {
                origins.add(origin(o));
            }
            List<String> hosts = new ArrayList<>();
            for (String h : m.getStringList("allowed-hosts")) {
                hosts.add(hostName(h));
            }
            Duration progress = m.getDuration("progress-interval");
            if (progress.toMillis() < 20 || progress.compareTo(Duration.ofSeconds(30)) > 0) {
                throw BackupException.invalid("meridian.mcp.progress-interval must be between 20ms and 30s (clients "
                        + "commonly give up after 60s without progress), got " + progress);
            }
            Config meridian = root.getConfig("meridian");
            return new McpSettings(style, Settings.positive(meridian, "mcp.max-sessions"), idle, origins, hosts, (int) maxBytes,
                    Settings.positive(meridian, "mcp.tools-page-size"), progress);
        } catch (ConfigException e) {
            throw BackupException.invalid("configuration is invalid: " + e.getMessage());
        }
    }

    /** An allow-list origin: scheme://host or scheme://host:port, lower case, no path. */
    private static String origin(String raw) {
        try {
            URI u = new URI(raw);
            if (u.getScheme() == null || u.getHost() == null || (u.getPath() != null && !u.getPath().isEmpty())) {
                throw new URISyntaxException(raw, "not scheme://host[:port]");
            }
            return raw.toLowerCase(Locale.ROOT);
        } catch (URISyntaxException e) {
            throw BackupException.invalid("meridian.mcp.allowed-origins: '" + raw
                    + "' is not an origin; write scheme://host or scheme://host:port, e.g. https://agent.example.com");
        }
    }

    /** Host names are compared without port and without IPv6 brackets. */
    static String hostName(String raw) {
        String h = raw.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (h.isEmpty() || h.contains("/")) {
            throw BackupException.invalid("meridian.mcp.allowed-hosts: '" + raw + "' is not a host name; write e.g. backup.internal");
        }
        return h;
    }
}
