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

    @Option(names = "--repo", paramLabel = "DIR|URL",
            description = "Work on this repository (a directory or s3://bucket/prefix) directly, with no server"
                    + " (read-only verbs and restore --target).")
    String repo;

    @Option(names = "--s3-endpoint", paramLabel = "URL", defaultValue = "${MERIDIAN_S3_ENDPOINT}",
            description = "With --repo s3://...: the S3 endpoint, e.g. http://127.0.0.1:9000 (env MERIDIAN_S3_ENDPOINT;"
                    + " default AWS S3). Credentials come from the AWS default provider chain (AWS_ACCESS_KEY_ID...).")
    String s3Endpoint;

    @Option(names = "--s3-region", paramLabel = "REGION", defaultValue = "${AWS_REGION:-us-east-1}",
            description = "With --repo s3://...: the bucket's region (env AWS_REGION; default ${DEFAULT-VALUE}).")
    String s3Region;

    @Option(names = "--s3-virtual-hosted", description = "With --repo s3://... and --s3-endpoint: address the bucket"
            + " as bucket.host instead of host/bucket (path style, the default with an endpoint).")
    boolean s3VirtualHosted;

    @Option(names = "--json", description = "Print machine-readable JSON on stdout.")
    boolean json;

    @Option(names = "--password-file", paramLabel = "FILE", description = "With --repo: the file holding an encrypted "
            + "repository's password (else env MERIDIAN_PASSWORD_FILE, then MERIDIAN_PASSWORD).")
    Path passwordFile;

    ApiClient api() {
        return new ApiClient(server, token);
    }
}
