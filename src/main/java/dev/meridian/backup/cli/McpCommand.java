package dev.meridian.backup.cli;

import dev.meridian.backup.config.Settings;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.server.McpOverStdio;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "mcp", description = {
        "Serve MCP (Model Context Protocol) on stdin/stdout, for agents that launch the server themselves.",
        "Runs the engine in this process, so it needs a repository no other Meridian process is using; to share a "
                + "running 'serve', point the agent at its HTTP endpoint http://HOST:PORT/mcp instead."})
final class McpCommand implements Callable<Integer> {
    /** How long calls still running when stdin closes get to finish and be answered before shutdown. */
    private static final Duration CALLS_AT_EOF = Duration.ofSeconds(60);

    @Option(names = "--stdio", required = true,
            description = "Speak newline-delimited JSON-RPC 2.0 on stdin/stdout; logs go to stderr. Ends when stdin closes.")
    boolean stdio;

    @Option(names = "--config", paramLabel = "FILE",
            description = "HOCON file with settings over the embedded defaults (its own meridian.repository.path).")
    Path config;

    @Override
    public Integer call() throws Exception {
        // stdout carries protocol messages only; anything else that prints is sent to stderr.
        OutputStream protocol = new FileOutputStream(FileDescriptor.out);
        System.setOut(System.err);
        Settings settings = ServeCommand.loadSettings(Optional.ofNullable(config));
        start(settings).serve(System.in, protocol, CALLS_AT_EOF);
        return 0;
    }

    private static McpOverStdio start(Settings settings) throws Exception {
        try {
            return McpOverStdio.start(settings);
        } catch (BackupException e) {
            if (e.code() == ErrorCode.CONFLICT) {
                throw new CliException(CliException.FAILURE, e.getMessage() + ". MCP over stdio runs its own engine and "
                        + "needs a repository and databases of its own: pass --config FILE with another "
                        + "meridian.repository.path, or connect the agent to the running server at http://HOST:PORT/mcp");
            }
            throw e;
        }
    }
}
