package dev.meridian.backup.rocks;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Review finding: with a {@code java.io.tmpdir} rocksdbjni cannot unpack its library into, a database "could not be
 * opened: null" (the class that failed to initialize says nothing itself). The failure now names the library, the
 * directory and what to do. In a child JVM whose temporary directory is /proc (unwritable, even for root).
 */
class RocksDbLibraryTest {
    @TempDir
    Path dir;

    /** Opens a database and prints the first message along the failure's causes, as {@code DatabaseActor} reports it. */
    public static void main(String[] args) {
        try (LiveDatabase db = LiveDatabase.open("probe", Path.of(args[0]), true)) {
            System.out.println("opened");
        } catch (Throwable t) {
            Throwable c = t;
            while (c.getMessage() == null && c.getCause() != null) {
                c = c.getCause();
            }
            System.out.println("failed: " + c.getMessage());
        }
    }

    @Test
    void aLibraryThatCannotBeUnpackedIsNamedWithWhatToDo() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.io.tmpdir=/proc", "-cp", System.getProperty("java.class.path"), RocksDbLibraryTest.class.getName(),
                dir.resolve("db").toString())).redirectErrorStream(true);
        pb.environment().remove("ROCKSDB_SHAREDLIB_DIR");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertTrue(out.contains("failed: RocksDB's native library could not be loaded") && out.contains("java.io.tmpdir (/proc)")
                && out.contains("ROCKSDB_SHAREDLIB_DIR"), out);
    }
}
