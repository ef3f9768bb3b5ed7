package dev.meridian.backup.server;

import dev.meridian.backup.config.Settings;
import dev.meridian.backup.mcp.McpServer;
import dev.meridian.backup.mcp.McpSettings;
import dev.meridian.backup.mcp.McpStdio;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;

/**
 * MCP over stdio with its own engine in this process (the {@code mcp --stdio} verb): a {@link Server} without HTTP,
 * and newline-delimited JSON-RPC on the given streams until the input closes.
 */
public final class McpOverStdio {
    private final Server server;
    private final McpSettings mcp;

    private McpOverStdio(Server server, McpSettings mcp) {
        this.server = server;
        this.mcp = mcp;
    }

    /**
     * Starts the engine (opening and locking the repository).
     *
     * @throws dev.meridian.backup.model.BackupException CONFLICT when another process holds the repository
     */
    public static McpOverStdio start(Settings settings) throws Exception {
        McpSettings mcp = McpSettings.from(settings.config());
        return new McpOverStdio(Server.start(settings, false, engine -> List.of()), mcp);
    }

    /**
     * Serves until {@code in} ends, gives calls still running up to {@code callsAtEof} to finish and be answered,
     * then shuts the engine down.
     */
    public void serve(InputStream in, OutputStream protocol, Duration callsAtEof) throws Exception {
        McpStdio stdio = new McpStdio(new McpServer(server.engine(), mcp), mcp, in, protocol);
        try {
            stdio.run();
            stdio.awaitCalls(callsAtEof);
        } finally {
            server.close();
            stdio.close();
        }
    }
}
