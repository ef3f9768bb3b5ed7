package dev.meridian.backup.bench;

import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.store.file.DurableFiles;
import dev.meridian.backup.store.s3.S3BlobStore;
import dev.meridian.backup.store.s3.S3Location;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The S3 server both contenders of {@code bench --repository s3} write to: either one the user runs
 * ({@code --s3-endpoint}, credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the bucket must exist) or
 * S3Proxy started by this class through {@code scripts/s3proxy.sh} as a separate process on 127.0.0.1 with a
 * filesystem backend under the work directory and fresh random credentials (S3Proxy is a test-scope dependency, so it
 * runs from the Maven local repository, not from the shaded jar). Every round gets its own prefix, removed afterwards.
 */
final class BenchS3 implements AutoCloseable {
    private static final AtomicInteger PREFIXES = new AtomicInteger();
    private static final long START_TIMEOUT_MS = 180_000;

    private final String endpoint;
    private final String bucket;
    private final String accessKey;
    private final String secretKey;
    private final Process process;
    private final Path spool;
    private final String run = HexFormat.of().formatHex(new SecureRandom().generateSeed(4));

    private BenchS3(String endpoint, String bucket, String accessKey, String secretKey, Process process, Path spool) {
        this.endpoint = endpoint;
        this.bucket = bucket;
        this.accessKey = accessKey;
        this.secretKey = secretKey;
        this.process = process;
        this.spool = spool;
    }

    /**
     * A server the user runs at {@code endpoint} (http or https URL), path-style, with the credentials the AWS
     * default chain reads first: system properties aws.accessKeyId/aws.secretAccessKey, else the environment's
     * AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (restic is given the same pair); the bucket must exist.
     *
     * @throws BackupException invalid_argument when the credentials are not in the environment; as
     *         {@link S3BlobStore#open} when the server or the bucket cannot be used
     */
    static BenchS3 external(String endpoint, String bucket, Path work) {
        String key = System.getProperty("aws.accessKeyId", System.getenv("AWS_ACCESS_KEY_ID"));
        String secret = System.getProperty("aws.secretAccessKey", System.getenv("AWS_SECRET_ACCESS_KEY"));
        if (key == null || key.isBlank() || secret == null || secret.isBlank()) {
            throw BackupException.invalid("--s3-endpoint " + endpoint + " needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                    + "in the environment (both Meridian and restic use them)");
        }
        BenchS3 s3 = new BenchS3(endpoint, bucket, key, secret, null, work.resolve("s3-spool"));
        s3.check();
        return s3;
    }

    /**
     * Starts S3Proxy with {@code script} (scripts/s3proxy.sh) on a free loopback port, objects under {@code dataDir},
     * and waits until the bucket answers. Its output goes to {@code dataDir}/../s3proxy.log.
     *
     * @throws BackupException invalid_argument when the script is missing; unavailable when S3Proxy exits or does
     *         not answer within 3 minutes (the first start resolves its classpath with Maven), quoting its log
     */
    static BenchS3 start(Path script, Path dataDir, PrintStream log) throws IOException, InterruptedException {
        if (!Files.isExecutable(script)) {
            throw BackupException.invalid("no S3Proxy launcher at " + script + "; run the benchmark from a checkout "
                    + "(bin/meridian-backup) or pass --s3-endpoint URL of a running S3 server");
        }
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String key = "bench-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(6));
        String secret = HexFormat.of().formatHex(new SecureRandom().generateSeed(20));
        String bucket = "meridian-bench";
        Path logFile = dataDir.resolveSibling("s3proxy.log");
        Files.createDirectories(dataDir);
        ProcessBuilder pb = new ProcessBuilder(script.toString(), dataDir.toString(), Integer.toString(port), bucket)
                .redirectErrorStream(true).redirectOutput(logFile.toFile());
        pb.environment().put("AWS_ACCESS_KEY_ID", key);
        pb.environment().put("AWS_SECRET_ACCESS_KEY", secret);
        log.printf("starting S3Proxy on 127.0.0.1:%d (%s, filesystem backend in %s)%n", port, script, dataDir);
        Process p = pb.start();
        // Meridian's S3 client reads the AWS default provider chain, where system properties come first.
        System.setProperty("aws.accessKeyId", key);
        System.setProperty("aws.secretAccessKey", secret);
        BenchS3 s3 = new BenchS3("http://127.0.0.1:" + port, bucket, key, secret, p, dataDir.resolveSibling("s3-spool"));
        long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
        while (!listening(port)) {
            if (!p.isAlive() || System.currentTimeMillis() > deadline) {
                s3.close();
                String output = Files.exists(logFile) ? Files.readString(logFile).strip() : "";
                throw new BackupException(ErrorCode.UNAVAILABLE, "S3Proxy (" + script + ") did not start on 127.0.0.1:" + port
                        + (p.isAlive() ? " within 3 minutes" : ", exit code " + p.exitValue()) + ": "
                        + tail(output) + "; or pass --s3-endpoint URL of a running S3 server");
            }
            Thread.sleep(100);
        }
        s3.check();
        return s3;
    }

    private static boolean listening(int port) {
        try (Socket ignored = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static String tail(String output) {
        return output.length() <= 600 ? output : "..." + output.substring(output.length() - 600);
    }

    private void check() {
        store(url("check")).close();
    }

    String endpoint() {
        return endpoint;
    }

    String bucket() {
        return bucket;
    }

    /** Whether this benchmark started the server (else the user runs it). */
    boolean started() {
        return process != null;
    }

    /** {@code s3://bucket/bench-<run>-<n>-<who>}: a prefix nothing else uses. */
    String newUrl(String who) {
        return url(run + "-" + PREFIXES.incrementAndGet() + "-" + who);
    }

    private String url(String name) {
        return "s3://" + bucket + "/bench-" + name;
    }

    /** restic's repository string for an s3:// URL of this server. */
    String resticRepository(String url) {
        return "s3:" + endpoint + "/" + url.substring("s3://".length());
    }

    /** The credentials as the environment variables Meridian's SDK and restic both read. */
    Map<String, String> environment() {
        return Map.of("AWS_ACCESS_KEY_ID", accessKey, "AWS_SECRET_ACCESS_KEY", secretKey);
    }

    /** Extra configuration for a Meridian repository at {@code url} on this server. */
    Map<String, Object> meridianConfig(String url) {
        return Map.of("meridian.repository.url", url, "meridian.repository.s3.endpoint", endpoint,
                "meridian.repository.s3.path-style", true);
    }

    /** Bytes stored under {@code url}, from one listing. */
    long bytesUnder(String url) throws IOException {
        try (S3BlobStore store = store(url)) {
            long total = 0;
            for (String key : store.list("")) {
                OptionalLong size = store.size(key);
                total += size.orElse(0);
            }
            return total;
        }
    }

    /** Deletes every object under {@code url} (a round's repository, whoever wrote it). */
    void clear(String url) throws IOException {
        try (S3BlobStore store = store(url)) {
            for (String key : store.list("")) {
                store.delete(key);
            }
            store.sweepPending();
        }
    }

    private S3BlobStore store(String url) {
        return S3BlobStore.open(S3Location.parse(url, endpoint, "us-east-1", true), spool, S3BlobStore.Tuning.DEFAULT);
    }

    /** Stops S3Proxy if this benchmark started it (its objects go with the work directory). */
    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            DurableFiles.deleteTree(spool);
        } catch (IOException e) {
            // the work directory is removed afterwards anyway
        }
    }
}
