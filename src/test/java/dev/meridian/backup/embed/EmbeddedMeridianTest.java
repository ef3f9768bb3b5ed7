package dev.meridian.backup.embed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.model.Json;
import dev.meridian.backup.model.MigrationRecord;
import dev.meridian.backup.model.VerifyResult;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedding API with a real host: real RocksDB (three column families, the stringappend merge operator), real
 * writer threads, the real engine in the same JVM.
 */
class EmbeddedMeridianTest {

    private static Path config(Path work) throws Exception {
        return HostConfig.write(work, "app", "schedule = \"every 1d\"");
    }

    /** Backups through the host's handle while 4 threads write: each one restored is a consistent prefix per writer. */
    @Test
    void backupsTakenWhileFourWritersWriteRestoreToAConsistentPrefixPerWriter(@TempDir Path work) throws Exception {
        try (WritingHost host = new WritingHost(work.resolve("app")); Meridian meridian = Meridian.start(config(work))) {
            // A scheduled backup (as the scheduler's catch-up at start sends it) that comes before the host registered
            // its handle waits for the handle, then runs through it.
            var scheduled = meridian.engine().createBackup("app", new dev.meridian.backup.model.BackupRequest("sched-1",
                    BackupType.SCHEDULED, "Scheduled backup", List.of(), null, false), null).toCompletableFuture();
            Thread.sleep(300);
            assertTrue(!scheduled.isDone(), "the scheduled backup waits for the handle");
            meridian.register("app", host.db(), host.handles());
            assertEquals(BackupType.SCHEDULED, scheduled.get(30, java.util.concurrent.TimeUnit.SECONDS).type());
            host.startWriters();
            List<BackupSummary> backups = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Thread.sleep(150);
                backups.add(meridian.backup("app", BackupType.MANUAL, "while writing " + i));
            }
            host.stopWriters();
            long[] previous = new long[WritingHost.WRITERS];
            java.util.Arrays.fill(previous, -1);
            for (BackupSummary b : backups) {
                Path dir = work.resolve("restores").resolve(b.backupId().value());
                meridian.restoreTo(b.backupId(), dir);
                WritingHost.Contents c = WritingHost.readIndependently(dir);
                for (int w = 0; w < WritingHost.WRITERS; w++) {
                    assertTrue(c.lastPerWriter()[w] >= previous[w], "a later backup holds at least as much of writer " + w);
                    assertTrue(c.lastPerWriter()[w] < host.written(w), "no record the writer did not write");
                }
                previous = c.lastPerWriter();
            }
            for (int w = 0; w < WritingHost.WRITERS; w++) {
                assertTrue(previous[w] > 0, "writer " + w + " wrote during the backups");
            }
            VerifyResult v = meridian.verify(backups.get(2).backupId());
            assertTrue(v.valid(), v.toString());

            // Unregistered, Meridian no longer touches the handle (the host may close it): backups are refused.
            meridian.unregister("app");
            BackupException refused = assertThrows(BackupException.class, () -> meridian.backup("app", BackupType.MANUAL, "x"));
            assertEquals(ErrorCode.CONFLICT, refused.code());
            assertTrue(refused.getMessage().contains("owner = application"), refused.getMessage());
        }
    }

    /**
     * Without a hand-off an in-place restore is refused and changes nothing; with one, the host sees exactly the
     * backup's state after the reopen, and its writes after the reopen are kept.
     */
    @Test
    void anInPlaceRestoreGoesThroughTheHostsHandOff(@TempDir Path work) throws Exception {
        try (WritingHost host = new WritingHost(work.resolve("app")); Meridian meridian = Meridian.start(config(work))) {
            meridian.register("app", host.db(), host.handles());
            host.startWriters();
            Thread.sleep(150);
            host.pauseWriters();
            BackupSummary b = meridian.backup("app", BackupType.MANUAL, "the state to go back to");
            String backupState = host.digest();
            long[] atBackup = new long[WritingHost.WRITERS];
            for (int w = 0; w < WritingHost.WRITERS; w++) {
                atBackup[w] = host.written(w) - 1;
            }
            host.resumeWriters();
            Thread.sleep(150);
            host.pauseWriters();
            String before = host.digest();
            assertNotEquals(backupState, before);

            BackupException refused = assertThrows(BackupException.class, () -> meridian.restoreInPlace(b.backupId()));
            assertEquals(ErrorCode.CONFLICT, refused.code());
            assertTrue(refused.getMessage().contains("hand-off") && refused.getMessage().contains("app"), refused.getMessage());
            assertEquals(before, host.digest(), "a refused restore changed nothing");

            meridian.register("app", host.db(), host.handles(), host);
            var result = meridian.restoreInPlace(b.backupId());
            assertEquals(1, host.closes);
            assertEquals(1, host.reopens);
            assertEquals(backupState, host.digest(), "after the reopen the host sees exactly the backup's state");
            assertTrue(result.safetyBackupId() != null);
            waitFor(() -> !host.outcomes.isEmpty());
            assertTrue(host.outcomes.get(0).startsWith("restored: "), host.outcomes.toString());

            // The numbered writers pick up where the backup was; a later backup goes through the reopened handle.
            host.put(0, "after-reopen", "kept");
            host.resumeWriters();
            Thread.sleep(100);
            host.stopWriters();
            BackupSummary later = meridian.backup("app", BackupType.MANUAL, "after the restore");
            Path dir = work.resolve("restores").resolve("later");
            meridian.restoreTo(later.backupId(), dir);
            assertTrue(WritingHost.readIndependently(dir).digest().equals(host.digest()));
            assertEquals("kept", host.get(0, "after-reopen"));

            // The host cannot open the restored copy: Meridian puts the previous database back and asks again.
            String current = host.digest();
            host.failingReopens = 1;
            BackupException rolledBack = assertThrows(BackupException.class, () -> meridian.restoreInPlace(b.backupId()));
            assertTrue(rolledBack.getMessage().contains("the previous database was put back"), rolledBack.getMessage());
            assertTrue(rolledBack.getMessage().contains("schema check refused"), rolledBack.getMessage());
            assertEquals(current, host.digest(), "the host has its previous database back");
            waitFor(() -> host.outcomes.size() == 2);
            assertTrue(host.outcomes.get(1).startsWith("failed: "), host.outcomes.toString());
            assertEquals("kept", host.get(0, "after-reopen"));
            meridian.backup("app", BackupType.MANUAL, "through the handle given back"); // registered again
        }
        // And on disk, as an independent reader opens it after the host closed.
        WritingHost.Contents onDisk = WritingHost.readIndependently(work.resolve("app"));
        for (int w = 0; w < WritingHost.WRITERS; w++) {
            assertTrue(onDisk.lastPerWriter()[w] >= 0);
        }
    }

    /** Applied, rolled back to the exact pre-migration state, and a rollback that cannot complete: each recorded. */
    @Test
    void migrationsAreBackedUpRolledBackOnFailureAndRecorded(@TempDir Path work) throws Exception {
        try (WritingHost host = new WritingHost(work.resolve("app")); Meridian meridian = Meridian.start(config(work))) {
            meridian.register("app", host.db(), host.handles(), host);
            host.startWriters();
            Thread.sleep(100);
            host.stopWriters();

            // 1. Applied: the new state stays, the pre-migration backup records the schema version and the outcome.
            MigrationRecord applied = meridian.migrate("app", "2", (db, cfs) -> db.put(cfs.get(0),
                    WritingHost.bytes("schema"), WritingHost.bytes("2")), (db, cfs) -> "2".equals(host.get(0, "schema")));
            assertEquals(MigrationRecord.APPLIED, applied.outcome());
            assertEquals("2", host.get(0, "schema"));
            BackupSummary pre = meridian.engine().backup(applied.backupId());
            assertEquals(BackupType.PRE_MIGRATION, pre.type());
            assertEquals("2", pre.schemaVersion());
            assertEquals(MigrationRecord.APPLIED, pre.migration().outcome());

            // 2. Throws after half its changes: the database equals the state before, and the error names both.
            String digestBefore = host.digest();
            MigrationFailedException failed = assertThrows(MigrationFailedException.class, () -> meridian.migrate("app", "3",
                    (db, cfs) -> {
                        for (int i = 0; i < 50; i++) {
                            db.put(cfs.get(1), WritingHost.bytes(String.format("w0:%08d", i)), WritingHost.bytes("v3 " + i));
                        }
                        db.delete(cfs.get(0), WritingHost.bytes("schema"));
                        throw new IllegalStateException("record w0:00000050 has no v3 form");
                    }, null));
            assertEquals(MigrationRecord.ROLLED_BACK, failed.outcome());
            assertTrue(failed.getMessage().contains("record w0:00000050 has no v3 form"), failed.getMessage());
            assertTrue(failed.getMessage().contains("Rollback to pre-migration backup " + failed.record().backupId() + ": done"),
                    failed.getMessage());
            assertEquals(digestBefore, host.digest(), "the rolled-back database equals the pre-migration state");
            assertEquals("2", host.get(0, "schema"));

            // 3. A failed check, and the host cannot let go: rollback_failed, with what the operator must do.
            host.refuseToClose = true;
            MigrationFailedException stuck = assertThrows(MigrationFailedException.class, () -> meridian.migrate("app", "4",
                    (db, cfs) -> db.put(cfs.get(0), WritingHost.bytes("schema"), WritingHost.bytes("4")), (db, cfs) -> false));
            host.refuseToClose = false;
            assertEquals(MigrationRecord.ROLLBACK_FAILED, stuck.outcome());
            assertTrue(stuck.record().error().contains("check failed"), stuck.record().error());
            assertTrue(stuck.record().rollback().contains("could not quiesce and close")
                    && stuck.record().rollback().contains("restore backup " + stuck.record().backupId() + " in place"),
                    stuck.record().rollback());
            assertEquals("4", host.get(0, "schema"), "the host kept its handle; the failed migration's state is still there");

            // Visible in list, over REST, and in the metrics.
            List<String> outcomes = meridian.list("app").stream().filter(s -> s.migration() != null)
                    .map(s -> s.migration().outcome()).toList();
            assertEquals(List.of("applied", "rolled_back", "rollback_failed"), outcomes);
            InetSocketAddress at = meridian.startGateways("127.0.0.1", 0);
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + at.getPort() + "/api/v1/backups/" + stuck.record().backupId())).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            JsonNode migration = Json.MAPPER.readTree(r.body()).get("migration");
            assertEquals("rollback_failed", migration.get("outcome").asText(), r.body());
            assertEquals("4", migration.get("schema_version_to").asText());
            String metrics = meridian.engine().context().metrics().scrape();
            assertTrue(metrics.contains("operation=\"migration\"") && metrics.contains("outcome=\"rollback_failed\""), metrics);
        }
        // The records survive a restart: they are read back from the repository.
        try (WritingHost host = new WritingHost(work.resolve("app")); Meridian again = Meridian.start(config(work))) {
            assertEquals(3, again.list("app").stream().filter(s -> s.migration() != null).count());
        }
    }

    private static void waitFor(java.util.function.BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(done.getAsBoolean());
    }
}
