package dev.meridian.backup.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.model.Json;
import dev.meridian.backup.store.s3.S3TestServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmark harness runs end to end on a tiny database and reports every section; timings are not asserted. */
class BenchCommandTest {
    @TempDir
    Path work;

    @Test
    void tinyRunReportsEveryOperationSizeAndSection() throws Exception {
        JsonNode r = runJson("bench", "--size-mb", "8", "--runs", "1", "--json", "--work-dir", work.toString(),
                "--rate-limit", "16MiB", "--scaling");

        List<String> operations = new ArrayList<>();
        r.path("operations").forEach(o -> operations.add(o.path("operation").asText()));
        assertEquals(List.of("full backup", "backup after 1% new data", "verify", "restore"), operations);
        for (JsonNode o : r.path("operations")) {
            assertTrue(o.path("meridian_median_ms").isNumber(), "Meridian measured " + o);
            assertEquals(1, o.path("meridian_ms").size(), "one value per round for " + o);
            boolean verify = o.path("operation").asText().equals("verify");
            assertEquals(!verify, o.path("backup_engine_median_ms").isNumber(), "BackupEngine has no verify: " + o);
            assertEquals(!verify, o.path("meridian_over_backup_engine").isNumber(), o.toString());
        }
        assertTrue(r.path("operations").get(0).path("copy_median_ms").isNumber(), "copy is timed");

        assertTrue(r.path("database").path("bytes").asLong() > 8L << 20, "the database holds about 8 MiB");
        assertTrue(r.path("database").path("sst_files").asInt() > 0);
        List<String> sized = new ArrayList<>();
        for (JsonNode s : r.path("sizes")) {
            sized.add(s.path("what").asText());
            assertTrue(s.path("bytes").asLong() > 0, "size of " + s);
        }
        assertEquals(List.of("database", "BackupEngine", "Meridian"), sized);
        assertTrue(r.path("verify").path("bytes").asLong() >= r.path("database").path("bytes").asLong(),
                "verify checks the whole backup after the change");

        assertEquals(3, r.path("hashing").size());
        assertEquals(1.0, r.path("hashing").get(0).path("of_bouncy_castle").asDouble(), 1e-9);
        r.path("hashing").forEach(h -> assertTrue(h.path("median_mib_per_second").asDouble() > 0, h.toString()));
        assertEquals(4, r.path("heap").size());
        r.path("heap").forEach(h -> assertTrue(h.path("peak_used_bytes").asLong() > 0, h.toString()));

        JsonNode scaling = r.path("scaling");
        assertEquals(2, scaling.path("rows").size());
        assertTrue(scaling.path("rows").get(1).path("database_bytes").asLong()
                > 3 * scaling.path("rows").get(0).path("database_bytes").asLong(), "the second database is 4x");
        assertTrue(scaling.path("meridian_incremental_growth").isNumber());

        JsonNode rate = r.path("rate_limit");
        assertEquals(16L << 20, rate.path("limit_bytes_per_second").asLong());
        assertEquals(4, rate.path("rows").size(), "backup and restore of both contenders");
        rate.path("rows").forEach(row -> assertTrue(row.path("achieved_bytes_per_second").asDouble() > 0, row.toString()));

        assertFalse(r.path("page_cache").asText().isEmpty());
        JsonNode machine = r.path("machine");
        // The bench runs in this JVM, so the report must name the processors this JVM sees.
        assertTrue(machine.path("cpus").isInt(), "cpus is a number: " + machine);
        assertEquals(Runtime.getRuntime().availableProcessors(), machine.path("cpus").asInt(), machine.toString());
        assertFalse(machine.path("java").asText().isEmpty(), "the JVM is named: " + machine);
        try (Stream<Path> left = Files.list(work)) {
            assertEquals(0, left.count(), "the work directory is removed");
        }
    }

    @Test
    void catalogScaleTimesListAndStatsOverRest() throws Exception {
        JsonNode r = runJson("bench", "--catalog", "300", "--json", "--work-dir", work.toString());
        assertEquals(300, r.path("backups").asInt());
        assertEquals(6, r.path("calls").size());
        assertTrue(r.path("rebuilt_start_ms").asLong() > 0 && r.path("cached_start_ms").asLong() > 0, r.toString());
        assertTrue(r.path("open_without_cache_ms").isNumber() && r.path("open_with_cache_ms").isNumber(), r.toString());
        r.path("calls").forEach(c -> assertTrue(c.path("median_micros").asLong() > 0 && c.path("body_bytes").asInt() > 2, c.toString()));
        try (Stream<Path> left = Files.list(work)) {
            assertEquals(0, left.count(), "the work directory is removed");
        }
    }

