package dev.meridian.backup.cli;

import picocli.CommandLine.Option;

/** Where a client verb sends its work, the server, and how it prints. A verb that can also work on a repository
 * directly adds {@link RepositoryOptions}. */
public final class ClientOptions {
    @Option(names = "--server", paramLabel = "URL", defaultValue = "${MERIDIAN_SERVER:-http://127.0.0.1:8080}",
            description = "Server to talk to (default: ${DEFAULT-VALUE}; env MERIDIAN_SERVER).")
    String server;

    @Option(names = "--token", paramLabel = "TOKEN", defaultValue = "${MERIDIAN_TOKEN}",
            description = "Bearer token, when the server requires one (env MERIDIAN_TOKEN).")
    String token;

    @Option(names = "--json", description = "Print machine-readable JSON on stdout.")
    boolean json;

    ApiClient api() {
        return new ApiClient(server, token);
    }
}
