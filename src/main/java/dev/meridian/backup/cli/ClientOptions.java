package dev.meridian.backup.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where a verb sends its work: the server (default) or, with --repo, a repository directly. */
public final class ClientOptions {
    @Option(names = "--server", paramLabel = "URL", defaultValue = "${MERIDIAN_SERVER:-http://127.0.0.1:8080}",
            description = "Server to talk to (default: ${DEFAULT-VALUE}; env MERIDIAN_SERVER).")
    String server;

    @Option(names = "--token", paramLabel = "TOKEN", defaultValue = "${MERIDIAN_TOKEN}",
            description = "Bearer token, when the server requires one (env MERIDIAN_TOKEN).")
    String token;

    @Option(names = "--repo", paramLabel = "DIR",
            description = "Work on this repository directly, with no server (read-only verbs and restore --target).")
    Path repo;

    @Option(names = "--json", description = "Print machine-readable JSON on stdout.")
    boolean json;

    @Option(names = "--password-file", paramLabel = "FILE", description = "With --repo: the file holding an encrypted "
            + "repository's password (else env MERIDIAN_PASSWORD_FILE, then MERIDIAN_PASSWORD).")
    Path passwordFile;

    ApiClient api() {
        return new ApiClient(server, token);
    }
}
