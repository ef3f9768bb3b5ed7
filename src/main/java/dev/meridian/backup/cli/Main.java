package dev.meridian.backup.cli;

import dev.meridian.backup.app.Engine;
import dev.meridian.backup.config.Settings;
import dev.meridian.backup.mcp.McpHttpRoute;
import dev.meridian.backup.mcp.McpSettings;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.ErrorCode;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.http.javadsl.server.Route;
import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "meridian-backup", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, version = "meridian-backup 0.1.0",
        description = "Backup and restore for RocksDB: content-addressed, Blake3-checked, deduplicated.",
        subcommands = {ServeCommand.class, CreateCommand.class, ListCommand.class, ShowCommand.class, VerifyCommand.class,
                RestoreCommand.class, DeleteCommand.class, StatsCommand.class, RetentionCommand.class, BenchCommand.class,
                McpCommand.class},
        footer = {"", "Exit codes: 0 ok, 1 failure, 2 usage or invalid input, 3 verification failed."})
public final class Main {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            Throwable t = dev.meridian.backup.app.Blocking.cause(e);
            if (t instanceof CliException ce) {
                cmd.getErr().println("error: " + ce.getMessage());
                return ce.exitCode();
            }
            if (t instanceof BackupException be) {
                cmd.getErr().println("error: " + be.getMessage());
                return switch (be.code()) {
                    case INVALID_ARGUMENT -> CliException.USAGE;
                    case VERIFICATION_FAILED -> CliException.VERIFICATION_FAILED;
                    default -> CliException.FAILURE;
                };
            }
            cmd.getErr().println("error: " + (t.getMessage() == null ? t.toString() : t.getMessage()));
            return CliException.FAILURE;
        });
        return cl.execute(args);
    }

    /** Loads settings; {@code meridian.log.json} picks the log format before the first logger exists. */
    static Settings loadSettings(Optional<Path> file) {
        var config = Settings.load(file);
        if (config.getBoolean("meridian.log.json") && System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "logback-json.xml");
        }
        return Settings.from(config);
    }

    /** The MCP endpoint (/mcp) served beside REST. */
    static List<Route> extraRoutes(Engine engine) {
        return List.of(new McpHttpRoute(engine, McpSettings.from(engine.settings().config())).route());
    }
}
