package dev.meridian.backup.repository.seal;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * AES-256-GCM with 96-bit nonces and 128-bit tags (NIST SP 800-38D), and the STREAM-style nonce of one frame of a
 * blob (Hoang, Reyhanitabar, Rogaway, Vizar 2015; as in age): the blob's random 96-bit nonce XOR (frame index as a
 * 32-bit big-endian number in bytes 7..10, and 0x01 in byte 11 for the last frame). Reordered frames, frames from
 * another blob and a blob cut at a frame boundary all fail authentication.
 */
public final class Seal {
    public static final int NONCE_LEN = 12;
    public static final int TAG_LEN = 16;
    public static final String TRANSFORMATION = "AES/GCM/NoPadding";
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Bytes per cipher call when sealing a frame (see {@link #encrypt(Cipher, SecretKey, byte[], byte[], int, byte[], int, byte[])}). */
    static final int SLICE = 4096;

    private Seal() {}

    /** {@code n} bytes from the platform's cryptographically strong generator. */
    public static byte[] random(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    public static Cipher newCipher() {
        try {
            return Cipher.getInstance(TRANSFORMATION);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM has no " + TRANSFORMATION, e);
        }
    }

    /** Writes the nonce of frame {@code index} of a blob whose nonce is {@code base} into {@code out}. */
    public static void frameNonce(byte[] base, long index, boolean last, byte[] out) {
        if (index < 0 || index > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("frame index " + index + " is beyond 2^32 frames");
        }
        System.arraycopy(base, 0, out, 0, NONCE_LEN);
        out[7] ^= (byte) (index >>> 24);
        out[8] ^= (byte) (index >>> 16);
        out[9] ^= (byte) (index >>> 8);
        out[10] ^= (byte) index;
        if (last) {
            out[11] ^= 1;
        }
    }

    /** Encrypts {@code in} (all remaining bytes) into {@code out}, appending the tag; returns the bytes written. */
    public static int encrypt(Cipher c, SecretKey key, byte[] nonce, byte[] aad, int aadLen, ByteBuffer in, ByteBuffer out) {
        try {
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_LEN * 8, nonce));
            c.updateAAD(aad, 0, aadLen);
            return c.doFinal(in, out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM encryption failed: " + e.getMessage(), e);
        }
    }

    /** Decrypts {@code in} (ciphertext and tag) into {@code out}; AEADBadTagException when it is not authentic. */
    public static int decrypt(Cipher c, SecretKey key, byte[] nonce, byte[] aad, int aadLen, ByteBuffer in, ByteBuffer out)
            throws AEADBadTagException {
        try {
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_LEN * 8, nonce));
            c.updateAAD(aad, 0, aadLen);
            return c.doFinal(in, out);
        } catch (AEADBadTagException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM decryption failed: " + e.getMessage(), e);
        }
    }

    /**
     * Encrypts {@code in[0, len)} into {@code out}, appending the tag; returns the bytes written ({@code len + 16}).
     * The input goes to the cipher in {@link #SLICE}-byte pieces: the JDK's AES-CTR and GHASH intrinsics take effect
     * only once C2 has compiled their methods, which counts calls, so one call per 1 MiB frame would leave the first
     * several hundred MiB of every process interpreted (about 55 MiB/s, measured on JDK 17); 4 KiB pieces get there
     * within the first tens of MiB and then run faster too (the two passes over 4 KiB stay in L1).
     */
    public static int encrypt(Cipher c, SecretKey key, byte[] nonce, byte[] aad, int aadLen, byte[] in, int len, byte[] out) {
        try {
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_LEN * 8, nonce));
            c.updateAAD(aad, 0, aadLen);
            int done = 0;
            int written = 0;
            while (len - done > SLICE) {
                written += c.update(in, done, SLICE, out, written);
                done += SLICE;
            }
            return written + c.doFinal(in, done, len - done, out, written);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM encryption failed: " + e.getMessage(), e);
        }
    }

    /** Decrypts {@code in[0, len)} (ciphertext and tag) into {@code out}; AEADBadTagException when it is not authentic. */
    public static int decrypt(Cipher c, SecretKey key, byte[] nonce, byte[] aad, int aadLen, byte[] in, int len, byte[] out)
            throws AEADBadTagException {
        if (len < TAG_LEN) {
            throw new AEADBadTagException("sealed frame is shorter than its tag");
        }
        try {
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_LEN * 8, nonce));
            c.updateAAD(aad, 0, aadLen);
            return c.doFinal(in, 0, len, out, 0);
        } catch (AEADBadTagException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM decryption failed: " + e.getMessage(), e);
        }
    }

    /** One-shot encryption of a small message: ciphertext and tag. */
    public static byte[] encrypt(SecretKey key, byte[] nonce, byte[] aad, byte[] plain) {
        ByteBuffer out = ByteBuffer.allocate(plain.length + TAG_LEN);
        encrypt(newCipher(), key, nonce, aad, aad.length, ByteBuffer.wrap(plain), out);
        return out.array();
    }

    /** One-shot decryption of a small message; AEADBadTagException when it is not authentic. */
    public static byte[] decrypt(SecretKey key, byte[] nonce, byte[] aad, byte[] sealed) throws AEADBadTagException {
        if (sealed.length < TAG_LEN) {
            throw new AEADBadTagException("sealed message is shorter than its tag");
        }
        ByteBuffer out = ByteBuffer.allocate(sealed.length - TAG_LEN);
        decrypt(newCipher(), key, nonce, aad, aad.length, ByteBuffer.wrap(sealed), out);
        return out.array();
    }
}
