package dev.meridian.backup.mcp;

import dev.meridian.backup.TestEnv;
import dev.meridian.backup.app.Engine;
import dev.meridian.backup.app.Server;
import java.nio.file.Path;
import java.util.List;

/** A {@link TestEnv} whose in-process server also serves MCP at /mcp, keeping the route for session checks. */
final class McpTestServer implements AutoCloseable {
    final TestEnv env;
    private final McpHttpRoute route;

    private McpTestServer(TestEnv env, McpHttpRoute route) {
        this.env = env;
        this.route = route;
    }

    /** @param extra HOCON appended after the base test settings (it may override them) */
    static McpTestServer start(Path dir, String extra, String... databases) throws Exception {
        TestEnv env = new TestEnv(dir, List.of(databases), extra);
        McpHttpRoute[] route = new McpHttpRoute[1];
        env.server = Server.start(env.settings(), true, engine -> {
            route[0] = new McpHttpRoute(engine, McpSettings.from(engine.settings().config()));
            return List.of(route[0].route());
        });
        return new McpTestServer(env, route[0]);
    }

    int port() {
        return env.server.address().getPort();
    }

    String baseUrl() {
        return env.baseUrl();
    }

    String mcpUrl() {
        return baseUrl() + "/mcp";
    }

    Engine engine() {
        return env.server.engine();
    }

    McpHttpRoute route() {
        return route;
    }

    Path restoreRoot() {
        return env.restoreRoot;
    }

    @Override
    public void close() throws Exception {
        env.close();
    }
}
