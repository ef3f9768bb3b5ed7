package dev.meridian.backup.mcp;

import dev.meridian.backup.app.Engine;
import dev.meridian.backup.app.Server;
import dev.meridian.backup.config.Settings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A real server for MCP tests: HOCON written to a temp dir (port 0, repository, restore root and small RocksDB
 * databases inside it), the engine and HTTP gateway started in this JVM with the MCP route mounted.
 */
final class McpTestServer implements AutoCloseable {
    private final Path dir;
    private final Server server;
    private final McpHttpRoute route;

    private McpTestServer(Path dir, Server server, McpHttpRoute route) {
        this.dir = dir;
        this.server = server;
        this.route = route;
    }

    /**
     * @param extra     HOCON appended after the base settings (it may override them)
     * @param databases names of the databases to create, each seeded with a few hundred keys (about 100 KB)
     */
    static McpTestServer start(Path dir, String extra, String... databases) throws Exception {
        return start(dir, extra, 300, databases);
    }

    static McpTestServer start(Path dir, String extra, int seedKeys, String... databases) throws Exception {
        Settings settings = Settings.from(Settings.load(Optional.of(writeConfig(dir, extra, seedKeys, databases))));
        McpHttpRoute[] route = new McpHttpRoute[1];
        Server server = Server.start(settings, true, engine -> {
            route[0] = new McpHttpRoute(engine, McpSettings.from(engine.settings().config()));
            return List.of(route[0].route());
        });
        return new McpTestServer(dir, server, route[0]);
    }

    /** Writes the test configuration (also used by the stdio tests, which start the real jar with it). */
    static Path writeConfig(Path dir, String extra, int seedKeys, String... databases) throws IOException {
        Files.createDirectories(dir.resolve("restore"));
        StringBuilder dbs = new StringBuilder();
        for (String db : databases) {
            dbs.append("    { name = \"").append(db).append("\", path = \"").append(dir.resolve("db").resolve(db))
                    .append("\", create-if-missing = true, seed-keys = ").append(seedKeys).append(" }\n");
        }
        String hocon = "meridian {\n"
                + "  http { host = \"127.0.0.1\", port = 0 }\n"
                + "  repository.path = \"" + dir.resolve("repo") + "\"\n"
                + "  restore-roots = [\"" + dir.resolve("restore") + "\"]\n"
                + "  databases = [\n" + dbs + "  ]\n"
                + "}\n" + extra + "\n";
        Path file = dir.resolve("meridian.conf");
        Files.writeString(file, hocon);
        return file;
    }

    int port() {
        return server.address().getPort();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + port();
    }

    String mcpUrl() {
        return baseUrl() + "/mcp";
    }

    Engine engine() {
        return server.engine();
    }

    McpHttpRoute route() {
        return route;
    }

    Path dir() {
        return dir;
    }

    Path restoreRoot() {
        return dir.resolve("restore");
    }

    @Override
    public void close() throws Exception {
        server.close();
    }
}
