package dev.meridian.backup.store.file;

import dev.meridian.backup.store.PendingBlob;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A blob written to a local file first: the file store's {@code tmp/} part, or the S3 store's upload spool. Writing,
 * counting and discarding are the same for both; {@link #publish} is what each store does with the finished file.
 * A failed publish leaves the blob uncommitted, so closing it removes the file.
 */
public abstract class FileBackedPendingBlob implements PendingBlob {
    private final FileChannel ch;
    private final Path file;
    private long written;
    private boolean done;

    protected FileBackedPendingBlob(FileChannel ch, Path file) {
        this.ch = ch;
        this.file = file;
    }

    /**
     * Makes {@code file} (still open as {@code ch}, {@code written} bytes long) visible under {@code key}. Called at
     * most once successfully; the file may be moved or deleted by it.
     */
    protected abstract void publish(FileChannel ch, Path file, long written, String key) throws IOException;

    @Override
    public final int write(ByteBuffer src) throws IOException {
        int n = ch.write(src);
        written += n;
        return n;
    }

    @Override
    public final long written() {
        return written;
    }

    @Override
    public final void commit(String key) throws IOException {
        if (done) {
            throw new IllegalStateException("blob already committed or discarded");
        }
        publish(ch, file, written, key);
        done = true;
    }

    @Override
    public final boolean isOpen() {
        return ch.isOpen();
    }

    @Override
    public final void close() throws IOException {
        if (!done) {
            done = true;
            ch.close();
            Files.deleteIfExists(file);
        }
    }
}
