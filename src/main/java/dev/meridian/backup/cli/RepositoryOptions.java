package dev.meridian.backup.cli;

import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code --repo} and what goes with it, for the verbs that can work on a repository directly with no server
 * (disaster recovery): list, show, stats, verify, restore and unlock. Verbs that change a database or delete
 * backups (create, delete, retention) need the server and do not offer it.
 */
public final class RepositoryOptions {
    @Option(names = "--repo", paramLabel = "DIR|URL",
            description = "Work on this repository (a directory or s3://bucket/prefix) directly, with no server.")
    String repo;

    @Mixin
    S3Options s3 = new S3Options();

    @Option(names = "--password-file", paramLabel = "FILE", description = "With --repo: the file holding an encrypted "
            + "repository's password (else env MERIDIAN_PASSWORD_FILE, then MERIDIAN_PASSWORD).")
    Path passwordFile;
}
