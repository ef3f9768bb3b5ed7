package dev.meridian.backup.store;

import java.io.IOException;
import java.nio.channels.WritableByteChannel;

/** A blob being written. Closing without {@link #commit(String)} discards it. */
public interface PendingBlob extends WritableByteChannel {

    /** Makes the blob durable and visible under {@code key}, atomically, replacing any blob already there. */
    void commit(String key) throws IOException;

    /** Bytes written so far. */
    long written();
}
