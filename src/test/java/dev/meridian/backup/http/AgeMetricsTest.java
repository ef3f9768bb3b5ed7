package dev.meridian.backup.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.TestEnv;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The age gauges at {@code GET /metrics}: 0 before anything happened, the completion time of the newest backup and
 * the time of the newest passing verification after each, the same values after a restart (from the catalog and the
 * verification records), and a failed verification counted without moving the verify gauge.
 */
class AgeMetricsTest {
    static final String BACKUP = "meridian_last_successful_backup_timestamp_seconds";
    static final String VERIFY = "meridian_last_successful_verify_timestamp_seconds";

    @TempDir
    Path dir;

    @Test
    void ageGaugesFollowBackupsVerificationsAndRestarts() throws Exception {
        try (TestEnv env = new TestEnv(dir, List.of("orders", "users", "sched"),
                "meridian.backup.auto-verify = false")) {
            Path conf = env.configFile;
            String text = Files.readString(conf);
            int sched = text.indexOf("name = \"sched\"");
            Files.writeString(conf, text.substring(0, sched)
                    + text.substring(sched).replaceFirst("schedule = off", "schedule = \"every 6h\""));
            env.startServer();

            String before = scrape(env);
            assertEquals(0.0, value(before, BACKUP, "orders").orElseThrow(), "never backed up: 0, not absent");
            assertEquals(0.0, value(before, VERIFY, "orders").orElseThrow());
            assertEquals(0.0, value(before, BACKUP, "users").orElseThrow());
            assertEquals(21600.0, value(before, "meridian_backup_schedule_interval_seconds", "sched").orElseThrow());
            assertTrue(value(before, "meridian_backup_schedule_interval_seconds", "orders").isEmpty(),
                    "no schedule, no interval series");

            JsonNode backup = RestApiTest.ok(env.request("POST", "/api/v1/databases/orders/backups", "{}"), 201);
            String id = backup.path("backup_id").asText();
            long completed = Instant.parse(backup.path("completed_at").asText()).getEpochSecond();
            String afterBackup = scrape(env);
            assertEquals(completed, value(afterBackup, BACKUP, "orders").orElseThrow(), afterBackup);
            assertEquals(0.0, value(afterBackup, VERIFY, "orders").orElseThrow());
            assertEquals(0.0, value(afterBackup, BACKUP, "users").orElseThrow(), "another database is untouched");

            JsonNode verify = RestApiTest.ok(env.request("POST", "/api/v1/backups/" + id + "/verify", null), 200);
            assertTrue(verify.path("valid").asBoolean(), verify.toString());
            long checked = Instant.parse(verify.path("checked_at").asText()).getEpochSecond();
            assertEquals(checked, value(scrape(env), VERIFY, "orders").orElseThrow());

            env.stopServer();
            env.startServer();
            assertEquals(completed, value(scrape(env), BACKUP, "orders").orElseThrow(), "after a restart, from the catalog");
            assertTrue(TestEnv.eventually(() -> value(scrapeQuietly(env), VERIFY, "orders").orElse(0) == checked),
                    "after a restart, from the verification records: " + scrapeQuietly(env));
            assertEquals(0.0, value(scrape(env), VERIFY, "users").orElseThrow());

            String object = RestApiTest.ok(env.request("GET", "/api/v1/backups/" + id + "/manifest", null), 200)
                    .path("files").get(0).path("object").asText();
            Path damaged = env.objectFile(object);
            TestEnv.flip(damaged, Files.size(damaged) - 1);
            JsonNode bad = RestApiTest.ok(env.request("POST", "/api/v1/backups/" + id + "/verify", null), 200);
            assertFalse(bad.path("valid").asBoolean(), bad.toString());
            String afterBad = scrape(env);
            assertEquals(checked, value(afterBad, VERIFY, "orders").orElseThrow(), "a failed verification does not count");
            assertTrue(afterBad.lines().anyMatch(l -> l.startsWith("meridian_operation_duration_seconds_count{")
                    && l.contains("database=\"orders\"") && l.contains("operation=\"verify\"")
                    && l.contains("outcome=\"invalid\"") && l.endsWith(" 1")), afterBad);
        }
    }

    @Test
    void aVerificationThatCannotFinishCountsAsFailedAndLeavesTheGaugeAlone() throws Exception {
        try (TestEnv env = TestEnv.start(dir, List.of("orders"), "meridian.backup.auto-verify = false")) {
            String id = RestApiTest.ok(env.request("POST", "/api/v1/databases/orders/backups", "{}"), 201)
                    .path("backup_id").asText();
            // A deep verification copies each SST to the repository's tmp/; a file in its place makes that fail,
            // which says nothing about the backup: the verification ends with an error, not a verdict.
            Path tmp = env.repository.resolve("tmp");
            TestEnv.deleteTree(tmp);
            Files.writeString(tmp, "not a directory");
            TestEnv.Reply r = env.request("POST", "/api/v1/backups/" + id + "/verify", "{\"deep\":true}");
            assertTrue(r.status() >= 500, r.status() + " " + r.raw().body());
            Files.delete(tmp);
            Files.createDirectories(tmp);
            String after = scrape(env);
            assertEquals(0.0, value(after, VERIFY, "orders").orElseThrow());
            assertTrue(after.lines().anyMatch(l -> l.startsWith("meridian_operation_duration_seconds_count{")
                    && l.contains("database=\"orders\"") && l.contains("operation=\"verify\"")
                    && l.contains("outcome=\"failed\"") && l.endsWith(" 1")), after);
        }
    }

    static String scrape(TestEnv env) throws Exception {
        TestEnv.Reply r = env.request("GET", "/metrics", null);
        assertEquals(200, r.status());
        return r.raw().body();
    }

    static String scrapeQuietly(TestEnv env) {
        try {
            return scrape(env);
        } catch (Exception e) {
            return "";
        }
    }

    /** The value of {@code name{database="db"}} in Prometheus text, if the series is there. */
    static OptionalDouble value(String scrape, String name, String db) {
        return scrape.lines().filter(l -> l.startsWith(name + "{") && l.contains("database=\"" + db + "\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst();
    }
}
