package dev.meridian.backup.cli;

import dev.meridian.backup.store.s3.S3BlobStore;
import dev.meridian.backup.store.s3.S3Location;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * How the CLI reaches an {@code s3://bucket/prefix} repository given on its command line: endpoint, region and
 * addressing. Credentials come from the AWS default provider chain ({@code AWS_ACCESS_KEY_ID}..., profiles, roles),
 * never from an option.
 */
public final class S3Options {
    @Option(names = "--s3-endpoint", paramLabel = "URL", defaultValue = "${MERIDIAN_S3_ENDPOINT}",
            description = "For an s3:// repository: the S3 endpoint, e.g. http://127.0.0.1:9000 (env MERIDIAN_S3_ENDPOINT;"
                    + " default AWS S3). Credentials come from the AWS default provider chain (AWS_ACCESS_KEY_ID...).")
    String endpoint;

    @Option(names = "--s3-region", paramLabel = "REGION", defaultValue = "${AWS_REGION:-us-east-1}",
            description = "For an s3:// repository: the bucket's region (env AWS_REGION; default ${DEFAULT-VALUE}).")
    String region;

    @Option(names = "--s3-virtual-hosted", description = "For an s3:// repository with --s3-endpoint: address the bucket"
            + " as bucket.host instead of host/bucket (path style, the default with an endpoint).")
    boolean virtualHosted;

    /**
     * The bucket of {@code url} ({@code s3://bucket/prefix}), spooling uploads under {@code spool} (created only when
     * an upload needs it).
     *
     * @throws dev.meridian.backup.model.BackupException (invalid_argument) for a malformed URL or endpoint
     */
    S3BlobStore open(String url, Path spool) {
        boolean custom = endpoint != null && !endpoint.isBlank();
        return S3BlobStore.open(S3Location.parse(url, endpoint, region, custom && !virtualHosted), spool,
                S3BlobStore.Tuning.DEFAULT);
    }

    /** The options to repeat in a hint for a command on {@code url}, e.g. " --s3-endpoint http://..."; empty for AWS. */
    String hint() {
        return endpoint == null || endpoint.isBlank() ? "" : " --s3-endpoint " + endpoint
                + (virtualHosted ? " --s3-virtual-hosted" : "");
    }
}
