package dev.meridian.backup.repository.seal;

import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.model.Json;
import dev.meridian.backup.store.BlobStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.AEADBadTagException;
import javax.crypto.spec.SecretKeySpec;

/**
 * The key slots of an encrypted repository, under {@code keys/} in its store: create the first, unlock with a
 * password, add, remove (never the last, never the one in use), change a slot's password in place. Each write is one
 * atomic blob commit.
 */
public final class KeySlots {
    public static final String PREFIX = "keys/";

    private KeySlots() {}

    /** Keys a password opened, and the slot that opened them. */
    public record Unlocked(RepositoryKeys keys, String slotId) {}

    /** Makes new repository keys and the first slot for {@code password}; returns them. */
    public static Unlocked initialize(BlobStore store, String repositoryId, Password password, KdfParameters kdf) throws IOException {
        RepositoryKeys keys = RepositoryKeys.generate();
        KeySlot slot = write(store, repositoryId, newId(), keys, password, kdf, Instant.now());
        return new Unlocked(keys, slot.id());
    }

    /** Every slot, in id order. A slot that does not parse is an error naming its key. */
    public static List<KeySlot> list(BlobStore store) throws IOException {
        List<KeySlot> out = new ArrayList<>();
        for (String key : store.list(PREFIX)) {
            try {
                out.add(Json.MAPPER.readValue(store.read(key), KeySlot.class));
            } catch (IOException | RuntimeException e) {
                throw new BackupException(ErrorCode.CONFLICT, "key slot " + key + " in " + store.describe()
                        + " is unreadable; restore it from a copy of the repository's keys/ directory");
            }
        }
        return out;
    }

    /**
     * The keys {@code password} opens, trying every slot. Throws UNAUTHORIZED when no slot opens (a wrong password),
     * CONFLICT when the repository has no slot at all.
     */
    public static Unlocked unlock(BlobStore store, String repositoryId, Password password) throws IOException {
        List<KeySlot> slots = list(store);
        if (slots.isEmpty()) {
            throw new BackupException(ErrorCode.CONFLICT, "repository " + store.describe() + " is encrypted but has no key "
                    + "slot under " + PREFIX + "; restore keys/ from a copy of the repository");
        }
        for (KeySlot slot : slots) {
            if (slot.version() != KeySlot.VERSION || !KeySlot.KDF.equals(slot.kdf())) {
                continue;
            }
            try {
                byte[] kek = slot.parameters().derive(password.bytes(), decode(slot.salt()));
                byte[] plain = Seal.decrypt(new SecretKeySpec(kek, "AES"), decode(slot.nonce()), aad(repositoryId, slot.id()),
                        decode(slot.wrappedKeys()));
                return new Unlocked(RepositoryKeys.fromWrapped(plain), slot.id());
            } catch (AEADBadTagException wrongPassword) {
                // try the next slot
            }
        }
        throw new BackupException(ErrorCode.UNAUTHORIZED, "wrong password for repository " + store.describe() + ": none of its "
                + slots.size() + " key slot(s) opens with the password from " + password.origin());
    }

    /** Adds a slot for {@code password} wrapping {@code keys}; returns it. */
    public static KeySlot add(BlobStore store, String repositoryId, RepositoryKeys keys, Password password, KdfParameters kdf)
            throws IOException {
        return write(store, repositoryId, newId(), keys, password, kdf, Instant.now());
    }

    /** Rewrites slot {@code slotId} (same id) for a new password, atomically. */
    public static KeySlot changePassword(BlobStore store, String repositoryId, String slotId, RepositoryKeys keys,
            Password newPassword, KdfParameters kdf) throws IOException {
        return write(store, repositoryId, slotId, keys, newPassword, kdf, Instant.now());
    }

    /** Removes slot {@code slotId}. Refuses the last slot and the slot that opened the repository now ({@code inUse}). */
    public static void remove(BlobStore store, String slotId, String inUse) throws IOException {
        List<KeySlot> slots = list(store);
        if (slots.stream().noneMatch(s -> s.id().equals(slotId))) {
            throw BackupException.notFound("key slot " + slotId + " does not exist; key list shows the slots");
        }
        if (slots.size() == 1) {
            throw new BackupException(ErrorCode.CONFLICT, "refusing to remove key slot " + slotId + ": it is the last one, "
                    + "and without it nobody could open the repository; add another slot first");
        }
        if (slotId.equals(inUse)) {
            throw new BackupException(ErrorCode.CONFLICT, "refusing to remove key slot " + slotId + ": it is the slot your "
                    + "password opened; remove it with the password of another slot");
        }
        store.delete(KeySlot.key(slotId));
    }

    private static KeySlot write(BlobStore store, String repositoryId, String id, RepositoryKeys keys, Password password,
            KdfParameters kdf, Instant now) throws IOException {
        byte[] salt = Seal.random(KdfParameters.SALT_LEN);
        byte[] nonce = Seal.random(Seal.NONCE_LEN);
        byte[] kek = kdf.derive(password.bytes(), salt);
        byte[] wrapped = Seal.encrypt(new SecretKeySpec(kek, "AES"), nonce, aad(repositoryId, id), keys.toWrapped());
        Base64.Encoder b64 = Base64.getEncoder();
        KeySlot slot = new KeySlot(KeySlot.VERSION, id, KeySlot.KDF, kdf.memoryKib(), kdf.iterations(), kdf.parallelism(),
                b64.encodeToString(salt), b64.encodeToString(nonce), b64.encodeToString(wrapped), now);
        store.write(KeySlot.key(id), Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(slot));
        return slot;
    }

    static byte[] aad(String repositoryId, String slotId) {
        return ("meridian-key-slot-v1\0" + repositoryId + "\0" + slotId).getBytes(StandardCharsets.UTF_8);
    }

    private static String newId() {
        return HexFormat.of().formatHex(Seal.random(8));
    }

    private static byte[] decode(String b64) {
        try {
            return Base64.getDecoder().decode(b64);
        } catch (IllegalArgumentException e) {
            throw new BackupException(ErrorCode.CONFLICT, "a key slot holds invalid base64; restore keys/ from a copy");
        }
    }
}
