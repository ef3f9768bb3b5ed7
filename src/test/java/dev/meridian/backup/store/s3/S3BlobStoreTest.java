package dev.meridian.backup.store.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.store.PendingBlob;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the S3 store adds to the BlobStore contract: multipart uploads, ranged reads, one-line errors naming the bucket. */
class S3BlobStoreTest {
    static S3TestServer server;

    @TempDir
    Path spool;

    @BeforeAll
    static void start() throws Exception {
        server = S3TestServer.shared();
    }

    static final S3BlobStore.Tuning SMALL_PARTS = new S3BlobStore.Tuning(5 * S3BlobStore.Tuning.MIB, 5 * S3BlobStore.Tuning.MIB,
            3, 4, Duration.ofMillis(20), Duration.ofSeconds(2), Duration.ofSeconds(30), Duration.ofSeconds(60));

    @Test
    void aLargeBlobGoesUpInPartsAndReadsBackWholeAndByRange() throws Exception {
        byte[] data = new byte[12 * 1024 * 1024 + 123];
        new Random(7).nextBytes(data);
        try (S3BlobStore store = S3BlobStore.open(server.location(), spool, SMALL_PARTS)) {
            try (PendingBlob blob = store.create()) {
                for (int off = 0; off < data.length; off += 1_000_000) {
                    blob.write(ByteBuffer.wrap(data, off, Math.min(1_000_000, data.length - off)));
                }
                blob.commit("objects/ab/large");
            }
            assertArrayEquals(data, store.read("objects/ab/large"));
            try (SeekableByteChannel ch = store.open("objects/ab/large")) {
                assertEquals(data.length, ch.size());
                ch.position(9_000_000);
                ByteBuffer b = ByteBuffer.allocate(10);
                while (b.hasRemaining()) {
                    ch.read(b);
                }
                assertArrayEquals(java.util.Arrays.copyOfRange(data, 9_000_000, 9_000_010), b.array());
                assertEquals(9_000_010, ch.position());
            }
            // The spool file is gone once the upload completed, and no multipart upload is left open.
            assertEquals(0, store.sweepPending());
        }
    }

    @Test
    void aMultipartUploadThatFailsIsAbortedAndNothingIsVisible() throws Exception {
        byte[] data = new byte[11 * 1024 * 1024];
        new Random(8).nextBytes(data);
        S3Location loc = server.location();
        try (FaultyS3Front front = new FaultyS3Front(server.port());
                S3BlobStore store = S3BlobStore.open(S3Location.parse(loc.url(), front.endpoint(), "us-east-1", true), spool, SMALL_PARTS)) {
            front.dropNextUploads(1_000_000);
            PendingBlob blob = store.create();
            blob.write(ByteBuffer.wrap(data));
            java.io.IOException e = assertThrows(java.io.IOException.class, () -> blob.commit("objects/cd/large"));
            assertTrue(e.getMessage().contains("UploadPart of " + loc.url() + "/objects/cd/large"), e.getMessage());
            front.dropNextUploads(0);
            assertFalse(store.exists("objects/cd/large"));
            assertEquals(java.util.List.of(), store.list(""));
            // The upload was aborted at once: a sweep finds neither an upload nor a spool file left.
            assertEquals(0, store.sweepPending());
        }
    }

    @Test
    void sweepAbortsAMultipartUploadACrashLeftBehind() throws Exception {
        S3Location loc = server.location();
        try (S3BlobStore store = S3BlobStore.open(loc, spool, SMALL_PARTS);
                var raw = software.amazon.awssdk.services.s3.S3Client.builder()
                        .endpointOverride(java.net.URI.create(server.endpoint())).region(software.amazon.awssdk.regions.Region.US_EAST_1)
                        .forcePathStyle(true).build()) {
            raw.createMultipartUpload(b -> b.bucket(loc.bucket()).key(loc.prefix() + "objects/ef/crashed"));
            assertEquals(1, store.sweepPending());
            assertEquals(0, store.sweepPending());
            assertEquals(java.util.List.of(), store.list(""));
        }
    }

    @Test
    void aMissingBucketIsNamedWithWhatToDo() {
        S3Location loc = server.location("s3://no-such-bucket/x");
        BackupException e = assertThrows(BackupException.class, () -> S3BlobStore.open(loc, spool, SMALL_PARTS));
        assertEquals(ErrorCode.NOT_FOUND, e.code());
        assertTrue(e.getMessage().contains("'no-such-bucket'") && e.getMessage().contains(server.endpoint())
                && e.getMessage().contains("create the bucket"), e.getMessage());
    }

    @Test
    void refusedCredentialsAreNamed() throws Exception {
        try (S3TestServer other = S3TestServer.withOtherCredentials()) {
            S3Location loc = S3Location.parse("s3://" + S3TestServer.BUCKET + "/x", other.endpoint(), "us-east-1", true);
            BackupException e = assertThrows(BackupException.class, () -> S3BlobStore.open(loc, spool, SMALL_PARTS));
            assertEquals(ErrorCode.FORBIDDEN, e.code());
            assertTrue(e.getMessage().contains("refused the credentials") && e.getMessage().contains("AWS_ACCESS_KEY_ID"),
                    e.getMessage());
        }
    }

    @Test
    void anUnreachableEndpointIsNamed() throws Exception {
        int port;
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        S3Location loc = S3Location.parse("s3://" + S3TestServer.BUCKET + "/x", "http://127.0.0.1:" + port, "us-east-1", true);
        BackupException e = assertThrows(BackupException.class, () -> S3BlobStore.open(loc, spool, SMALL_PARTS));
        assertEquals(ErrorCode.UNAVAILABLE, e.code());
        assertTrue(e.getMessage().startsWith("cannot reach S3 bucket '" + S3TestServer.BUCKET + "' at http://127.0.0.1:" + port),
                e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
}
