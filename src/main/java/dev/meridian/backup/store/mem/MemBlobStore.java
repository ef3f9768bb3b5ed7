package dev.meridian.backup.store.mem;

import dev.meridian.backup.store.BlobKeys;
import dev.meridian.backup.store.BlobStore;
import dev.meridian.backup.store.PendingBlob;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Blobs in memory, for tests. Same visibility rules as the file store: nothing is seen before commit. */
public final class MemBlobStore implements BlobStore {
    private final ConcurrentSkipListMap<String, byte[]> blobs = new ConcurrentSkipListMap<>();
    private final AtomicInteger pending = new AtomicInteger();

    @Override
    public PendingBlob create() {
        pending.incrementAndGet();
        return new PendingBlob() {
            private final ByteArrayOutputStream out = new ByteArrayOutputStream();
            private boolean done;

            @Override
            public int write(ByteBuffer src) {
                int n = src.remaining();
                byte[] b = new byte[n];
                src.get(b);
                out.write(b, 0, n);
                return n;
            }

            @Override
            public long written() {
                return out.size();
            }

            @Override
            public void commit(String key) {
                BlobKeys.check(key);
                if (done) {
                    throw new IllegalStateException("blob already committed or discarded");
                }
                blobs.put(key, out.toByteArray());
                finish();
            }

            @Override
            public boolean isOpen() {
                return !done;
            }

            @Override
            public void close() {
                if (!done) {
                    finish();
                }
            }

            private void finish() {
                done = true;
                pending.decrementAndGet();
            }
        };
    }

    @Override
    public SeekableByteChannel open(String key) throws IOException {
        byte[] data = blobs.get(BlobKeys.check(key));
        if (data == null) {
            throw new NoSuchFileException(key);
        }
        return new ByteArrayChannel(data);
    }

    @Override
    public boolean exists(String key) {
        return blobs.containsKey(BlobKeys.check(key));
    }

    @Override
    public OptionalLong size(String key) {
        byte[] data = blobs.get(BlobKeys.check(key));
        return data == null ? OptionalLong.empty() : OptionalLong.of(data.length);
    }

    @Override
    public List<String> list(String prefix) {
        BlobKeys.checkPrefix(prefix);
        return blobs.keySet().stream().filter(k -> k.startsWith(prefix)).toList();
    }

    @Override
    public boolean delete(String key) {
        return blobs.remove(BlobKeys.check(key)) != null;
    }

    @Override
    public int sweepPending() {
        return 0;
    }

    /** Writes in progress, for tests that check nothing is left open. */
    public int pendingWrites() {
        return pending.get();
    }

    /** Replaces a committed blob's bytes, for corruption tests. */
    public void overwrite(String key, byte[] data) {
        blobs.put(BlobKeys.check(key), data.clone());
    }

    @Override
    public String describe() {
        return "memory";
    }

    @Override
    public void close() {}

    private static final class ByteArrayChannel implements SeekableByteChannel {
        private final byte[] data;
        private int position;
        private boolean open = true;

        ByteArrayChannel(byte[] data) {
            this.data = data;
        }

        @Override
        public int read(ByteBuffer dst) {
            if (position >= data.length) {
                return -1;
            }
            int n = Math.min(dst.remaining(), data.length - position);
            dst.put(data, position, n);
            position += n;
            return n;
        }

        @Override
        public int write(ByteBuffer src) {
            throw new NonWritableChannelException(); // committed blobs are immutable: read channels only
        }

        @Override
        public long position() {
            return position;
        }

        @Override
        public SeekableByteChannel position(long newPosition) {
            position = (int) Math.min(newPosition, data.length);
            return this;
        }

        @Override
        public long size() {
            return data.length;
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
            open = false;
        }
    }
}
