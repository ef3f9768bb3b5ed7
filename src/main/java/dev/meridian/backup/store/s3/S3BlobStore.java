package dev.meridian.backup.store.s3;

import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.store.BlobKeys;
import dev.meridian.backup.store.BlobStore;
import dev.meridian.backup.store.BlockingGuard;
import dev.meridian.backup.store.PendingBlob;
import dev.meridian.backup.store.file.FileBackedPendingBlob;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Blobs as objects under {@code s3://bucket/prefix}. A {@link PendingBlob} spools its bytes to a file in the spool
 * directory (its key is known only at commit, after hashing); commit uploads the file under the final key, with one
 * PutObject up to {@link Tuning#multipartThreshold()} and a multipart upload above it, its parts uploaded in parallel
 * by a bounded pool. S3 makes an object visible only once its upload completes, so a reader never sees half a blob; a
 * failed multipart upload is aborted, and {@link #sweepPending()} aborts any left under the prefix by a crash.
 *
 * <p>Requests are retried with exponential backoff and jitter on 5xx, throttling ({@code SlowDown}) and dropped or
 * refused connections (the SDK's standard retry strategy, set explicitly). Credentials come only from the AWS default
 * provider chain (environment, system properties {@code aws.accessKeyId}/{@code aws.secretAccessKey}, profiles,
 * instance roles). Request checksums are sent only when an operation requires them, because S3-compatible servers
 * (S3Proxy among them) reject the SDK's default trailing checksums; payloads are still signed (SigV4).
 */
public final class S3BlobStore implements BlobStore {
    private static final Logger log = LoggerFactory.getLogger(S3BlobStore.class);

    /**
     * Sizes and limits.
     *
     * @param multipartThreshold bytes above which a blob is uploaded in parts (at least 5 MiB, the S3 part minimum)
     * @param partSize           bytes per part (5 MiB .. 5 GiB)
     * @param partConcurrency    parts uploaded at once, per store
     * @param maxAttempts        attempts per request, the first included
     * @param baseDelay          first retry delay; doubles per attempt, with full jitter, up to 20 s
     * @param connectTimeout     TCP connect timeout
     * @param attemptTimeout     time for one attempt of one request
     * @param callTimeout        time for one request, its retries included
     */
    public record Tuning(long multipartThreshold, long partSize, int partConcurrency, int maxAttempts, Duration baseDelay,
            Duration connectTimeout, Duration attemptTimeout, Duration callTimeout) {
        public static final long MIB = 1024 * 1024;
        public static final Tuning DEFAULT = new Tuning(16 * MIB, 16 * MIB, 4, 6, Duration.ofMillis(200),
                Duration.ofSeconds(10), Duration.ofMinutes(5), Duration.ofMinutes(15));

        public Tuning {
            if (partSize < 5 * MIB || multipartThreshold < partSize || partConcurrency < 1 || maxAttempts < 1) {
                throw new IllegalArgumentException("S3 tuning out of range: part size >= 5 MiB, threshold >= part size,"
                        + " concurrency >= 1, attempts >= 1");
            }
        }
    }

    private final S3Location location;
    private final S3Client s3;
    private final Path spool;
    private final Tuning tuning;
    private final ExecutorService parts;
    private volatile boolean closed;
    /**
     * Sizes that the last listing reported, so that opening a repository (a listing, then the size of every object)
     * costs one request per 1000 keys instead of one HEAD per key. This store's own commits and deletes update it;
     * the repository has one writer (its lock), and content-addressed objects never change size.
     */
    private final java.util.concurrent.ConcurrentHashMap<String, Long> listedSizes = new java.util.concurrent.ConcurrentHashMap<>();

    private S3BlobStore(S3Location location, S3Client s3, Path spool, Tuning tuning) {
        this.location = location;
        this.s3 = s3;
        this.spool = spool;
        this.tuning = tuning;
        AtomicInteger n = new AtomicInteger();
        this.parts = Executors.newFixedThreadPool(tuning.partConcurrency(), r -> {
            Thread t = new Thread(r, "s3-part-upload-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Connects to the bucket and checks that it exists and that the credentials may use it.
     *
     * @param spool a local directory for blobs being written (created if missing); nothing else may use it
     * @throws BackupException (unavailable, not_found or forbidden) with one line naming the bucket, the endpoint and
     *         what to do, when the endpoint is unreachable, the bucket is missing or the credentials are refused or
     *         missing; nothing is written then
     */
    public static S3BlobStore open(S3Location location, Path spool, Tuning tuning) {
        S3Client client = client(location, tuning);
        try {
            client.headBucket(b -> b.bucket(location.bucket()));
        } catch (SdkException e) {
            client.close();
            throw unavailable(location, e);
        }
        return new S3BlobStore(location, client, spool.toAbsolutePath().normalize(), tuning);
    }

    private static S3Client client(S3Location location, Tuning tuning) {
        var retry = AwsRetryStrategy.standardRetryStrategy().toBuilder()
                .maxAttempts(tuning.maxAttempts())
                .backoffStrategy(BackoffStrategy.exponentialDelay(tuning.baseDelay(), Duration.ofSeconds(20)))
                .throttlingBackoffStrategy(BackoffStrategy.exponentialDelay(tuning.baseDelay().multipliedBy(2), Duration.ofSeconds(20)))
                .build();
        var builder = S3Client.builder()
                .region(Region.of(location.region()))
                .credentialsProvider(DefaultCredentialsProvider.builder().build())
                .httpClientBuilder(ApacheHttpClient.builder()
                        .connectionTimeout(tuning.connectTimeout())
                        .socketTimeout(Duration.ofSeconds(60))
                        .maxConnections(Math.max(16, tuning.partConcurrency() * 2)))
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(location.pathStyle()).build())
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .overrideConfiguration(o -> o.retryStrategy(retry)
                        .apiCallAttemptTimeout(tuning.attemptTimeout())
                        .apiCallTimeout(tuning.callTimeout()));
        location.endpoint().ifPresent(builder::endpointOverride);
        return builder.build();
    }

    /** A one-line, actionable error for a failure to reach or use the bucket at all. */
    static BackupException unavailable(S3Location location, SdkException e) {
        String where = "bucket '" + location.bucket() + "' at " + location.endpoint().map(Object::toString).orElse("AWS S3 (" + location.region() + ")");
        if (e instanceof AwsServiceException se) {
            int status = se.statusCode();
            String code = se.awsErrorDetails() == null ? null : se.awsErrorDetails().errorCode();
            if (status == 404 || "NoSuchBucket".equals(code)) {
                return new BackupException(ErrorCode.NOT_FOUND, "S3 " + where + " does not exist; create the bucket"
                        + " (e.g. aws s3 mb s3://" + location.bucket() + ") or fix the repository URL (meridian.repository.url, or --repo)");
            }
            if (status == 403 || status == 401) {
                return new BackupException(ErrorCode.FORBIDDEN, "S3 " + where + " refused the credentials (HTTP " + status
                        + (code == null ? "" : ", " + code) + "); check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or the"
                        + " AWS profile) and the bucket's policy");
            }
            return new BackupException(ErrorCode.UNAVAILABLE, "S3 " + where + " answered HTTP " + status
                    + (code == null ? "" : " " + code) + "; check the endpoint and region (meridian.repository.s3, or --s3-endpoint and --s3-region), then try again");
        }
        String msg = rootMessage(e);
        if (msg.contains("Unable to load credentials") || msg.contains("credentials")) {
            return new BackupException(ErrorCode.FORBIDDEN, "no AWS credentials for S3 " + where + "; set"
                    + " AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or an AWS profile) in the environment of the server or command");
        }
        return new BackupException(ErrorCode.UNAVAILABLE, "cannot reach S3 " + where + ": " + msg
                + "; check the endpoint (meridian.repository.s3.endpoint, or --s3-endpoint) and that the S3 server is running and reachable");
    }

    private static String rootMessage(Throwable e) {
        Throwable c = e;
        while (c.getCause() != null && c.getCause() != c) {
            if (c instanceof ConnectException || c instanceof UnknownHostException) {
                break;
            }
            c = c.getCause();
        }
        String m = c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    /**
     * An SDK failure on one key, as the IOException the BlobStore contract raises; after {@link #close()} or an
     * interrupt (the server stopping under work in flight, a cancelled job) a BackupException (unavailable) instead,
     * so the work aborts rather than reporting the object bad.
     */
    private IOException failure(String operation, String key, SdkException e) {
        checkNotStopped();
        if (e instanceof software.amazon.awssdk.core.exception.AbortedException) {
            throw new BackupException(ErrorCode.UNAVAILABLE, "S3 " + operation + " of " + location.url() + "/" + key
                    + " was interrupted (the job was cancelled or the server is stopping)");
        }
        String detail = e instanceof AwsServiceException se
                ? "HTTP " + se.statusCode() + (se.awsErrorDetails() == null ? "" : " " + se.awsErrorDetails().errorCode())
                : rootMessage(e);
        return new IOException("S3 " + operation + " of " + location.url() + "/" + key + " at "
                + location.endpoint().map(Object::toString).orElse("AWS S3") + " failed after retries: " + detail, e);
    }

    private static boolean notFound(SdkException e) {
        return e instanceof AwsServiceException se && se.statusCode() == 404;
    }

    public S3Location location() {
        return location;
    }

    private String full(String key) {
        checkOpen();
        return location.prefix() + BlobKeys.check(key);
    }

    private void checkOpen() {
        if (closed) {
            throw new BackupException(ErrorCode.UNAVAILABLE, "the S3 repository " + location.url()
                    + " is closed (the server is stopping); run the operation again after it starts");
        }
    }

    /** After a failed request: a closed store or an interrupted thread means the work was stopped, not a bad object. */
    private void checkNotStopped() {
        checkOpen();
        if (Thread.currentThread().isInterrupted()) {
            throw new BackupException(ErrorCode.UNAVAILABLE, "a request to the S3 repository " + location.url()
                    + " was interrupted (the job was cancelled or the server is stopping)");
        }
    }

    @Override
    public PendingBlob create() throws IOException {
        BlockingGuard.check("s3 create");
        Files.createDirectories(spool);
        Path part = spool.resolve(UUID.randomUUID() + ".part");
        return new SpooledBlob(FileChannel.open(part, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                StandardOpenOption.READ), part);
    }

    /**
     * Starts one GET of the whole object straight away: its response gives the size and the ETag, so opening costs no
     * HEAD, and a sequential reader (restore, verify) reads that same response.
     */
    @Override
    public SeekableByteChannel open(String key) throws IOException {
        BlockingGuard.check("s3 open");
        String full = full(key);
        ResponseInputStream<GetObjectResponse> first;
        try {
            first = s3.getObject(b -> b.bucket(location.bucket()).key(full));
        } catch (SdkException e) {
            if (notFound(e)) {
                throw new NoSuchFileException(location.url() + "/" + key);
            }
            throw failure("GET", key, e);
        }
        return new RangedReadChannel(key, full, first);
    }

    @Override
    public boolean exists(String key) throws IOException {
        return head(key).isPresent();
    }

    /** Asks S3, never the listed sizes: deduplication relies on the answer (an object it skips must be there). */
    private OptionalLong head(String key) throws IOException {
        BlockingGuard.check("s3 head");
        String full = full(key);
        try {
            return OptionalLong.of(s3.headObject(b -> b.bucket(location.bucket()).key(full)).contentLength());
        } catch (SdkException e) {
            if (notFound(e)) {
                return OptionalLong.empty();
            }
            throw failure("HEAD", key, e);
        }
    }

    @Override
    public OptionalLong size(String key) throws IOException {
        Long listed = listedSizes.get(key);
        return listed != null ? OptionalLong.of(listed) : head(key);
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        BlockingGuard.check("s3 list");
        BlobKeys.checkPrefix(prefix);
        List<String> keys = new ArrayList<>();
        try {
            var pages = s3.listObjectsV2Paginator(ListObjectsV2Request.builder().bucket(location.bucket())
                    .prefix(location.prefix() + prefix).build());
            for (S3Object o : pages.contents()) {
                // A key ending in '/' is a directory marker (S3 consoles' folders, S3Proxy's filesystem backend); no
                // blob key ends so.
                if (!o.key().endsWith("/")) {
                    String key = o.key().substring(location.prefix().length());
                    keys.add(key);
                    listedSizes.put(key, o.size());
                }
            }
        } catch (SdkException e) {
            throw failure("LIST", prefix, e);
        }
        // S3 lists in UTF-8 byte order; keys are ASCII (BlobKeys), where that is String order, but say so explicitly.
        keys.sort(null);
        return keys;
    }

    @Override
    public boolean delete(String key) throws IOException {
        BlockingGuard.check("s3 delete");
        // DeleteObject succeeds whether or not the key exists; the contract reports which.
        listedSizes.remove(key);
        if (head(key).isEmpty()) {
            return false;
        }
        String full = full(key);
        try {
            s3.deleteObject(b -> b.bucket(location.bucket()).key(full));
        } catch (SdkException e) {
            throw failure("DELETE", key, e);
        }
        return true;
    }

    /** Deletes the spool files and aborts every multipart upload under the prefix; returns how many of both. */
    @Override
    public int sweepPending() throws IOException {
        BlockingGuard.check("s3 sweep");
        int n = 0;
        if (Files.isDirectory(spool)) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(spool, "*.part")) {
                for (Path p : files) {
                    Files.deleteIfExists(p);
                    n++;
                }
            }
        }
        try {
            String keyMarker = null;
            String uploadMarker = null;
            while (true) {
                String km = keyMarker;
                String um = uploadMarker;
                ListMultipartUploadsResponse page = s3.listMultipartUploads(b -> b.bucket(location.bucket())
                        .prefix(location.prefix()).keyMarker(km).uploadIdMarker(um));
                for (MultipartUpload u : page.uploads()) {
                    abort(u.key(), u.uploadId());
                    n++;
                }
                if (!Boolean.TRUE.equals(page.isTruncated())) {
                    break;
                }
                keyMarker = page.nextKeyMarker();
                uploadMarker = page.nextUploadIdMarker();
            }
        } catch (AwsServiceException e) {
            if (e.statusCode() != 501) {
                throw failure("LIST multipart uploads", "", e);
            }
            // Some S3-compatible servers cannot list uploads; their own expiry (or a lifecycle rule) collects them.
            log.warn("S3 server at {} cannot list multipart uploads (HTTP 501); set a lifecycle rule that aborts"
                    + " incomplete multipart uploads on bucket {}", location.endpoint().orElse(null), location.bucket());
        } catch (SdkException e) {
            throw failure("LIST multipart uploads", "", e);
        }
        return n;
    }

    private void abort(String fullKey, String uploadId) {
        try {
            s3.abortMultipartUpload(b -> b.bucket(location.bucket()).key(fullKey).uploadId(uploadId));
        } catch (SdkException e) {
            log.warn("Aborting multipart upload {} of s3://{}/{} failed: {}", uploadId, location.bucket(), fullKey, rootMessage(e));
        }
    }

    /**
     * Creates {@code key} only if no object is there (a conditional PutObject, {@code If-None-Match: *}).
     *
     * @return false if an object already exists under the key (HTTP 412 or 409)
     */
    public boolean putIfAbsent(String key, byte[] data) throws IOException {
        BlockingGuard.check("s3 conditional put");
        String full = full(key);
        try {
            s3.putObject(b -> b.bucket(location.bucket()).key(full).ifNoneMatch("*"), RequestBody.fromBytes(data));
            return true;
        } catch (AwsServiceException e) {
            if (e.statusCode() == 412 || e.statusCode() == 409) {
                return false;
            }
            throw failure("conditional PUT", key, e);
        } catch (SdkException e) {
            throw failure("conditional PUT", key, e);
        }
    }

    /** Writes a small object straight from memory (no spool file), replacing any object there. */
    public void putBytes(String key, byte[] data) throws IOException {
        BlockingGuard.check("s3 put");
        String full = full(key);
        listedSizes.remove(key);
        try {
            s3.putObject(b -> b.bucket(location.bucket()).key(full), RequestBody.fromBytes(data));
        } catch (SdkException e) {
            throw failure("PUT", key, e);
        }
    }

    /** The object's bytes, or empty if there is none. */
    public Optional<byte[]> readIfExists(String key) throws IOException {
        BlockingGuard.check("s3 get");
        String full = full(key);
        try {
            return Optional.of(s3.getObjectAsBytes(b -> b.bucket(location.bucket()).key(full)).asByteArray());
        } catch (SdkException e) {
            if (notFound(e)) {
                return Optional.empty();
            }
            throw failure("GET", key, e);
        }
    }

    @Override
    public String describe() {
        return location.describe();
    }

    @Override
    public void close() {
        closed = true;
        parts.shutdownNow();
        s3.close();
    }

    private void upload(Path file, long size, String key) throws IOException {
        String full = full(key);
        listedSizes.remove(key);
        if (size <= tuning.multipartThreshold()) {
            try {
                s3.putObject(b -> b.bucket(location.bucket()).key(full).contentLength(size), RequestBody.fromFile(file));
            } catch (SdkException e) {
                throw failure("PUT", key, e);
            }
            return;
        }
        String uploadId;
        try {
            uploadId = s3.createMultipartUpload(b -> b.bucket(location.bucket()).key(full)).uploadId();
        } catch (SdkException e) {
            throw failure("CreateMultipartUpload", key, e);
        }
        boolean completed = false;
        List<Future<CompletedPart>> futures = new ArrayList<>();
        try {
            long partSize = tuning.partSize();
            int count = (int) ((size + partSize - 1) / partSize);
            for (int i = 0; i < count; i++) {
                int number = i + 1;
                long offset = i * partSize;
                long length = Math.min(partSize, size - offset);
                futures.add(parts.submit(() -> {
                    String etag = s3.uploadPart(b -> b.bucket(location.bucket()).key(full).uploadId(uploadId)
                            .partNumber(number).contentLength(length), RequestBody.fromContentProvider(
                                    slice(file, offset, length), length, "application/octet-stream")).eTag();
                    return CompletedPart.builder().partNumber(number).eTag(etag).build();
                }));
            }
            List<CompletedPart> done = new ArrayList<>();
            for (Future<CompletedPart> f : futures) {
                done.add(f.get());
            }
            s3.completeMultipartUpload(b -> b.bucket(location.bucket()).key(full).uploadId(uploadId)
                    .multipartUpload(m -> m.parts(done)));
            completed = true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("upload of " + key + " interrupted");
        } catch (ExecutionException e) {
            throw e.getCause() instanceof SdkException se ? failure("UploadPart", key, se)
                    : new IOException("upload of " + key + " failed: " + e.getCause().getMessage(), e.getCause());
        } catch (SdkException e) {
            throw failure("CompleteMultipartUpload", key, e);
        } finally {
            if (!completed) {
                futures.forEach(f -> f.cancel(true));
                abort(full, uploadId);
            }
        }
    }

    /** A re-openable view of {@code length} bytes of {@code file} from {@code offset}: a retry reads them again. */
    private static ContentStreamProvider slice(Path file, long offset, long length) {
        return () -> {
            try {
                FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
                ch.position(offset);
                InputStream in = Channels.newInputStream(ch);
                return new java.io.FilterInputStream(in) {
                    private long left = length;

                    @Override
                    public int read() throws IOException {
                        if (left <= 0) {
                            return -1;
                        }
                        int b = super.read();
                        if (b >= 0) {
                            left--;
                        }
                        return b;
                    }

                    @Override
                    public int read(byte[] buf, int off, int len) throws IOException {
                        if (left <= 0) {
                            return -1;
                        }
                        int n = super.read(buf, off, (int) Math.min(len, left));
                        if (n > 0) {
                            left -= n;
                        }
                        return n;
                    }
                };
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
    }

    /** Bytes spooled to a local file; committed by uploading the file, discarded by deleting it. */
    private final class SpooledBlob extends FileBackedPendingBlob {
        SpooledBlob(FileChannel ch, Path file) {
            super(ch, file);
        }

        @Override
        protected void publish(FileChannel ch, Path file, long written, String key) throws IOException {
            BlobKeys.check(key);
            BlockingGuard.check("s3 upload");
            try {
                ch.close();
                upload(file, written, key);
            } finally {
                Files.deleteIfExists(file); // the spool file goes at once, uploaded or not: a failed upload was aborted
            }
        }
    }

    /**
     * A read-only channel over one object: sequential reads share one ranged GET ({@code bytes=pos-}), a seek opens a
     * new one, and a GET dropped mid-stream is reopened at the position reached. Each GET carries the ETag seen when
     * the channel opened ({@code If-Match}), so a replaced object fails the read instead of mixing two versions.
     */
    private final class RangedReadChannel implements SeekableByteChannel {
        private static final int REOPENS = 3;
        private final String key;
        private final String full;
        private final long size;
        private final String etag;
        private long position;
        private ResponseInputStream<GetObjectResponse> stream;
        private long streamPosition = -1;
        private boolean open = true;

        /** Over the object whose whole-object GET {@code first} has answered; reading starts on that response. */
        RangedReadChannel(String key, String full, ResponseInputStream<GetObjectResponse> first) {
            this.key = key;
            this.full = full;
            this.size = first.response().contentLength();
            this.etag = first.response().eTag();
            this.stream = first;
            this.streamPosition = 0;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            ensureOpen();
            if (position >= size) {
                return -1;
            }
            if (!dst.hasRemaining()) {
                return 0;
            }
            for (int attempt = 0; ; attempt++) {
                try {
                    if (stream == null || streamPosition != position) {
                        reopen();
                    }
                    byte[] buf = dst.hasArray() ? dst.array() : new byte[(int) Math.min(dst.remaining(), 64 * 1024)];
                    int off = dst.hasArray() ? dst.arrayOffset() + dst.position() : 0;
                    int len = (int) Math.min(dst.hasArray() ? dst.remaining() : buf.length, size - position);
                    int n = stream.read(buf, off, len);
                    if (n < 0) {
                        throw new IOException("S3 GET of " + key + " ended at byte " + position + " of " + size);
                    }
                    if (dst.hasArray()) {
                        dst.position(dst.position() + n);
                    } else {
                        dst.put(buf, 0, n);
                    }
                    position += n;
                    streamPosition = position;
                    return n;
                } catch (IOException e) {
                    closeStream();
                    checkNotStopped();
                    if (attempt + 1 >= REOPENS) {
                        throw new IOException("reading " + location.url() + "/" + key + " at byte " + position
                                + " failed: " + e.getMessage(), e);
                    }
                    log.debug("S3 GET of {} dropped at byte {}; reopening: {}", key, position, e.getMessage());
                }
            }
        }

        private void reopen() throws IOException {
            closeStream();
            long from = position;
            try {
                stream = s3.getObject(b -> b.bucket(location.bucket()).key(full).range("bytes=" + from + "-").ifMatch(etag));
            } catch (SdkException e) {
                if (e instanceof AwsServiceException se && se.statusCode() == 412) {
                    throw new IOException("S3 object " + location.url() + "/" + key + " was replaced while being read", e);
                }
                throw failure("GET", key, e);
            }
            streamPosition = from;
        }

        private void closeStream() {
            if (stream != null) {
                stream.abort();
                try {
                    stream.close();
                } catch (IOException | RuntimeException ignored) {
                    // the connection is being thrown away
                }
                stream = null;
            }
        }

        @Override
        public int write(ByteBuffer src) {
            throw new NonWritableChannelException();
        }

        @Override
        public long position() throws IOException {
            ensureOpen();
            return position;
        }

        @Override
        public SeekableByteChannel position(long newPosition) throws IOException {
            ensureOpen();
            if (newPosition < 0) {
                throw new IllegalArgumentException("negative position " + newPosition);
            }
            position = newPosition;
            return this;
        }

        @Override
        public long size() throws IOException {
            ensureOpen();
            return size;
        }

        @Override
        public SeekableByteChannel truncate(long size) {
            throw new NonWritableChannelException();
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            if (open) {
                open = false;
                closeStream();
            }
        }

        private void ensureOpen() throws IOException {
            if (!open) {
                throw new java.nio.channels.ClosedChannelException();
            }
        }
    }
}
