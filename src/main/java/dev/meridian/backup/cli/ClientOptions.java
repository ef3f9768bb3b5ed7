package dev.meridian.backup.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where a client verb sends its work, the server, and how it prints. A verb that can also work on a repository
 * directly adds {@link RepositoryOptions}. */
public final class ClientOptions {
    /** The server when nothing names one. */
    static final String DEFAULT_SERVER = "http://127.0.0.1:8080";
    static final String SERVER_VARIABLE = "MERIDIAN_SERVER";
    static final String TOKEN_VARIABLE = "MERIDIAN_TOKEN";

    @Option(names = "--server", paramLabel = "URL", description = "Server to talk to. The first of: --server, --config,"
            + " env " + SERVER_VARIABLE + ", " + DEFAULT_SERVER + ".")
    String server;

    @Option(names = "--config", paramLabel = "FILE", description = "The HOCON file 'serve --config' reads: talk to"
            + " http://<meridian.http.host>:<meridian.http.port> from it (0.0.0.0 or :: means this host's loopback),"
            + " with its widest meridian.auth.tokens token unless --token is given (never printed).")
    Path config;

    @Option(names = "--token", paramLabel = "TOKEN", description = "Bearer token, when the server requires one. The first"
            + " of: --token, --config's tokens, env " + TOKEN_VARIABLE + ".")
    String token;

    @Option(names = "--json", description = "Print machine-readable JSON on stdout.")
    boolean json;

    private ApiClient api;

    /** The client for the server named by --server, --config, env MERIDIAN_SERVER or the default, in that order. */
    ApiClient api() {
        if (api == null) {
            // With --server the file only gives the token, so a file whose address is unusable does not get in the way.
            ServerConfigFile.Endpoint fromFile = config == null ? null : ServerConfigFile.read(config, server == null);
            String url;
            String origin;
            if (server != null) {
                url = server;
                origin = "--server";
            } else if (fromFile != null) {
                url = fromFile.url();
                origin = "meridian.http.host/port in --config " + config;
            } else if (System.getenv(SERVER_VARIABLE) != null && !System.getenv(SERVER_VARIABLE).isBlank()) {
                url = System.getenv(SERVER_VARIABLE);
                origin = "env " + SERVER_VARIABLE;
            } else {
                url = DEFAULT_SERVER;
                origin = "the default: no --server, --config or " + SERVER_VARIABLE;
            }
            String bearer = token != null ? token : fromFile != null && fromFile.token() != null ? fromFile.token()
                    : System.getenv(TOKEN_VARIABLE);
            api = new ApiClient(url, bearer, origin);
        }
        return api;
    }

    /** Refuses --config next to --repo: it names a server, and --repo works without one (exit 2). */
    void refuseConfigWithRepository() {
        if (config != null) {
            throw new CliException(CliException.USAGE, "--config names the server to talk to, and --repo works on the"
                    + " repository without one; drop one of them");
        }
    }
}
