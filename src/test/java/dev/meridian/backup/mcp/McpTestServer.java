package dev.meridian.backup.mcp;

import dev.meridian.backup.TestEnv;
import dev.meridian.backup.engine.Engine;
import dev.meridian.backup.server.Server;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A {@link TestEnv} (temp directories, real RocksDB, HTTP on 127.0.0.1 port 0) whose in-process server also serves
 * MCP at /mcp, started once per test class: {@code @RegisterExtension static final McpTestServer server = ...}.
 */
final class McpTestServer implements BeforeAllCallback, AfterAllCallback {
    private final String extraConfig;
    private final List<String> databases;
    TestEnv env;
    private McpHttpRoute route;

    /** @param extraConfig HOCON appended after the base test settings (it may override them) */
    McpTestServer(String extraConfig, String... databases) {
        this.extraConfig = extraConfig;
        this.databases = List.of(databases);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        env = new TestEnv(Files.createTempDirectory("mcp-test"), databases, extraConfig);
        env.server = Server.start(env.settings(), true, engine -> {
            route = new McpHttpRoute(engine, McpSettings.from(engine.settings().config()));
            return List.of(route.route());
        });
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        env.close();
        TestEnv.deleteTree(env.root);
    }

    int port() {
        return env.server.address().getPort();
    }

    String baseUrl() {
        return env.baseUrl();
    }

    /** A hand-written MCP client for this server; may be created before the server starts. */
    RawMcp mcp() {
        return new RawMcp(() -> baseUrl() + "/mcp");
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
}
