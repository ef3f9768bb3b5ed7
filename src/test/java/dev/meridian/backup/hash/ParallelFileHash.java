package dev.meridian.backup.hash;

import static dev.meridian.backup.hash.Blake3Compress.CHUNK_LEN;

import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One file hashed by several threads, each taking 1 MiB (or larger) pieces and folding their chaining values into
 * the tree a sequential pass builds. The engine never does this (it hashes each file in the pass that reads it);
 * it lives with the tests because it exercises {@link Blake3}'s tree steps at arbitrary chunk offsets, and
 * {@link Blake3Throughput} measures it.
 */
final class ParallelFileHash {
    /** Smallest piece of a file hashed independently. */
    private static final int MIN_UNIT_LEN = 1 << 20;
    /** Caps the number of pieces so the per-piece chaining values of huge files stay small (64 Ki x 32 bytes). */
    private static final int MAX_UNITS = 1 << 16;
    /** File bytes read per positional read. */
    private static final int READ_LEN = 1 << 20;

    private ParallelFileHash() {}

    /**
     * Hashes the whole file with up to {@code parallelism} threads, subtrees of at least 1 MiB each; the result is
     * identical to hashing the file sequentially. The calling thread is one of those threads: it takes pieces too,
     * so the call completes even if {@code executor} runs none of the {@code parallelism - 1} tasks it is given.
     * Reads are positional, so the channel's position is not changed; the file must not shrink meanwhile, and bytes
     * appended after the call starts are not hashed.
     */
    static byte[] hash(FileChannel ch, Executor executor, int parallelism) throws IOException {
        return hash(ch, executor, parallelism, Blake3.LANES > 0, true);
    }

    /** As {@link #hash(FileChannel, Executor, int)}, but {@code simd} picks the path, used even while cold. */
    static byte[] hash(FileChannel ch, Executor executor, int parallelism, boolean simd) throws IOException {
        return hash(ch, executor, parallelism, simd, false);
    }

    private static byte[] hash(FileChannel ch, Executor executor, int parallelism, boolean simd, boolean gated)
            throws IOException {
        if (parallelism < 1) {
            throw new IllegalArgumentException("parallelism must be at least 1, got " + parallelism);
        }
        Objects.requireNonNull(executor, "executor");
        long size = ch.size();
        if (size <= MIN_UNIT_LEN || parallelism == 1) {
            Blake3 h = Blake3.newHasher(simd).alwaysSimd(!gated);
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(READ_LEN, Math.max(size, 1)));
            readInto(ch, h, buf, 0, size);
            return h.digest();
        }
        FileJob job = new FileJob(ch, size, simd, gated);
        int helpers = Math.min(parallelism - 1, job.units - 1);
        for (int i = 0; i < helpers; i++) {
            try {
                executor.execute(job::work);
            } catch (RejectedExecutionException e) {
                // A saturated executor only costs parallelism: the calling thread takes the pieces itself.
                break;
            }
        }
        job.work();
        try {
            job.done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            InterruptedIOException ie = new InterruptedIOException("interrupted while hashing");
            ie.initCause(e);
            // Makes the helpers skip the pieces they have not started.
            job.failure.compareAndSet(null, ie);
            throw ie;
        }
        Throwable failure = job.failure.get();
        if (failure instanceof IOException) {
            throw (IOException) failure;
        } else if (failure instanceof RuntimeException) {
            throw (RuntimeException) failure;
        } else if (failure instanceof Error) {
            throw (Error) failure;
        }
        return job.result();
    }

    /** Reads {@code [pos, end)} of the file through {@code buf} into {@code h}. */
    private static void readInto(FileChannel ch, Blake3 h, ByteBuffer buf, long pos, long end) throws IOException {
        while (pos < end) {
            buf.clear();
            buf.limit((int) Math.min(buf.capacity(), end - pos));
            while (buf.hasRemaining()) {
                if (ch.read(buf, pos + buf.position()) < 0) {
                    throw new EOFException("file shrank while hashing: no data at offset " + (pos + buf.position()));
                }
            }
            buf.flip();
            pos += buf.remaining();
            h.update(buf);
        }
    }

    /** Shared state of one {@link #hash} call: pieces are handed out in order from {@link #next}. */
    private static final class FileJob {
        final FileChannel ch;
        final long size;
        final boolean simd;
        final boolean gated;
        final long unitLen;
        final int units;
        final int[] cvs;
        final Blake3 root;
        final AtomicInteger next = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final CountDownLatch done;

        FileJob(FileChannel ch, long size, boolean simd, boolean gated) {
            this.ch = ch;
            this.size = size;
            this.simd = simd;
            this.gated = gated;
            long unit = MIN_UNIT_LEN;
            while ((size + unit - 1) / unit > MAX_UNITS) {
                unit <<= 1;
            }
            this.unitLen = unit;
            this.units = (int) ((size + unit - 1) / unit);
            this.cvs = new int[8 * (units - 1)];
            this.root = Blake3.newHasher(simd).alwaysSimd(!gated);
            this.done = new CountDownLatch(units);
        }

        void work() {
            Blake3 h = null;
            ByteBuffer buf = null;
            for (int u = next.getAndIncrement(); u < units; u = next.getAndIncrement()) {
                try {
                    if (failure.get() == null) {
                        if (h == null) {
                            h = Blake3.newHasher(simd).alwaysSimd(!gated);
                            buf = ByteBuffer.allocate(READ_LEN);
                        }
                        hashUnit(u, h, buf);
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    done.countDown();
                }
            }
        }

        private void hashUnit(int u, Blake3 h, ByteBuffer buf) throws IOException {
            long start = u * unitLen;
            h.startAt(start / CHUNK_LEN);
            readInto(ch, h, buf, start, Math.min(start + unitLen, size));
            h.chunkNode();
            h.foldStack();
            if (u < units - 1) {
                h.nodeChainingValue(cvs, 8 * u);
            } else {
                // The caller reads root only after done.await(), which orders it after this write.
                root.copyNode(h);
            }
        }

        /** Folds the pieces' chaining values into the root exactly as a sequential pass would have. */
        byte[] result() {
            long unitChunks = unitLen / CHUNK_LEN;
            for (int u = 0; u < units - 1; u++) {
                root.pushCv(cvs, 8 * u, unitChunks);
            }
            root.foldStack();
            int[] words = new int[8];
            root.rootWords(words);
            byte[] out = new byte[Blake3.OUT_LEN];
            Blake3.storeLittleEndian(words, out, 0);
            return out;
        }
    }
}
