package dev.meridian.backup.repository.seal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.store.mem.MemBlobStore;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Key slots: the keys they wrap, passwords added, changed and removed, never the last slot. */
class KeySlotsTest {
    /** Small parameters keep the test quick; the defaults are exercised by the server and CLI tests. */
    static final KdfParameters FAST = new KdfParameters(1024, 1, 1);

    static Password pw(String s) {
        return Password.of(s.getBytes(StandardCharsets.UTF_8), "test");
    }

    @Test
    void slotsWrapOneSetOfKeysForSeveralPasswords() throws Exception {
        try (MemBlobStore store = new MemBlobStore()) {
            KeySlots.Unlocked first = KeySlots.initialize(store, "repo-1", pw("one"), FAST);
            KeySlot second = KeySlots.add(store, "repo-1", first.keys(), pw("two"), FAST);
            assertEquals(2, KeySlots.list(store).size());
            KeySlots.Unlocked viaTwo = KeySlots.unlock(store, "repo-1", pw("two"));
            assertEquals(second.id(), viaTwo.slotId());
            assertArrayEquals(first.keys().master().getEncoded(), viaTwo.keys().master().getEncoded());

            BackupException wrong = assertThrows(BackupException.class, () -> KeySlots.unlock(store, "repo-1", pw("three")));
            assertEquals(ErrorCode.UNAUTHORIZED, wrong.code());
            // A slot is bound to its repository: the same bytes under another repository id do not open.
            assertThrows(BackupException.class, () -> KeySlots.unlock(store, "repo-2", pw("one")));

            KeySlots.changePassword(store, "repo-1", second.id(), first.keys(), pw("two-b"), FAST);
            assertThrows(BackupException.class, () -> KeySlots.unlock(store, "repo-1", pw("two")));
            assertEquals(second.id(), KeySlots.unlock(store, "repo-1", pw("two-b")).slotId(), "passwd keeps the slot id");

            BackupException inUse = assertThrows(BackupException.class, () -> KeySlots.remove(store, second.id(), second.id()));
            assertTrue(inUse.getMessage().contains("your password opened"), inUse.getMessage());
            KeySlots.remove(store, second.id(), first.slotId());
            assertEquals(List.of(first.slotId()), KeySlots.list(store).stream().map(KeySlot::id).toList());
            BackupException last = assertThrows(BackupException.class, () -> KeySlots.remove(store, first.slotId(), "other"));
            assertEquals(ErrorCode.CONFLICT, last.code());
            assertTrue(last.getMessage().contains("last one"), last.getMessage());
        }
    }

    @Test
    void theSlotRecordsItsArgon2idParametersAndTheDefaultsAreRfc9106Like() throws Exception {
        try (MemBlobStore store = new MemBlobStore()) {
            KeySlots.initialize(store, "r", pw("p"), FAST);
            KeySlot s = KeySlots.list(store).get(0);
            assertEquals(FAST, s.parameters());
            assertEquals("argon2id", s.kdf());
        }
        assertEquals(new KdfParameters(65536, 3, 1), KdfParameters.DEFAULT);
        assertThrows(BackupException.class, () -> new KdfParameters(1 << 30, 3, 1), "a tampered slot cannot demand 1 TiB");
    }

    /** The slot key depends on the password and the salt only (BouncyCastle carries the RFC 9106 vectors). */
    @Test
    void argon2idIsDeterministicAndSaltSensitive() {
        byte[] salt = new byte[16];
        byte[] a = FAST.derive("password".getBytes(StandardCharsets.UTF_8), salt);
        byte[] b = FAST.derive("password".getBytes(StandardCharsets.UTF_8), salt);
        salt[0] = 1;
        byte[] c = FAST.derive("password".getBytes(StandardCharsets.UTF_8), salt);
        assertArrayEquals(a, b);
        assertNotEquals(HexFormat.of().formatHex(a), HexFormat.of().formatHex(c));
    }

    @Test
    void frameNoncesDifferByIndexAndByTheLastFlag() {
        byte[] base = new byte[12];
        byte[] n0 = new byte[12];
        byte[] n0last = new byte[12];
        byte[] n1 = new byte[12];
        Seal.frameNonce(base, 0, false, n0);
        Seal.frameNonce(base, 0, true, n0last);
        Seal.frameNonce(base, 1, false, n1);
        assertEquals("000000000000000000000000", HexFormat.of().formatHex(n0));
        assertEquals("000000000000000000000001", HexFormat.of().formatHex(n0last));
        assertEquals("000000000000000000000100", HexFormat.of().formatHex(n1));
    }

    @Test
    void passwordsNeverPrint() {
        Password p = pw("hunter2");
        assertTrue(!p.toString().contains("hunter2") && !new Password.Source(null, "", java.util.Map.of(Password.VARIABLE, "hunter2"))
                .toString().contains("hunter2"));
        assertThrows(BackupException.class, () -> Password.of(new byte[0], "test"), "an empty password is refused");
    }
}
