package dev.meridian.backup.repository;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.backup.model.FileEntry;
import dev.meridian.backup.model.Hash;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7 item 8: {@code Server.start} preloads each database's fingerprints, so the first backup after a start does
 * not read and parse them inside its own time. What was preloaded is what a first lookup would have read.
 */
class FileFingerprintsTest {
    @TempDir
    Path dir;

    /** Writes {@code content} as file {@code name} in the test directory; its repository entry (a placeholder hash). */
    private FileEntry sst(String name, String content) throws Exception {
        Path file = Files.writeString(dir.resolve(name), content);
        Hash hash = Hash.of(new byte[32]);
        return new FileEntry(name, Files.size(file), hash, hash);
    }

    @Test
    void preloadReadsEachDatabasesFingerprintsOnceAtStart() throws Exception {
        FileEntry entry = sst("000012.sst", "sst bytes");
        FileFingerprints.Fingerprint current = FileFingerprints.of(dir.resolve("000012.sst"), entry).orElseThrow();
        new FileFingerprints(dir.resolve("state")).save("orders", Map.of("000012.sst", current));

        FileFingerprints restarted = new FileFingerprints(dir.resolve("state"));
        restarted.preload(List.of("orders", "never-backed-up"));
        try (var files = Files.list(dir.resolve("state"))) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        assertEquals(Optional.of(entry), restarted.lookup("orders", "000012.sst", current),
                "the fingerprints were read by preload, not by the lookup (the file is gone)");
        assertTrue(restarted.lookup("never-backed-up", "000012.sst", current).isEmpty(), "a database without a file has none");
    }

    /**
     * The start-up warm-up runs {@link FileFingerprints#encode} in memory so the first backup's save runs compiled
     * code: it must be exactly what save writes, and read back as saved.
     */
    @Test
    void encodeIsWhatSaveWritesAndReadsBack() throws Exception {
        FileEntry entry = sst("000013.sst", "more sst bytes");
        FileFingerprints.Fingerprint current = FileFingerprints.of(dir.resolve("000013.sst"), entry).orElseThrow();
        Map<String, FileFingerprints.Fingerprint> files = Map.of("000013.sst", current);
        new FileFingerprints(dir.resolve("state")).save("orders", files);
        assertArrayEquals(Files.readAllBytes(dir.resolve("state/orders.json")), FileFingerprints.encode(files));
        Files.write(dir.resolve("state/orders.json"), FileFingerprints.encode(files));
        assertEquals(Optional.of(entry), new FileFingerprints(dir.resolve("state")).lookup("orders", "000013.sst", current),
                "encoded fingerprints read back as saved ones (format 2)");
    }
}
