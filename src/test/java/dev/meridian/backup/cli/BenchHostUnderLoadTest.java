package dev.meridian.backup.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.model.Json;
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

/**
 * {@code bench --host-under-load} end to end on a tiny database: the three phases are reported with their ratios to
 * the baseline and the backups they completed, and the work directory is removed. Timings are not asserted.
 */
class BenchHostUnderLoadTest {
    @TempDir
    Path work;

    @Test
    void reportsBaselineMeridianAndBackupEnginePhasesWithRatiosAndRemovesTheWorkDirectory() throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            code = Main.run("bench", "--host-under-load", "--size-mb", "4", "--runs", "1", "--seconds", "2", "--writers", "2",
                    "--json", "--work-dir", work.toString());
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, "bench failed; stdout: " + out);
        JsonNode r = Json.MAPPER.readTree(out);

        assertEquals(2, r.path("writers").asInt());
        assertTrue(r.path("database_bytes").asLong() > 4L << 20, r.toString());
        List<String> phases = new ArrayList<>();
        for (JsonNode row : r.path("rows")) {
            phases.add(row.path("phase").asText());
            assertEquals(1, row.path("writes_per_second").size(), "one value per round: " + row);
            assertTrue(row.path("median_writes_per_second").asLong() > 0, "the writers wrote: " + row);
            assertTrue(row.path("median_p99_micros").isNumber() && row.path("median_p50_micros").isNumber(), row.toString());
            assertTrue(row.path("throughput_of_baseline").asDouble() > 0, row.toString());
            assertTrue(row.path("p99_of_baseline").isNumber(), row.toString());
            assertTrue(row.path("paired_throughput_of_baseline").asDouble() > 0 && row.path("paired_p99_of_baseline").isNumber(),
                    row.toString());
            assertEquals(1, row.path("backups").size(), row.toString());
        }
        assertEquals(List.of("baseline", "Meridian", "BackupEngine"), phases);
        JsonNode baseline = r.path("rows").get(0);
        assertEquals(1.0, baseline.path("throughput_of_baseline").asDouble(), 1e-9);
        assertEquals(0, baseline.path("backups").get(0).asInt(), "no backup runs in the baseline");
        for (int i = 1; i < 3; i++) {
            JsonNode row = r.path("rows").get(i);
            assertTrue(row.path("backups").get(0).asInt() >= 1, "at least the full backup completed: " + row);
            assertTrue(row.path("median_backup_ms").isNumber(), row.toString());
        }
        assertEquals(7, r.path("notes").size(), "each phase says what it did");
        try (Stream<Path> left = Files.list(work)) {
            assertEquals(0, left.count(), "the work directory is removed");
        }
    }

    @Test
    void contradictoryOptionsAreUsageErrors() {
        assertEquals(CliException.USAGE, Main.run("bench", "--host-under-load", "--writers", "0"));
        assertEquals(CliException.USAGE, Main.run("bench", "--host-under-load", "--seconds", "0"));
        assertEquals(CliException.USAGE, Main.run("bench", "--host-under-load", "--scaling"));
        assertEquals(CliException.USAGE, Main.run("bench", "--host-under-load", "--repository", "s3"));
    }
}
