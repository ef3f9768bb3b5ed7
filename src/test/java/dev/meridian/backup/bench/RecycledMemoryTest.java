package dev.meridian.backup.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecycledMemoryTest {
    @TempDir
    Path dir;

    @Test
    void theScratchFileIsDeletedOnceWritten() throws Exception {
        Path scratch = dir.resolve("scratch");

        RecycledMemory.recycle(scratch, (3L << 20) + 12_345);

        try (Stream<Path> left = Files.list(scratch)) {
            assertEquals(0, left.count(), "the scratch file is deleted");
        }
    }

    @Test
    void nothingToFreeWritesNothing() throws Exception {
        Path scratch = dir.resolve("none");

        RecycledMemory.recycle(scratch, 0);

        assertFalse(Files.exists(scratch));
    }
}
