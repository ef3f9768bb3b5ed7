package dev.meridian.backup.repository;

import dev.meridian.backup.repository.seal.RepositoryKeys;
import dev.meridian.backup.repository.seal.Seal;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import javax.crypto.AEADBadTagException;

/**
 * A small named blob of an encrypted repository (a manifest, a verification record): the 16-byte
 * {@link ObjectHeader} (raw encoding, cipher AES-256-GCM, plaintext length), a random 12-byte nonce, then one final
 * frame (nonce as {@link Seal#frameNonce} for index 0, last) of ciphertext and tag. The associated data is the header
 * followed by {@code "meridian-blob-v1\0"} and the blob's key, e.g. {@code manifests/orders/<id>.json}: a blob copied
 * over another's key (a manifest swapped between two backups or databases) fails authentication.
 */
public final class SealedBlob {
    private static final String CONTEXT = "meridian-blob-v1\0";

    private SealedBlob() {}

    /** Seals {@code plain} for {@code key}. */
    public static byte[] seal(RepositoryKeys keys, String key, byte[] plain) {
        byte[] header = new byte[ObjectHeader.SIZE];
        new ObjectHeader(ObjectHeader.ENCODING_RAW, ObjectHeader.CIPHER_AES_256_GCM, plain.length).encode().get(header);
        byte[] base = Seal.random(Seal.NONCE_LEN);
        byte[] nonce = new byte[Seal.NONCE_LEN];
        Seal.frameNonce(base, 0, true, nonce);
        byte[] sealed = Seal.encrypt(keys.master(), nonce, aad(header, key), plain);
        return ByteBuffer.allocate(header.length + base.length + sealed.length).put(header).put(base).put(sealed).array();
    }

    /** Opens the blob stored at {@code key}; an IOException naming the key when it is damaged, moved or foreign. */
    public static byte[] open(RepositoryKeys keys, String key, byte[] blob) throws IOException {
        if (blob.length < ObjectHeader.SIZE + Seal.NONCE_LEN + Seal.TAG_LEN) {
            throw new IOException(key + " is not an encrypted blob (too short: " + blob.length + " bytes)");
        }
        ObjectHeader h;
        try {
            h = ObjectHeader.decode(ByteBuffer.wrap(blob, 0, ObjectHeader.SIZE));
        } catch (IOException e) {
            throw new IOException(key + " is not an encrypted blob: " + e.getMessage());
        }
        if (h.cipher() != ObjectHeader.CIPHER_AES_256_GCM || h.encoding() != ObjectHeader.ENCODING_RAW
                || h.contentLength() != blob.length - ObjectHeader.SIZE - Seal.NONCE_LEN - Seal.TAG_LEN) {
            throw new IOException(key + " is not an encrypted blob of this repository (header cipher " + h.cipher()
                    + ", length " + h.contentLength() + ")");
        }
        byte[] header = java.util.Arrays.copyOf(blob, ObjectHeader.SIZE);
        byte[] base = java.util.Arrays.copyOfRange(blob, ObjectHeader.SIZE, ObjectHeader.SIZE + Seal.NONCE_LEN);
        byte[] nonce = new byte[Seal.NONCE_LEN];
        Seal.frameNonce(base, 0, true, nonce);
        try {
            return Seal.decrypt(keys.master(), nonce, aad(header, key),
                    java.util.Arrays.copyOfRange(blob, ObjectHeader.SIZE + Seal.NONCE_LEN, blob.length));
        } catch (AEADBadTagException e) {
            throw new IOException(key + " fails authentication: it was altered, or copied from another key or repository");
        }
    }

    private static byte[] aad(byte[] header, String key) {
        byte[] k = (CONTEXT + key).getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(header.length + k.length).put(header).put(k).array();
    }
}
