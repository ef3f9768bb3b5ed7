package dev.meridian.backup.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.backup.store.file.FileBlobStore;
import dev.meridian.backup.store.mem.MemBlobStore;
import dev.meridian.backup.store.s3.S3BlobStore;
import dev.meridian.backup.store.s3.S3TestServer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One contract for every BlobStore (file, mem, and S3 against S3Proxy): nothing is visible before commit (invariant 3),
 * keys cannot escape (invariant 7).
 */
class BlobStoreContractTest {
    @TempDir
    static Path dir;

    static Stream<Arguments> stores() throws Exception {
        S3TestServer s3 = S3TestServer.shared();
        return Stream.of(Arguments.of("file", new FileBlobStore(Files.createTempDirectory(dir, "file"))),
                Arguments.of("mem", new MemBlobStore()),
                Arguments.of("s3", S3BlobStore.open(s3.location(), Files.createTempDirectory(dir, "spool"), S3BlobStore.Tuning.DEFAULT)));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void aBlobIsInvisibleUntilCommittedThenReadableWhole(String name, BlobStore store) throws Exception {
        try (PendingBlob blob = store.create()) {
            blob.write(ByteBuffer.wrap(bytes("hello ")));
            blob.write(ByteBuffer.wrap(bytes("world")));
            assertEquals(11, blob.written());
            assertFalse(store.exists("objects/ab/x1"));
            assertEquals(List.of(), store.list("objects/"));
            blob.commit("objects/ab/x1");
        }
        assertTrue(store.exists("objects/ab/x1"));
        assertArrayEquals(bytes("hello world"), store.read("objects/ab/x1"));
        assertEquals(OptionalLong.of(11), store.size("objects/ab/x1"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void closingWithoutCommitDiscardsTheBlob(String name, BlobStore store) throws Exception {
        try (PendingBlob blob = store.create()) {
            blob.write(ByteBuffer.wrap(bytes("partial")));
        }
        assertEquals(List.of(), store.list(""));
        assertEquals(OptionalLong.empty(), store.size("objects/zz/none"));
        assertThrows(NoSuchFileException.class, () -> store.open("objects/zz/none"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void listReturnsCommittedKeysUnderAPrefixInOrder(String name, BlobStore store) throws Exception {
        store.write("manifests/b/2.json", bytes("2"));
        store.write("manifests/a/1.json", bytes("1"));
        store.write("manifests/b/1.json", bytes("1"));
        store.write("objects/aa/1", bytes("x"));
        assertEquals(List.of("manifests/a/1.json", "manifests/b/1.json", "manifests/b/2.json"), store.list("manifests/"));
        assertEquals(List.of("manifests/b/1.json", "manifests/b/2.json"), store.list("manifests/b/"));
        assertTrue(store.delete("manifests/b/1.json"));
        assertFalse(store.delete("manifests/b/1.json"));
        assertEquals(List.of("manifests/b/2.json"), store.list("manifests/b/"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void commitReplacesAtomically(String name, BlobStore store) throws Exception {
        store.write("config.json", bytes("one"));
        store.write("config.json", bytes("two"));
        assertArrayEquals(bytes("two"), store.read("config.json"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void keysThatCouldEscapeAreRefused(String name, BlobStore store) {
        for (String bad : new String[] {"../x", "a/../../x", "/etc/passwd", "a//b", "a/./b", "a\0b", "", "tmp/../x", "a/.."}) {
            assertThrows(IllegalArgumentException.class, () -> store.write(bad, bytes("x")), bad);
            assertThrows(IllegalArgumentException.class, () -> store.exists(bad), bad);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void sweepRemovesOnlyUncommittedWrites(String name, BlobStore store) throws Exception {
        store.write("objects/cc/kept", bytes("k"));
        PendingBlob abandoned = store.create();
        abandoned.write(ByteBuffer.wrap(bytes("left by a crash")));
        // A crash leaves the part (or spool) file behind; the next start sweeps it.
        int swept = store.sweepPending();
        assertEquals(store instanceof MemBlobStore ? 0 : 1, swept);
        assertArrayEquals(bytes("k"), store.read("objects/cc/kept"));
        abandoned.close();
    }
}
