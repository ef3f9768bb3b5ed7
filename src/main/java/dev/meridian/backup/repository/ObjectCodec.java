package dev.meridian.backup.repository;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import dev.meridian.backup.hash.Blake3;
import dev.meridian.backup.model.Hash;
import dev.meridian.backup.model.Progress;
import dev.meridian.backup.repository.seal.RepositoryKeys;
import dev.meridian.backup.repository.seal.Seal;
import dev.meridian.backup.store.PendingBlob;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;

/**
 * Encodes a file into an object body while hashing it (one read of the source), and decodes an object while
 * checking its size and hash (one read of the object). Block encoding: each block is an 8-byte little-endian
 * prefix {@code rawLength, storedLength | RAW_FLAG} then the stored bytes, zstd-compressed unless RAW_FLAG is set.
 *
 * <p>Sealed (given {@link RepositoryKeys}; header cipher {@link ObjectHeader#CIPHER_AES_256_GCM}): a random 12-byte
 * nonce follows the header, and every block becomes one AES-256-GCM frame (the STREAM construction of
 * {@link Seal#frameNonce}): raw encoding seals each 1 MiB of content as is; block encoding keeps each block's prefix
 * in the clear and seals its stored bytes. A frame's associated data is the 16-byte header, then (block encoding) its
 * 8-byte prefix, so the format, compression, cipher, length and block sizes are all authenticated. Empty content is
 * one empty final frame (the tag alone). The object is named by BLAKE3 keyed with the name key over the content's
 * Blake3: a keyed hash of the plaintext that costs one 32-byte hash, not a second pass over the content.
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
        final byte[] aad = new byte[ObjectHeader.SIZE + BLOCK_PREFIX];
        final byte[] nonce = new byte[Seal.NONCE_LEN];
        final byte[] frameNonce = new byte[Seal.NONCE_LEN];
        /** Heap arrays for AES-GCM: the JDK's GCM is about twice as fast on arrays as on direct buffers (JDK 17). */
        byte[] plainFrame;
        byte[] sealedFrame;
        Cipher cipher;
        RepositoryKeys nameKeys;
        Blake3 nameHasher;

        /** The frame buffer and cipher, made on first use: a plaintext repository never needs them. */
        void sealing() {
            if (cipher == null) {
                cipher = Seal.newCipher();
                plainFrame = new byte[out.capacity()];
                sealedFrame = new byte[out.capacity() + Seal.TAG_LEN];
            }
        }

        /** The name hasher for {@code keys}, reset; kept while one repository's keys are in use. */
        Blake3 nameHasher(RepositoryKeys keys) {
            if (nameKeys != keys) {
                nameHasher = keys.newNameHasher();
                nameKeys = keys;
            }
            return nameHasher.reset();
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * Makes the calling thread's buffers (two of about {@link #BLOCK_SIZE} bytes, direct), hasher and zstd contexts
     * now rather than in its first {@link #encode} or {@link #decode}; idempotent. For the engine's start, which
     * prepares each I/O thread before the first operation.
     */
    public static void prepareThread() {
        SCRATCH.get();
    }

    /**
     * What {@link #encode} produced: the Blake3 of the content, its size, the bytes written, and the object's name
     * (the content hash, or in a sealed repository BLAKE3 keyed with the name key over that content hash).
     */
    public record Encoded(Hash hash, long contentLength, long storedLength, Hash object) {}

    /** {@link #encode(FileChannel, Compression, RepositoryKeys, PendingBlob, IoThrottle, Progress, long, long)} unsealed. */
    public static Encoded encode(FileChannel src, Compression compression, PendingBlob dst, IoThrottle throttle,
            Progress progress, long progressBase, long progressTotal) throws IOException {
        return encode(src, compression, null, dst, throttle, progress, progressBase, progressTotal);
    }

    /**
     * Reads {@code src} from position 0 to its end, hashing it and writing header + body to {@code dst}; with a
     * null {@code dst} it only hashes (to learn whether the repository already holds the content). With
     * {@code keys} (null: plaintext) the body is sealed and the object named by the keyed hash.
     */
    public static Encoded encode(FileChannel src, Compression compression, RepositoryKeys keys, PendingBlob dst,
            IoThrottle throttle, Progress progress, long progressBase, long progressTotal) throws IOException {
        Scratch s = SCRATCH.get();
        Blake3 hasher = s.hasher.reset();
        Blake3 namer = keys == null ? null : s.nameHasher(keys);
        long size = src.size();
        boolean blocks = compression.mode() != Compression.Mode.OFF && dst != null;
        boolean seal = keys != null && dst != null;
        long frame = 0;
        if (dst != null) {
            ByteBuffer header = new ObjectHeader(blocks ? ObjectHeader.ENCODING_BLOCKS : ObjectHeader.ENCODING_RAW,
                    seal ? ObjectHeader.CIPHER_AES_256_GCM : ObjectHeader.CIPHER_NONE, size).encode();
            if (seal) {
                s.sealing();
                header.duplicate().get(s.aad, 0, ObjectHeader.SIZE);
                System.arraycopy(Seal.random(Seal.NONCE_LEN), 0, s.nonce, 0, Seal.NONCE_LEN);
            }
            writeFully(dst, header);
            if (seal) {
                writeFully(dst, ByteBuffer.wrap(s.nonce));
                if (size == 0) {
                    sealFrame(s, keys, 0, true, ObjectHeader.SIZE, ByteBuffer.allocate(0), dst);
                }
            }
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
            boolean last = pos + rawLen == size;
            if (dst == null) {
                in.position(in.limit());
            } else if (!blocks) {
                if (seal) {
                    sealFrame(s, keys, frame++, last, ObjectHeader.SIZE, in, dst);
                } else {
                    writeFully(dst, in);
                }
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
                ByteBuffer stored;
                if (storedLen >= 0) {
                    prefix.putInt(rawLen).putInt(storedLen).flip();
                    stored = s.out.clear().limit(storedLen);
                } else {
                    prefix.putInt(rawLen).putInt(rawLen | RAW_FLAG).flip();
                    stored = in;
                }
                if (seal) {
                    prefix.duplicate().get(s.aad, ObjectHeader.SIZE, BLOCK_PREFIX);
                }
                writeFully(dst, prefix);
                if (seal) {
                    sealFrame(s, keys, frame++, last, ObjectHeader.SIZE + BLOCK_PREFIX, stored, dst);
                } else {
                    writeFully(dst, stored);
                }
            }
            pos += rawLen;
            progress.report(progressBase + pos, progressTotal);
        }
        if (src.size() != size) {
            throw new IOException("file changed size while it was being backed up (" + size + " -> " + src.size() + " bytes)");
        }
        byte[] digest = hasher.digest();
        Hash hash = Hash.of(digest);
        return new Encoded(hash, size, dst == null ? 0 : dst.written(), namer == null ? hash : Hash.of(namer.update(digest).digest()));
    }

    /** Seals {@code plain} as frame {@code index} with the first {@code aadLen} bytes of the scratch AAD, and writes it. */
    private static void sealFrame(Scratch s, RepositoryKeys keys, long index, boolean last, int aadLen, ByteBuffer plain,
            WritableByteChannel dst) throws IOException {
        Seal.frameNonce(s.nonce, index, last, s.frameNonce);
        int len = plain.remaining();
        plain.get(s.plainFrame, 0, len);
        int n = Seal.encrypt(s.cipher, keys.master(), s.frameNonce, s.aad, aadLen, s.plainFrame, len, s.sealedFrame);
        writeFully(dst, ByteBuffer.wrap(s.sealedFrame, 0, n));
    }

    /** Reads frame {@code index} ({@code sealedLen} bytes with its tag) and opens it into {@code plain}, which it flips. */
    private static ByteBuffer openFrame(Scratch s, ReadableByteChannel object, RepositoryKeys keys, long index, boolean last,
            int aadLen, int sealedLen, ByteBuffer plain, long offset) throws IOException {
        ByteBuffer in = ByteBuffer.wrap(s.sealedFrame, 0, sealedLen);
        readUpTo(object, in);
        if (in.hasRemaining()) {
            throw new CorruptObjectException("object is truncated inside the frame at content offset " + offset);
        }
        Seal.frameNonce(s.nonce, index, last, s.frameNonce);
        try {
            int n = Seal.decrypt(s.cipher, keys.master(), s.frameNonce, s.aad, aadLen, s.sealedFrame, sealedLen, s.plainFrame);
            plain.clear().put(s.plainFrame, 0, n);
        } catch (AEADBadTagException e) {
            throw new CorruptObjectException("object frame " + index + " (content offset " + offset + ") fails authentication:"
                    + " it was altered, truncated, reordered or sealed with another key");
        }
        return plain.flip();
    }

    /**
     * Decodes an object, writing its content to {@code sink} (may be null to only check), and verifies that it
     * holds exactly {@code expectedSize} bytes hashing to {@code expected}. Throws {@link CorruptObjectException}
     * describing the first problem found.
     */
    public static long decode(ReadableByteChannel object, long expectedSize, Hash expected, WritableByteChannel sink,
            IoThrottle throttle, Progress progress, long progressBase, long progressTotal) throws IOException {
        return decode(object, null, expectedSize, expected, sink, throttle, progress, progressBase, progressTotal);
    }

    /**
     * As {@link #decode(ReadableByteChannel, long, Hash, WritableByteChannel, IoThrottle, Progress, long, long)}; with
     * {@code keys} (null: plaintext repository) the object must be sealed, and every frame is authenticated before
     * its bytes reach {@code sink}.
     */
    public static long decode(ReadableByteChannel object, RepositoryKeys keys, long expectedSize, Hash expected,
            WritableByteChannel sink, IoThrottle throttle, Progress progress, long progressBase, long progressTotal)
            throws IOException {
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
        boolean sealed = header.cipher() == ObjectHeader.CIPHER_AES_256_GCM;
        if (keys != null && !sealed) {
            throw new CorruptObjectException("object is not encrypted in an encrypted repository (it was replaced)");
        }
        if (keys == null && sealed) {
            throw new CorruptObjectException("object is encrypted in a repository opened without keys");
        }
        if (sealed) {
            s.sealing();
            headerBuf.flip();
            headerBuf.get(s.aad, 0, ObjectHeader.SIZE);
            ByteBuffer nonce = ByteBuffer.wrap(s.nonce);
            readUpTo(object, nonce);
            if (nonce.hasRemaining()) {
                throw new CorruptObjectException("object is truncated: its nonce is incomplete");
            }
        }
        if (header.contentLength() != expectedSize) {
            throw new CorruptObjectException("object holds " + header.contentLength() + " bytes but the manifest says " + expectedSize);
        }
        long done = 0;
        long frame = 0;
        if (sealed && expectedSize == 0) {
            openFrame(s, object, keys, 0, true, ObjectHeader.SIZE, Seal.TAG_LEN, s.in, 0);
        }
        if (header.encoding() == ObjectHeader.ENCODING_RAW) {
            while (done < expectedSize) {
                ByteBuffer in;
                if (sealed) {
                    int len = (int) Math.min(BLOCK_SIZE, expectedSize - done);
                    in = openFrame(s, object, keys, frame++, done + len == expectedSize, ObjectHeader.SIZE, len + Seal.TAG_LEN,
                            s.in, done);
                } else {
                    in = s.in.clear();
                    in.limit((int) Math.min(in.capacity(), expectedSize - done));
                    readUpTo(object, in);
                    in.flip();
                }
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
                ByteBuffer stored;
                if (sealed) {
                    prefix.flip().get(s.aad, ObjectHeader.SIZE, BLOCK_PREFIX);
                    stored = openFrame(s, object, keys, frame++, done + rawLen == expectedSize, ObjectHeader.SIZE + BLOCK_PREFIX,
                            storedLen + Seal.TAG_LEN, (raw ? s.in : s.out).clear().limit(storedLen), done);
                } else {
                    stored = (raw ? s.in : s.out).clear().limit(storedLen);
                    readUpTo(object, stored);
                    if (stored.hasRemaining()) {
                        throw new CorruptObjectException("object is truncated inside the block at content offset " + done);
                    }
                    stored.flip();
                }
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
