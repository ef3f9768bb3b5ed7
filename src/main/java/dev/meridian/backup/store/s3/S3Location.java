package dev.meridian.backup.store.s3;

import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.store.BlobKeys;
import java.net.URI;
import java.util.Optional;

/**
 * Where an S3 repository lives: {@code s3://bucket/prefix}, and how to reach it.
 *
 * @param bucket    the bucket name (3..63 characters, lower case, digits, '.', '-'; the S3 bucket naming rules)
 * @param prefix    the key prefix every repository key is placed under, "" or ending in '/'
 * @param endpoint  the S3 endpoint, e.g. {@code http://127.0.0.1:9000}; empty for AWS S3 itself (chosen by region)
 * @param region    the signing region, e.g. {@code us-east-1}
 * @param pathStyle true to address the bucket in the path ({@code http://host/bucket/key}), as MinIO, Ceph RGW and
 *                  S3Proxy usually need; false for virtual-hosted style ({@code http://bucket.host/key})
 */
public record S3Location(String bucket, String prefix, Optional<URI> endpoint, String region, boolean pathStyle) {
    private static final java.util.regex.Pattern BUCKET = java.util.regex.Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");

    public static boolean isS3Url(String url) {
        return url != null && url.startsWith("s3://");
    }

    /**
     * Parses {@code s3://bucket} or {@code s3://bucket/some/prefix}.
     *
     * @param endpoint "" for AWS S3, else an http(s) URL
     * @throws BackupException (invalid_argument) naming the URL and what is wrong with it
     */
    public static S3Location parse(String url, String endpoint, String region, boolean pathStyle) {
        if (!isS3Url(url)) {
            throw BackupException.invalid("repository URL '" + url + "' is not an s3:// URL; write s3://bucket/prefix");
        }
        String rest = url.substring("s3://".length());
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String prefix = slash < 0 ? "" : rest.substring(slash + 1);
        if (!BUCKET.matcher(bucket).matches()) {
            throw BackupException.invalid("repository URL '" + url + "' names bucket '" + bucket
                    + "', which is not a valid S3 bucket name (3..63 characters: a-z, 0-9, '.', '-')");
        }
        while (prefix.endsWith("/")) {
            prefix = prefix.substring(0, prefix.length() - 1);
        }
        if (!prefix.isEmpty()) {
            try {
                BlobKeys.check(prefix);
            } catch (IllegalArgumentException e) {
                throw BackupException.invalid("repository URL '" + url + "' has prefix '" + prefix
                        + "', which is not a plain '/'-separated path (letters, digits, '.', '_', '-')");
            }
            prefix = prefix + "/";
        }
        Optional<URI> ep = Optional.empty();
        if (endpoint != null && !endpoint.isBlank()) {
            URI uri;
            try {
                uri = URI.create(endpoint.trim());
            } catch (IllegalArgumentException e) {
                uri = null;
            }
            if (uri == null || uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
                throw BackupException.invalid("meridian.repository.s3.endpoint '" + endpoint
                        + "' is not an http:// or https:// URL with a host, e.g. http://127.0.0.1:9000");
            }
            ep = Optional.of(uri);
        }
        if (region == null || region.isBlank()) {
            throw BackupException.invalid("meridian.repository.s3.region is empty; set the bucket's region, e.g. us-east-1");
        }
        return new S3Location(bucket, prefix, ep, region.trim(), pathStyle);
    }

    /** {@code s3://bucket/prefix} as given (without a trailing '/'). */
    public String url() {
        return "s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix.substring(0, prefix.length() - 1));
    }

    /** The URL and the endpoint, for messages: {@code s3://b/p at http://127.0.0.1:9000}. */
    public String describe() {
        return url() + " at " + endpoint.map(URI::toString).orElse("AWS S3 (" + region + ")");
    }

    /**
     * The CLI options that reach this location again, for a command given in a message: {@code " --s3-endpoint
     * http://127.0.0.1:9000"} (plus {@code --s3-region} when not us-east-1, {@code --s3-virtual-hosted} when
     * addressing that way with an endpoint); empty for AWS S3 in us-east-1.
     */
    public String cliOptions() {
        return endpoint.map(e -> " --s3-endpoint " + e + (pathStyle ? "" : " --s3-virtual-hosted")).orElse("")
                + ("us-east-1".equals(region) ? "" : " --s3-region " + region);
    }
}
