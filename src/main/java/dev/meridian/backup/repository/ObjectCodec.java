package dev.meridian.backup.repository;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import dev.meridian.backup.hash.Blake3;
import dev.meridian.backup.model.Hash;
import dev.meridian.backup.model.Progress;
import dev.meridian.backup.store.PendingBlob;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * Encodes a file into an object body while hashing it (one read of the source), and decodes an object while
 * checking its size and hash (one read of the object). Block encoding: each block is an 8-byte little-endian
 * prefix {@code rawLength, storedLength | RAW_FLAG} then the stored bytes, zstd-compressed unless RAW_FLAG is set.
 */
public final class ObjectCodec {
    public static final int BLOCK_SIZE = 1 << 20;
    private static final int RAW_FLAG = 0x8000_0000;
    private static final int BLOCK_PREFIX = 8;
    /** After this many blocks in a row that did not shrink, auto mode stops trying for the rest of the file. */
    private static final int AUTO_GIVE_UP = 2;
    /** Auto mode first compresses this much of the file's first block: if that does not shrink, neither does the file. */
    private static final int AUTO_SAMPLE = 64 * 1024;

    private ObjectCodec() {}

    /** Per-thread buffers and codec contexts, reused across files on one I/O thread. */
    private static final class Scratch {
        final ByteBuffer in = ByteBuffer.allocateDirect(BLOCK_SIZE);
        final ByteBuffer out = ByteBuffer.allocateDirect((int) Zstd.compressBound(BLOCK_SIZE) + BLOCK_PREFIX);
        final ByteBuffer prefix = ByteBuffer.allocateDirect(BLOCK_PREFIX).order(ByteOrder.LITTLE_ENDIAN);
        final Blake3 hasher = Blake3.newHasher();
        final ZstdCompressCtx compressor = new ZstdCompressCtx();
        final ZstdDecompressCtx decompressor = new ZstdDecompressCtx();
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** What {@link #encode} produced. */
    public record Encoded(Hash hash, long contentLength, long storedLength) {}

    /**
     * Reads {@code src} from position 0 to its end, hashing it and writing header + body to {@code dst}; with a
     * null {@code dst} it only hashes (to learn whether the repository already holds the content).
     */
    public static Encoded encode(FileChannel src, Compression compression, PendingBlob dst, IoThrottle throttle,
            Progress progress, long progressBase, long progressTotal) throws IOException {
        Scratch s = SCRATCH.get();
        Blake3 hasher = s.hasher.reset();
        long size = src.size();
        boolean blocks = compression.mode() != Compression.Mode.OFF && dst != null;
        if (dst != null) {
            writeFully(dst, new ObjectHeader(blocks ? ObjectHeader.ENCODING_BLOCKS : ObjectHeader.ENCODING_RAW,
                    ObjectHeader.CIPHER_NONE, size).encode());
        }
        if (blocks) {
            s.compressor.setLevel(compression.level());
        }
        int incompressibleRun = 0;
        long pos = 0;
        while (pos < size) {
            ByteBuffer in = s.in.clear();
            in.limit((int) Math.min(in.capacity(), size - pos));
            while (in.hasRemaining()) {
                if (src.read(in, pos + in.position()) < 0) {
                    throw new IOException("file shrank while it was being backed up (expected " + size + " bytes)");
                }
            }
            in.flip();
            throttle.acquire(in.remaining());
            hasher.update(in.duplicate());
            int rawLen = in.remaining();
            if (dst == null) {
                in.position(in.limit());
            } else if (!blocks) {
                writeFully(dst, in);
            } else {
                if (pos == 0 && compression.mode() == Compression.Mode.AUTO && rawLen > AUTO_SAMPLE
                        && !shrinks(s, in, AUTO_SAMPLE)) {
                    incompressibleRun = AUTO_GIVE_UP; // e.g. an SST RocksDB already compressed: store it as is
                }
                boolean tryCompress = compression.mode() == Compression.Mode.ZSTD || incompressibleRun < AUTO_GIVE_UP;
                int storedLen = -1;
                if (tryCompress) {
                    ByteBuffer out = s.out.clear();
                    storedLen = s.compressor.compressDirectByteBuffer(out, 0, out.capacity(), in, 0, rawLen);
                    boolean worthIt = compression.mode() == Compression.Mode.ZSTD
                            || storedLen <= rawLen * Compression.AUTO_THRESHOLD;
                    if (!worthIt) {
                        storedLen = -1;
                        incompressibleRun++;
                    } else {
                        incompressibleRun = 0;
                    }
                }
                ByteBuffer prefix = s.prefix.clear();
                if (storedLen >= 0) {
                    prefix.putInt(rawLen).putInt(storedLen).flip();
                    writeFully(dst, prefix);
                    writeFully(dst, s.out.clear().limit(storedLen));
                } else {
                    prefix.putInt(rawLen).putInt(rawLen | RAW_FLAG).flip();
                    writeFully(dst, prefix);
                    writeFully(dst, in);
                }
            }
            pos += rawLen;
            progress.report(progressBase + pos, progressTotal);
        }
        if (src.size() != size) {
            throw new IOException("file changed size while it was being backed up (" + size + " -> " + src.size() + " bytes)");
        }
        return new Encoded(Hash.of(hasher.digest()), size, dst == null ? 0 : dst.written());
    }

    /**
     * Decodes an object, writing its content to {@code sink} (may be null to only check), and verifies that it
     * holds exactly {@code expectedSize} bytes hashing to {@code expected}. Throws {@link CorruptObjectException}
     * describing the first problem found.
     */
    public static long decode(ReadableByteChannel object, long expectedSize, Hash expected, WritableByteChannel sink,
            IoThrottle throttle, Progress progress, long progressBase, long progressTotal) throws IOException {
        Scratch s = SCRATCH.get();
        Blake3 hasher = s.hasher.reset();
        ByteBuffer headerBuf = ByteBuffer.allocate(ObjectHeader.SIZE);
        readUpTo(object, headerBuf);
        headerBuf.flip();
        ObjectHeader header;
        try {
            header = ObjectHeader.decode(headerBuf);
        } catch (CorruptObjectException e) {
            throw e;
        } catch (IOException e) {
            throw new CorruptObjectException(e.getMessage());
        }
        if (header.contentLength() != expectedSize) {
            throw new CorruptObjectException("object holds " + header.contentLength() + " bytes but the manifest says " + expectedSize);
        }
        long done = 0;
        if (header.encoding() == ObjectHeader.ENCODING_RAW) {
            while (done < expectedSize) {
                ByteBuffer in = s.in.clear();
                in.limit((int) Math.min(in.capacity(), expectedSize - done));
                readUpTo(object, in);
                in.flip();
                if (!in.hasRemaining()) {
                    throw new CorruptObjectException("object is truncated: " + done + " of " + expectedSize + " bytes present");
                }
                done += consume(in, hasher, sink, throttle);
                progress.report(progressBase + done, progressTotal);
            }
        } else {
            while (done < expectedSize) {
                ByteBuffer prefix = s.prefix.clear();
                readUpTo(object, prefix);
                if (prefix.position() < BLOCK_PREFIX) {
                    throw new CorruptObjectException("object is truncated: " + done + " of " + expectedSize + " bytes present");
                }
                prefix.flip();
                int rawLen = prefix.getInt();
                int storedWord = prefix.getInt();
                boolean raw = (storedWord & RAW_FLAG) != 0;
                int storedLen = storedWord & ~RAW_FLAG;
                if (rawLen <= 0 || rawLen > BLOCK_SIZE || storedLen < 0 || storedLen > s.out.capacity()
                        || (raw && storedLen != rawLen) || rawLen > expectedSize - done) {
                    throw new CorruptObjectException("object block at content offset " + done + " has a damaged prefix");
                }
                ByteBuffer stored = (raw ? s.in : s.out).clear().limit(storedLen);
                readUpTo(object, stored);
                if (stored.hasRemaining()) {
                    throw new CorruptObjectException("object is truncated inside the block at content offset " + done);
                }
                stored.flip();
                ByteBuffer content;
                if (raw) {
                    content = stored;
                } else {
                    int n;
                    try {
                        n = s.decompressor.decompressDirectByteBuffer(s.in.clear(), 0, BLOCK_SIZE, stored, 0, storedLen);
                    } catch (RuntimeException e) {
                        throw new CorruptObjectException("object block at content offset " + done + " does not decompress: " + e.getMessage());
                    }
                    if (n != rawLen) {
                        throw new CorruptObjectException("object block at content offset " + done + " decompressed to " + n + " bytes, expected " + rawLen);
                    }
                    content = s.in.clear().limit(n);
                }
                done += consume(content, hasher, sink, throttle);
                progress.report(progressBase + done, progressTotal);
            }
        }
        ByteBuffer extra = ByteBuffer.allocate(1);
        if (object.read(extra) > 0) {
            throw new CorruptObjectException("object has trailing bytes after its " + expectedSize + " bytes of content");
        }
        Hash actual = Hash.of(hasher.digest());
        if (!actual.equals(expected)) {
            throw new CorruptObjectException("content hash mismatch: expected blake3 " + expected.hex() + ", got " + actual.hex());
        }
        return done;
    }

    /** Whether the first {@code sample} bytes of {@code in} compress to at most the auto threshold. */
    private static boolean shrinks(Scratch s, ByteBuffer in, int sample) {
        int n = s.compressor.compressDirectByteBuffer(s.out.clear(), 0, s.out.capacity(), in, 0, sample);
        return n <= sample * Compression.AUTO_THRESHOLD;
    }

    private static int consume(ByteBuffer content, Blake3 hasher, WritableByteChannel sink, IoThrottle throttle) throws IOException {
        int n = content.remaining();
        throttle.acquire(n);
        hasher.update(content.duplicate());
        if (sink != null) {
            writeFully(sink, content);
        }
        return n;
    }

    private static void readUpTo(ReadableByteChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            if (ch.read(buf) < 0) {
                return;
            }
        }
    }

    static void writeFully(WritableByteChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }
}
