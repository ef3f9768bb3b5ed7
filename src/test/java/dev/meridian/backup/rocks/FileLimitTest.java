package dev.meridian.backup.rocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.EnvOptions;
import org.rocksdb.IngestExternalFileOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.SstFileWriter;

/**
 * Invariant: a database of more SSTs than the process may open files still opens (max_open_files is bounded by
 * the limit), and running out of descriptors is reported as that, not as a lock held by another process.
 * Each case runs in a child JVM under {@code ulimit -n 2048}.
 */
class FileLimitTest {
    static final int SSTS = 2574;

    @TempDir
    static Path dir;
    static Path db;

    @BeforeAll
    static void manySmallSsts() throws Exception {
        // The input: 2,574 small SSTs, written with RocksDB's default max_open_files = -1 (keep all open).
        RocksDB.loadLibrary();
        db = dir.resolve("many-ssts");
        Path staged = Files.createDirectories(dir.resolve("staged"));
        List<String> ssts = new java.util.ArrayList<>();
        try (Options o = new Options(); EnvOptions eo = new EnvOptions(); SstFileWriter w = new SstFileWriter(eo, o)) {
            for (int i = 0; i < SSTS; i++) {
                String f = staged.resolve(i + ".sst").toString();
                w.open(f);
                w.put(String.format("k%05d", i).getBytes(StandardCharsets.UTF_8), ("v" + i).getBytes(StandardCharsets.UTF_8));
                w.finish();
                ssts.add(f);
            }
        }
        try (Options o = new Options().setCreateIfMissing(true).setDisableAutoCompactions(true);
                RocksDB rdb = RocksDB.open(o, db.toString()); IngestExternalFileOptions io = new IngestExternalFileOptions().setMoveFiles(true)) {
            rdb.ingestExternalFile(ssts, io);
        }
        try (Stream<Path> files = Files.list(db)) {
            assertEquals(SSTS, files.filter(f -> f.toString().endsWith(".sst")).count());
        }
    }

    @Test
    void moreSstsThanTheFileLimitStillOpen() throws Exception {
        String out = probe(db, "open");
        assertTrue(out.contains(" keys=" + SSTS + " k00000=v0"), out); // ingested files carry sequence number 0
    }

    @Test
    void descriptorExhaustionIsReportedAsSuchWithoutTheLockHint() throws Exception {
        String out = probe(db, "exhaust");
        assertTrue(out.contains("REFUSED database probe at " + db + " cannot be opened"), out);
        assertTrue(out.contains("ran out of file descriptors (its open-file limit is 2048"), out);
        assertTrue(out.contains("ulimit -n"), out);
        assertFalse(out.contains("holds its LOCK file"), out);
    }

    private static String probe(Path database, String mode) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of("bash", "-c", "ulimit -n 2048 && exec \"$0\" \"$@\"", java, "-Xmx256m",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), OpenProbe.class.getName(),
                database.toString(), mode);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the probe finished");
        return out;
    }
}
