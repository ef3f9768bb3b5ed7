package dev.meridian.backup.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Invariant 7 at its narrowest: ids and names can never address a path. */
class ValidationTest {
    @Test
    void backupIdsSortByTimeAndRefuseAnythingPathLike() {
        BackupId a = BackupId.generate(Instant.parse("2026-11-26T02:19:48.123Z"), new SplittableRandom(1));
        BackupId b = BackupId.generate(Instant.parse("2026-11-26T02:19:48.124Z"), new SplittableRandom(2));
        assertTrue(a.value().startsWith("20261126T021948123Z-"));
        assertTrue(a.compareTo(b) < 0);
        for (String bad : new String[] {"../20261126T021948123Z-7f3a2c", "20261126T021948123Z-7f3a2c/..", "a/b", "..",
                "20261126T021948123Z-7f3a2\0", "20261126T021948123Z-7F3A2C", "", " 20261126T021948123Z-7f3a2c"}) {
            BackupException e = assertThrows(BackupException.class, () -> BackupId.parse(bad), bad);
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
            assertTrue(!e.getMessage().contains("\0"), "control characters are escaped in messages");
        }
    }

    @Test
    void databaseNamesTagsAndDescriptionsAreBounded() {
        for (String bad : new String[] {"../x", "a/b", ".hidden", "", "x".repeat(65), "a b", "a\0"}) {
            assertThrows(BackupException.class, () -> Validation.databaseName(bad), bad);
        }
        assertEquals(List.of("a", "b"), Validation.tags(List.of("a", "b", "a")));
        assertThrows(BackupException.class, () -> Validation.tags(java.util.Collections.nCopies(33, "t")));
        assertThrows(BackupException.class, () -> Validation.description("x".repeat(1025)));
        assertThrows(BackupException.class, () -> Validation.description("bell\u0007"));
        assertThrows(BackupException.class, () -> Validation.fileName("../CURRENT"));
        assertThrows(BackupException.class, () -> Validation.limit(0, 50, 1000));
        assertEquals(50, Validation.limit(null, 50, 1000));
    }
}
