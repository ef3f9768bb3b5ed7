package dev.meridian.backup.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --repo} and what goes with it, for the verbs that can work on a repository directly with no server
 * (disaster recovery): list, show, stats, verify, restore and unlock. Verbs that change a database or delete
 * backups (create, delete, retention) need the server and do not offer it.
 */
public final class RepositoryOptions {
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

    @Option(names = "--password-file", paramLabel = "FILE", description = "With --repo: the file holding an encrypted "
            + "repository's password (else env MERIDIAN_PASSWORD_FILE, then MERIDIAN_PASSWORD).")
    Path passwordFile;

}
