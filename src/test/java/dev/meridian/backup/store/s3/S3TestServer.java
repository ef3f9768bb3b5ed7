package dev.meridian.backup.store.s3;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * A real S3 server for tests: S3Proxy in this JVM on 127.0.0.1 (a free port), with jclouds' filesystem backend in a
 * temporary directory, SigV4 authentication and one bucket, {@link #BUCKET}. {@link #shared()} starts it once per
 * JVM and sets the credentials the AWS default provider chain reads ({@code aws.accessKeyId},
 * {@code aws.secretAccessKey}); each test takes its own prefix with {@link #location()}.
 */
public final class S3TestServer implements AutoCloseable {
    public static final String BUCKET = "meridian-test";
    public static final String ACCESS_KEY = "meridian-test-access";
    public static final String SECRET_KEY = "meridian-test-secret-0123456789";
    private static final AtomicInteger PREFIXES = new AtomicInteger();
    private static S3TestServer shared;

    private final S3Proxy proxy;
    private final BlobStoreContext context;
    private final Path basedir;

    private S3TestServer(String accessKey, String secretKey) throws Exception {
        basedir = Files.createTempDirectory("s3proxy");
        Properties props = new Properties();
        props.setProperty("jclouds.filesystem.basedir", basedir.toString());
        context = ContextBuilder.newBuilder("filesystem").credentials(accessKey, secretKey).overrides(props)
                .build(BlobStoreContext.class);
        context.getBlobStore().createContainerInLocation(null, BUCKET);
        proxy = S3Proxy.builder().blobStore(context.getBlobStore()).endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey).build();
        proxy.start();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!"STARTED".equals(proxy.getState())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
            }
            Thread.sleep(10);
        }
    }

    /** The JVM-wide server, started on first use; the process's default AWS credentials match it. */
    public static synchronized S3TestServer shared() throws Exception {
        if (shared == null) {
            System.setProperty("aws.accessKeyId", ACCESS_KEY);
            System.setProperty("aws.secretAccessKey", SECRET_KEY);
            shared = new S3TestServer(ACCESS_KEY, SECRET_KEY);
            Runtime.getRuntime().addShutdownHook(new Thread(shared::close));
        }
        return shared;
    }

    /** A separate server that accepts only other credentials than the process's: every request is refused (403). */
    public static S3TestServer withOtherCredentials() throws Exception {
        return new S3TestServer("someone-else", "someone-elses-secret-0123456789");
    }

    public String endpoint() {
        return "http://127.0.0.1:" + proxy.getPort();
    }

    public int port() {
        return proxy.getPort();
    }

    /** The bucket's directory in the filesystem backend, to inspect what a test left there. */
    public Path bucketDir() {
        return basedir.resolve(BUCKET);
    }

    /** {@code s3://meridian-test/t<n>-<random>}: a prefix no other test uses. */
    public String newUrl() {
        return "s3://" + BUCKET + "/t" + PREFIXES.incrementAndGet() + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    public S3Location location() {
        return S3Location.parse(newUrl(), endpoint(), "us-east-1", true);
    }

    public S3Location location(String url) {
        return S3Location.parse(url, endpoint(), "us-east-1", true);
    }

    @Override
    public void close() {
        try {
            proxy.stop();
        } catch (Exception e) {
            // the JVM is exiting or the test is done
        }
        context.close();
    }
}
