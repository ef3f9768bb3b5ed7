package dev.meridian.backup.hash;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.HexFormat;
import java.util.concurrent.Executor;
import org.bouncycastle.crypto.digests.Blake3Digest;

/** Placeholder BLAKE3 over BouncyCastle; replaced by the fast implementation. */
public final class Blake3 {
    public static final int OUT_LEN = 32;
    private Blake3Digest digest = new Blake3Digest(256);
    private final byte[] scratch = new byte[64 * 1024];

    public static Blake3 newHasher() {
        return new Blake3();
    }

    public Blake3 update(byte[] input, int off, int len) {
        digest.update(input, off, len);
        return this;
    }

    public Blake3 update(byte[] input) {
        return update(input, 0, input.length);
    }

    public Blake3 update(ByteBuffer buf) {
        if (buf.hasArray()) {
            digest.update(buf.array(), buf.arrayOffset() + buf.position(), buf.remaining());
            buf.position(buf.limit());
        } else {
            while (buf.hasRemaining()) {
                int n = Math.min(scratch.length, buf.remaining());
                buf.get(scratch, 0, n);
                digest.update(scratch, 0, n);
            }
        }
        return this;
    }

    public byte[] digest() {
        byte[] out = new byte[OUT_LEN];
        digest.doFinal(out, 0);
        return out;
    }

    public Blake3 reset() {
        // BouncyCastle 1.87's Blake3Digest.reset() keeps state after a partial update; start fresh instead.
        digest = new Blake3Digest(256);
        return this;
    }

    public static byte[] hash(byte[] input) {
        return newHasher().update(input).digest();
    }

    public static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }

    public static byte[] hashFile(FileChannel ch, Executor executor, int parallelism) throws IOException {
        Blake3 h = newHasher();
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        long pos = 0;
        while (true) {
            buf.clear();
            int n = ch.read(buf, pos);
            if (n < 0) break;
            pos += n;
            buf.flip();
            h.update(buf);
        }
        return h.digest();
    }
}