    @Test
    void coldModeTimesEachOperationInAFreshJvmAgainstWarm() throws Exception {
        JsonNode r = runJson("bench", "--cold", "--size-mb", "4", "--runs", "1", "--json", "--work-dir", work.toString());
        List<String> operations = new ArrayList<>();
        for (JsonNode row : r.path("rows")) {
            operations.add(row.path("operation").asText());
            assertEquals(1, row.path("meridian_cold_ms").size(), row.toString());
            assertEquals(1, row.path("backup_engine_cold_ms").size(), row.toString());
            assertTrue(row.path("meridian_cold_over_warm").isNumber(), row.toString());
            assertTrue(row.path("meridian_over_backup_engine_cold").isNumber(), row.toString());
            boolean full = row.path("operation").asText().equals("full backup");
            for (String next : List.of("meridian_next_median_ms", "meridian_cold_over_next", "backup_engine_cold_over_next")) {
                assertEquals(!full, row.path(next).isNumber(), "a second run in the cold JVM, except after a full backup: " + row);
            }
            boolean incremental = row.path("operation").asText().equals("backup after 1% new data");
            for (String steady : List.of("meridian_steady_median_ms", "backup_engine_steady_median_ms", "meridian_cold_over_steady",
                    "backup_engine_cold_over_steady")) {
                assertEquals(incremental, row.path(steady).isNumber(), "a running engine's next incremental, warm: " + row);
            }
        }
        assertEquals(List.of("full backup", "backup after 1% new data", "restore"), operations);
        String notes = r.path("notes").toString();
        assertTrue(notes.contains("opened anew for the incremental"), "the warm incremental is like the cold one: " + notes);
        assertTrue(notes.contains("MiB are written to a scratch file and deleted"), "both start on memory just freed: " + notes);
        try (Stream<Path> left = Files.list(work)) {
            assertEquals(0, left.count(), "the work directory is removed");
        }
    }

    @Test
    void s3ModeRunsMeridianAndResticAgainstOneS3Server() throws Exception {
        assumeTrue(resticInstalled(), "restic is not installed (apt-get install restic); the S3 comparison needs it");
        S3TestServer s3 = S3TestServer.shared();
        JsonNode r = runJson("bench", "--repository", "s3", "--size-mb", "2", "--runs", "1", "--json", "--work-dir",
                work.toString(), "--s3-endpoint", s3.endpoint(), "--s3-bucket", S3TestServer.BUCKET);
        List<String> operations = new ArrayList<>();
        for (JsonNode row : r.path("rows")) {
            operations.add(row.path("operation").asText());
            assertEquals(1, row.path("restic_ms").size(), row.toString());
            assertEquals(1, row.path("meridian_ms").size(), row.toString());
            assertTrue(row.path("paired_ratio").asDouble() > 0, row.toString());
        }
        assertEquals(List.of("full backup", "backup after 1% new data", "restore"), operations);
        assertTrue(r.path("restic").asText().startsWith("restic "), r.toString());
        assertTrue(r.path("restic_repository_bytes").asLong() > 1L << 20, "restic's repository holds the database: " + r);
        assertTrue(r.path("meridian_repository_bytes").asLong() > 1L << 20, "Meridian's repository holds the database: " + r);
        assertTrue(r.path("s3").asText().contains(s3.endpoint()), r.toString());
        try (Stream<Path> left = Files.list(work)) {
            assertEquals(0, left.count(), "the work directory is removed");
        }
        try (Stream<Path> objects = Files.walk(s3.bucketDir())) {
            assertTrue(objects.filter(Files::isRegularFile).map(p -> s3.bucketDir().relativize(p).toString())
                    .noneMatch(key -> key.startsWith("bench-")),
                    "every round's objects are deleted");
        }
    }

    private static boolean resticInstalled() {
        try {
            return new ProcessBuilder("restic", "version").redirectErrorStream(true).start().waitFor() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void theManySstsDatasetSplitsTheDatabaseIntoManySmallSsts() throws Exception {
        // Item 6: the benchmark measures the file count as well as the bytes.
        Path db = work.resolve("many");
        dev.meridian.backup.bench.BenchDataAccess.generateManySsts(db, 8, 200);
        int ssts = dev.meridian.backup.bench.BenchDataAccess.sstCount(db);
        assertTrue(ssts >= 100, "about 200 SSTs, got " + ssts);
    }

    @Test
    void contradictoryOrMalformedOptionsAreUsageErrors() {
        assertEquals(CliException.USAGE, Main.run("bench", "--catalog", "0"));
        assertEquals(CliException.USAGE, Main.run("bench", "--scaling", "--db", work.toString()));
        assertEquals(CliException.USAGE, Main.run("bench", "--rate-limit", "fast"));
        assertEquals(CliException.USAGE, Main.run("bench", "--compression", "lz4"));
        assertEquals(CliException.USAGE, Main.run("bench", "--runs", "0"));
        assertEquals(CliException.USAGE, Main.run("bench", "--dataset", "tiny"));
        assertEquals(CliException.USAGE, Main.run("bench", "--dataset", "many-ssts", "--db", work.toString()));
        assertEquals(CliException.USAGE, Main.run("bench", "--cold", "--db", work.toString()));
        assertEquals(CliException.USAGE, Main.run("bench", "--no-recycle"));
        assertEquals(CliException.USAGE, Main.run("bench", "--no-recycle", "--cli", "1"));
        assertEquals(CliException.USAGE, Main.run("bench", "--repository", "nfs"));
        assertEquals(CliException.USAGE, Main.run("bench", "--repository", "s3", "--scaling"));
    }

    private static JsonNode runJson(String... args) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            code = Main.run(args);
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, "bench failed; stdout: " + out);
        return Json.MAPPER.readTree(out);
    }
}
