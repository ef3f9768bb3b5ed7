package dev.meridian.backup.hash;

import static dev.meridian.backup.hash.Blake3Compress.BLOCK_LEN;
import static dev.meridian.backup.hash.Blake3Compress.CHUNK_END;
import static dev.meridian.backup.hash.Blake3Compress.CHUNK_LEN;
import static dev.meridian.backup.hash.Blake3Compress.CHUNK_START;
import static dev.meridian.backup.hash.Blake3Compress.DERIVE_KEY_CONTEXT;
import static dev.meridian.backup.hash.Blake3Compress.DERIVE_KEY_MATERIAL;
import static dev.meridian.backup.hash.Blake3Compress.KEYED_HASH;
import static dev.meridian.backup.hash.Blake3Compress.PARENT;
import static dev.meridian.backup.hash.Blake3Compress.ROOT;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * BLAKE3 with a 256-bit output: hash, keyed-hash and derive-key modes.
 *
 * <p>Instances are not thread-safe. After warm-up, {@code update} allocates nothing: all scratch space is
 * per instance and allocated on first use. When the {@code jdk.incubator.vector} module is in the boot layer
 * (JVM option {@code --add-modules jdk.incubator.vector}) whole chunks are hashed several at a time with SIMD;
 * otherwise, or with {@code -Dmeridian.blake3.vector=false}, a scalar path gives the same results.
 *
 * <p>The package-private tree steps ({@link #startAt}, {@link #pushCv}, {@link #chunkNode}, {@link #foldStack},
 * {@link #nodeChainingValue}, {@link #copyNode}, {@link #rootWords}) let an input be hashed in independent pieces
 * whose chaining values are folded as a sequential pass would; the tests of this package check that with a
 * parallel file hash.
 */
public final class Blake3 {
    public static final int OUT_LEN = 32;
    public static final int KEY_LEN = 32;

    /** Lanes of the SIMD path in use, or 0 when it is unavailable or disabled. */
    static final int LANES = detectLanes();

    /** 2^64 bytes are 2^54 chunks, so the stack of complete subtrees never holds more than 54 entries. */
    private static final int MAX_DEPTH = 54;
    /** Largest subtree hashed in one SIMD pass: its 8 KiB of chaining values stay in L1, and the few scalar parents at its top cost under 1%. */
    private static final int MAX_SUBTREE_CHUNKS = 256;
    /** Direct buffers are copied through this much heap scratch, small enough for L2 and large enough to keep SIMD batches full. */
    private static final int STAGING_LEN = 256 * 1024;

    private final int[] key;
    private final int flags;
    private final boolean simd;
    /** Use the SIMD path even while it is cold: only the warm-up does, to make it hot. */
    private boolean alwaysSimd;

    /** Index of the first chunk this instance hashes: non-zero only for a piece of a larger input ({@link #startAt}). */
    private long chunkBase;
    /** Index of the chunk held in the chunk state; equals the number of chunks already folded into the stack plus chunkBase. */
    private long chunkCounter;
    private final int[] cvStack = new int[MAX_DEPTH * 8];
    private int stackLen;

    private final int[] chunkCv = new int[8];
    private final byte[] block = new byte[BLOCK_LEN];
    private int blockLen;
    private int blocksCompressed;

    /** The not yet finalised top node built by {@link #chunkNode()} and {@link #foldStack()}. */
    private final int[] nodeCv = new int[8];
    private final int[] nodeMsg = new int[16];
    private long nodeCounter;
    private int nodeBlockLen;
    private int nodeFlags;

    private final int[] cv = new int[8];
    private int[] simdMsg;
    private int[] simdCvs;
    private byte[] staging;

    private Blake3(int[] key, int flags, boolean simd) {
        this.key = key;
        this.flags = flags;
        this.simd = simd;
        reset();
    }

    /** A hasher in the default hash mode. */
    public static Blake3 newHasher() {
        return new Blake3(ivKey(), 0, LANES > 0);
    }

    /** Whether this hasher uses the SIMD path even before {@link Blake3Warmup} has made it hot (tests, the warm-up). */
    Blake3 alwaysSimd(boolean always) {
        this.alwaysSimd = always;
        return this;
    }

    /** Package-private so tests can run the scalar and SIMD paths side by side in one JVM; SIMD even while cold. */
    static Blake3 newHasher(boolean simd) {
        return new Blake3(ivKey(), 0, simd && LANES > 0).alwaysSimd(simd);
    }

    /** A hasher in keyed-hash mode (a MAC/PRF) with a 32-byte key. */
    public static Blake3 newKeyedHasher(byte[] key) {
        return newKeyedHasher(key, LANES > 0).alwaysSimd(false);
    }

    static Blake3 newKeyedHasher(byte[] key, boolean simd) {
        if (key.length != KEY_LEN) {
            throw new IllegalArgumentException("BLAKE3 key must be 32 bytes, got " + key.length);
        }
        int[] k = new int[8];
        for (int i = 0; i < 8; i++) {
            k[i] = (key[4 * i] & 0xFF) | (key[4 * i + 1] & 0xFF) << 8 | (key[4 * i + 2] & 0xFF) << 16 | key[4 * i + 3] << 24;
        }
        return new Blake3(k, KEYED_HASH, simd && LANES > 0).alwaysSimd(simd);
    }

    /** A hasher in derive-key mode: the key material is fed with {@code update}; the context should be a hard-coded, unique string. */
    public static Blake3 newDeriveKeyHasher(String context) {
        return newDeriveKeyHasher(context, LANES > 0).alwaysSimd(false);
    }

    static Blake3 newDeriveKeyHasher(String context, boolean simd) {
        Blake3 ctx = new Blake3(ivKey(), DERIVE_KEY_CONTEXT, false);
        ctx.update(context.getBytes(StandardCharsets.UTF_8));
        int[] k = new int[8];
        ctx.chunkNode();
        ctx.foldStack();
        ctx.rootWords(k);
        return new Blake3(k, DERIVE_KEY_MATERIAL, simd && LANES > 0).alwaysSimd(simd);
    }

    /** One-shot hash of {@code input}. */
    public static byte[] hash(byte[] input) {
        return newHasher().update(input).digest();
    }

    /** Lower-case hexadecimal form of {@code digest}. */
    public static String hex(byte[] digest) {
        char[] out = new char[digest.length * 2];
        for (int i = 0; i < digest.length; i++) {
            out[2 * i] = Character.forDigit((digest[i] >>> 4) & 0xF, 16);
            out[2 * i + 1] = Character.forDigit(digest[i] & 0xF, 16);
        }
        return new String(out);
    }

    /** Starts over in the same mode (and with the same key), as if newly created. */
    public Blake3 reset() {
        startAt(0);
        return this;
    }

    public Blake3 update(byte[] input) {
        return update(input, 0, input.length);
    }

    public Blake3 update(byte[] input, int off, int len) {
        Objects.checkFromIndexSize(off, len, input.length);
        absorb(input, off, len, false);
        return this;
    }

    /** Consumes {@code buf.remaining()} bytes (heap or direct) and advances its position to its limit. */
    public Blake3 update(ByteBuffer buf) {
        if (buf.hasArray()) {
            absorb(buf.array(), buf.arrayOffset() + buf.position(), buf.remaining(), false);
            buf.position(buf.limit());
            return this;
        }
        if (staging == null) {
            staging = new byte[STAGING_LEN];
        }
        while (buf.hasRemaining()) {
            int n = Math.min(STAGING_LEN, buf.remaining());
            buf.get(staging, 0, n);
            absorb(staging, 0, n, buf.hasRemaining());
        }
        return this;
    }

    /** Returns the 32-byte hash of everything fed so far. */
    public byte[] digest() {
        byte[] out = new byte[OUT_LEN];
        digest(out, 0);
        return out;
    }

    /** Writes the 32-byte hash of everything fed so far to {@code out[off..off+32)}. */
    public void digest(byte[] out, int off) {
        Objects.checkFromIndexSize(off, OUT_LEN, out.length);
        chunkNode();
        foldStack();
        rootWords(cv);
        storeLittleEndian(cv, out, off);
    }

    /**
     * Writes 8 words as 32 little-endian bytes with plain byte stores. A loop of int-sized VarHandle stores into a
     * freshly allocated byte[] was miscompiled by C2 on JDK 17.0.15 (the digest intermittently came out as zeros).
     */
    static void storeLittleEndian(int[] words, byte[] out, int off) {
        for (int i = 0; i < 8; i++) {
            int w = words[i];
            out[off + 4 * i] = (byte) w;
            out[off + 4 * i + 1] = (byte) (w >>> 8);
            out[off + 4 * i + 2] = (byte) (w >>> 16);
            out[off + 4 * i + 3] = (byte) (w >>> 24);
        }
    }

    private static int[] ivKey() {
        return new int[] {
            Blake3Compress.IV0, Blake3Compress.IV1, Blake3Compress.IV2, Blake3Compress.IV3,
            Blake3Compress.IV4, Blake3Compress.IV5, Blake3Compress.IV6, Blake3Compress.IV7
        };
    }

    private static int detectLanes() {
        if ("false".equalsIgnoreCase(System.getProperty("meridian.blake3.vector"))
                || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return 0;
        }
        try {
            int lanes = Blake3Vector.L;
            // Below 8 lanes (no AVX2 or wider) the SIMD path does not beat the scalar one.
            return lanes >= 8 ? lanes : 0;
        } catch (LinkageError e) {
            return 0;
        }
    }

    /** Starts over at chunk index {@code chunk}: 0 for a whole input, or the first chunk of a piece hashed on its own. */
    void startAt(long chunk) {
        chunkBase = chunk;
        chunkCounter = chunk;
        stackLen = 0;
        newChunk();
    }

    private void newChunk() {
        System.arraycopy(key, 0, chunkCv, 0, 8);
        blockLen = 0;
        blocksCompressed = 0;
    }

    private int chunkBytes() {
        return blocksCompressed * BLOCK_LEN + blockLen;
    }

    private int startFlag() {
        return blocksCompressed == 0 ? CHUNK_START : 0;
    }

    /**
     * Feeds {@code len} bytes. The last chunk seen must stay in the chunk state because only finalisation knows whether
     * it is the root, so whole chunks go through the bulk path only while at least one more byte is known to follow.
     */
    private void absorb(byte[] in, int off, int len, boolean moreFollows) {
        while (len > 0) {
            if (chunkBytes() == CHUNK_LEN) {
                finishChunk();
            }
            if (chunkBytes() == 0 && len >= CHUNK_LEN) {
                int n = moreFollows ? len / CHUNK_LEN : (len - 1) / CHUNK_LEN;
                if (n > 0) {
                    bulk(in, off, n);
                    off += n * CHUNK_LEN;
                    len -= n * CHUNK_LEN;
                    if (len == 0) {
                        return;
                    }
                }
            }
            int take = Math.min(len, CHUNK_LEN - chunkBytes());
            fillChunk(in, off, take);
            off += take;
            len -= take;
        }
    }

    /** Adds bytes to the current chunk; the final block of the chunk stays buffered until more input proves it is not last. */
    private void fillChunk(byte[] in, int off, int len) {
        while (len > 0) {
            if (blockLen == BLOCK_LEN) {
                Blake3Compress.compress(chunkCv, 0, block, 0, chunkCounter, BLOCK_LEN, flags | startFlag(), chunkCv, 0);
                blocksCompressed++;
                blockLen = 0;
            }
            if (blockLen == 0 && len > BLOCK_LEN) {
                Blake3Compress.compress(chunkCv, 0, in, off, chunkCounter, BLOCK_LEN, flags | startFlag(), chunkCv, 0);
                blocksCompressed++;
                off += BLOCK_LEN;
                len -= BLOCK_LEN;
            } else {
                int n = Math.min(BLOCK_LEN - blockLen, len);
                System.arraycopy(in, off, block, blockLen, n);
                blockLen += n;
                off += n;
                len -= n;
            }
        }
    }

    /** Closes the full chunk in the chunk state, known not to be the last one, and pushes its chaining value. */
    private void finishChunk() {
        Blake3Compress.compress(chunkCv, 0, block, 0, chunkCounter, BLOCK_LEN, flags | CHUNK_END | startFlag(), cv, 0);
        pushCv(cv, 0, 1);
        newChunk();
    }

    /** Hashes {@code n} whole chunks at {@code in[off]}, none of them the last chunk of the input, starting at chunkCounter. */
    private void bulk(byte[] in, int off, int n) {
        if (!simd) {
            scalarChunks(in, off, n);
            return;
        }
        if (!alwaysSimd && !Blake3Warmup.vectorHot()) {
            // Interpreted vector code is far slower than scalar code; see Blake3Warmup.
            Blake3Warmup.start();
            scalarChunks(in, off, n);
            return;
        }
        if (simdMsg == null) {
            simdMsg = new int[Blake3Vector.WORK_LEN];
            simdCvs = new int[MAX_SUBTREE_CHUNKS * 8];
        }
        while (n > 0) {
            long done = chunkCounter - chunkBase;
            int misaligned = (int) done & (LANES - 1);
            int step;
            if (misaligned != 0 || n < LANES) {
                // Up to the next multiple of LANES (or the remainder), one chunk per lane; CVs are pushed one at a time.
                step = misaligned != 0 ? Math.min(n, LANES - misaligned) : n;
                if (step < LANES / 4) {
                    // A SIMD batch costs as much as a full one; a few chunks are cheaper on the scalar path.
                    scalarChunks(in, off, step);
                } else {
                    Blake3Vector.chunks(in, off, step, chunkCounter, key, flags, simdMsg, simdCvs, 0);
                    for (int i = 0; i < step; i++) {
                        pushCv(simdCvs, 8 * i, 1);
                    }
                }
            } else {
                // The largest aligned complete subtree that fits: its chaining value is pushed as one stack entry.
                step = Integer.highestOneBit(Math.min(n, MAX_SUBTREE_CHUNKS));
                while ((done & (step - 1)) != 0) {
                    step >>>= 1;
                }
                Blake3Vector.subtree(in, off, step, chunkCounter, key, flags, simdMsg, simdCvs, cv, 0);
                pushCv(cv, 0, step);
            }
            off += step * CHUNK_LEN;
            n -= step;
        }
    }

    private void scalarChunks(byte[] in, int off, int n) {
        for (int i = 0; i < n; i++, off += CHUNK_LEN) {
            Blake3Compress.chunk(key, in, off, chunkCounter, flags, cv, 0);
            pushCv(cv, 0, 1);
        }
    }

    /**
     * Pushes the chaining value of a complete subtree of {@code chunks} chunks (aligned to its size) and merges
     * completed siblings: afterwards the stack holds one entry per set bit of the number of chunks hashed.
     */
    void pushCv(int[] src, int srcOff, long chunks) {
        System.arraycopy(src, srcOff, cvStack, 8 * stackLen, 8);
        stackLen++;
        chunkCounter += chunks;
        int target = Long.bitCount(chunkCounter - chunkBase);
        while (stackLen > target) {
            int left = 8 * (stackLen - 2);
            // Left and right siblings are adjacent on the stack, so they already form the parent's 16-word message.
            Blake3Compress.compress(key, 0, cvStack, left, 0, BLOCK_LEN, flags | PARENT, cvStack, left);
            stackLen--;
        }
    }

    /** Sets the top node to the (possibly partial) chunk in the chunk state, its final block zero-padded. */
    void chunkNode() {
        System.arraycopy(chunkCv, 0, nodeCv, 0, 8);
        for (int i = 0; i < 16; i++) {
            int w = 0;
            for (int j = 3; j >= 0; j--) {
                int p = 4 * i + j;
                w = (w << 8) | (p < blockLen ? block[p] & 0xFF : 0);
            }
            nodeMsg[i] = w;
        }
        nodeCounter = chunkCounter;
        nodeBlockLen = blockLen;
        nodeFlags = flags | CHUNK_END | startFlag();
    }

    /** Merges the top node with the stacked subtrees to its left, right to left, leaving the root candidate as the node. */
    void foldStack() {
        for (int i = stackLen - 1; i >= 0; i--) {
            Blake3Compress.compress(nodeCv, 0, nodeMsg, 0, nodeCounter, nodeBlockLen, nodeFlags, nodeMsg, 8);
            System.arraycopy(cvStack, 8 * i, nodeMsg, 0, 8);
            System.arraycopy(key, 0, nodeCv, 0, 8);
            nodeCounter = 0;
            nodeBlockLen = BLOCK_LEN;
            nodeFlags = flags | PARENT;
        }
    }

    /** The chaining value of the top node as a non-root node: a piece's contribution to the tree above it. */
    void nodeChainingValue(int[] out, int outOff) {
        Blake3Compress.compress(nodeCv, 0, nodeMsg, 0, nodeCounter, nodeBlockLen, nodeFlags, out, outOff);
    }

    /** The first 8 output words of the root node (output block 0). */
    void rootWords(int[] out) {
        Blake3Compress.compress(nodeCv, 0, nodeMsg, 0, 0, nodeBlockLen, nodeFlags | ROOT, out, 0);
    }

    /** Takes over another hasher's top node (the last piece of an input hashed in pieces). */
    void copyNode(Blake3 from) {
        System.arraycopy(from.nodeCv, 0, nodeCv, 0, 8);
        System.arraycopy(from.nodeMsg, 0, nodeMsg, 0, 16);
        nodeCounter = from.nodeCounter;
        nodeBlockLen = from.nodeBlockLen;
        nodeFlags = from.nodeFlags;
    }
}
