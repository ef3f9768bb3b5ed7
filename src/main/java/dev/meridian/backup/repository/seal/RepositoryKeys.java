package dev.meridian.backup.repository.seal;

import dev.meridian.backup.hash.Blake3;
import java.util.Arrays;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The secrets of an encrypted repository, both random 256-bit values made when it is created: the master key
 * (AES-256-GCM of every object, manifest and record) and the name key (BLAKE3 keyed hash naming objects). Key slots
 * wrap the 64 bytes {@code master || name}. {@link #toString()} never shows them.
 */
public final class RepositoryKeys {
    public static final int LEN = 32;

    private final SecretKey master;
    private final byte[] nameKey;

    private RepositoryKeys(byte[] master, byte[] nameKey) {
        this.master = new SecretKeySpec(master, "AES");
        this.nameKey = nameKey.clone();
    }

    /** Fresh random keys for a new repository. */
    public static RepositoryKeys generate() {
        return new RepositoryKeys(Seal.random(LEN), Seal.random(LEN));
    }

    /** The keys from the 64 bytes a slot unwraps. */
    static RepositoryKeys fromWrapped(byte[] plain) {
        if (plain.length != 2 * LEN) {
            throw new IllegalArgumentException("wrapped keys are " + plain.length + " bytes, expected " + 2 * LEN);
        }
        RepositoryKeys k = new RepositoryKeys(Arrays.copyOf(plain, LEN), Arrays.copyOfRange(plain, LEN, 2 * LEN));
        Arrays.fill(plain, (byte) 0);
        return k;
    }

    /** The 64 bytes a slot wraps. */
    byte[] toWrapped() {
        byte[] out = new byte[2 * LEN];
        System.arraycopy(master.getEncoded(), 0, out, 0, LEN);
        System.arraycopy(nameKey, 0, out, LEN, LEN);
        return out;
    }

    public SecretKey master() {
        return master;
    }

    /**
     * A BLAKE3 keyed hasher under the name key: an object's name is its output over the 32-byte Blake3 of the object's
     * plaintext (a pseudo-random function of the plaintext, so the name reveals nothing without the key).
     */
    public Blake3 newNameHasher() {
        return Blake3.newKeyedHasher(nameKey);
    }

    @Override
    public String toString() {
        return "repository keys (redacted)";
    }
}
