package dev.meridian.backup.repository;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The 16 bytes in front of every object body: magic "MBO1", format version, body encoding, cipher, a reserved
 * byte, and the content length (little-endian). The header lets a reader refuse what it cannot decode and catch
 * truncation before hashing.
 */
public record ObjectHeader(byte encoding, byte cipher, long contentLength) {
    public static final int SIZE = 16;
    public static final byte VERSION = 1;
    public static final byte ENCODING_RAW = 0;
    /** Body is a sequence of blocks, each zstd-compressed or stored as is (see {@link ObjectCodec}). */
    public static final byte ENCODING_BLOCKS = 1;
    public static final byte CIPHER_NONE = 0;
    /**
     * Body sealed with AES-256-GCM: a 12-byte random nonce after the header, then frames of at most 1 MiB of content,
     * each with its 16-byte tag (see {@link ObjectCodec} and docs/repository-format.md, "Encrypted repositories").
     */
    public static final byte CIPHER_AES_256_GCM = 1;
    private static final int MAGIC = 0x314f424d; // "MBO1" little-endian

    public ByteBuffer encode() {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).put(VERSION).put(encoding).put(cipher).put((byte) 0).putLong(contentLength);
        return b.flip();
    }

    public static ObjectHeader decode(ByteBuffer b) throws IOException {
        if (b.remaining() < SIZE) {
            throw new IOException("object is shorter than its " + SIZE + "-byte header (truncated)");
        }
        b.order(ByteOrder.LITTLE_ENDIAN);
        int magic = b.getInt();
        byte version = b.get();
        byte encoding = b.get();
        byte cipher = b.get();
        b.get();
        long length = b.getLong();
        if (magic != MAGIC) {
            throw new IOException("object header is damaged (bad magic)");
        }
        if (version != VERSION) {
            throw new IOException("object format version " + version + " is not supported by this build");
        }
        if (encoding != ENCODING_RAW && encoding != ENCODING_BLOCKS) {
            throw new IOException("object encoding " + encoding + " is unknown (damaged header or newer format)");
        }
        if (cipher != CIPHER_NONE && cipher != CIPHER_AES_256_GCM) {
            throw new IOException("object is encrypted with cipher " + cipher + ", which this build cannot read");
        }
        if (length < 0) {
            throw new IOException("object header is damaged (negative length)");
        }
        return new ObjectHeader(encoding, cipher, length);
    }
}
