package dev.meridian.backup.cli;

import dev.meridian.backup.config.Settings;
import dev.meridian.backup.server.Server;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "serve", description = "Run the service: REST, MCP over HTTP, scheduler (embedded default config unless --config).")
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "HOCON file with settings over the embedded defaults.")
    Path config;

    @Option(names = "--password-file", paramLabel = "FILE", description = "File holding an encrypted repository's "
            + "password (sets meridian.repository.password-file; else env MERIDIAN_PASSWORD_FILE, then MERIDIAN_PASSWORD).")
    Path passwordFile;

    @Override
    public Integer call() throws Exception {
        Settings settings = loadSettings(Optional.ofNullable(config), passwordFile);
        try (Server server = Server.serve(settings)) {
            System.err.println("Meridian Backup listening on http://" + server.address().getHostString() + ":"
                    + server.address().getPort() + "  (Ctrl-C to stop)");
            server.awaitTermination();
        }
        return 0;
    }

    /** Loads settings; {@code meridian.log.json} picks the log format before the first logger exists. */
    static Settings loadSettings(Optional<Path> file) {
        return loadSettings(file, null);
    }

    /** As {@link #loadSettings(Optional)}, with {@code passwordFile} (may be null) over meridian.repository.password-file. */
    static Settings loadSettings(Optional<Path> file, Path passwordFile) {
        var config = Settings.load(file);
        if (passwordFile != null) {
            config = config.withValue("meridian.repository.password-file",
                    com.typesafe.config.ConfigValueFactory.fromAnyRef(passwordFile.toAbsolutePath().toString()));
        }
        if (config.getBoolean("meridian.log.json") && System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "logback-json.xml");
        }
        return Settings.from(config);
    }
}
