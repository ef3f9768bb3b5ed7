package dev.meridian.backup.store;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.util.List;
import java.util.OptionalLong;

/**
 * Where the repository keeps its bytes: keys like {@code objects/ab/abcd...} or {@code manifests/db/id.json}.
 * A blob becomes visible only when its writer commits, and is then durable (invariant 3).
 * Implementations: {@code file/} (local disk) and {@code mem/} (tests); one contract test covers both.
 */
public interface BlobStore extends AutoCloseable {

    /**
     * Starts a blob whose key is chosen at commit, so content-addressed writers can hash while they write.
     * Nothing is visible until {@link PendingBlob#commit(String)}.
     */
    PendingBlob create() throws IOException;

    /** Opens a committed blob for reading; throws {@link java.nio.file.NoSuchFileException} if there is none. */
    SeekableByteChannel open(String key) throws IOException;

    boolean exists(String key) throws IOException;

    /** The blob's size, or empty if it does not exist. */
    OptionalLong size(String key) throws IOException;

    /** Every committed key that starts with {@code prefix}, in lexicographic order. */
    List<String> list(String prefix) throws IOException;

    /** Removes a blob durably; returns false if it did not exist. */
    boolean delete(String key) throws IOException;

    /** Removes the leftovers of writes that never committed (a crash mid-write); returns how many. */
    int sweepPending() throws IOException;

    /** Human-readable location, for logs and errors. */
    String describe();

    default byte[] read(String key) throws IOException {
        try (SeekableByteChannel ch = open(key)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE - 16) {
                throw new IOException("blob " + key + " is too large to read at once (" + size + " bytes)");
            }
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate((int) size);
            while (buf.hasRemaining() && ch.read(buf) >= 0) {
                // keep reading until full or end of stream
            }
            return buf.array();
        }
    }

    /** Writes and commits a whole blob in one go. */
    default void write(String key, byte[] data) throws IOException {
        try (PendingBlob blob = create()) {
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(data);
            while (buf.hasRemaining()) {
                blob.write(buf);
            }
            blob.commit(key);
        }
    }

    @Override
    void close() throws IOException;
}
