package dev.meridian.backup.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.spi.FilterReply;
import dev.meridian.backup.repository.Compression;
import dev.meridian.backup.rocks.FileDescriptorBudget;
import dev.meridian.backup.rocks.LiveDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7 item 8: the start-up rehearsal sends a backup, incrementals of new keys, a restore and a verification
 * through a whole scratch engine, so that a client's first operation does not pay for the first trip through the actors. It
 * must really do them (a failure would be swallowed by the warm-up and warm nothing), leave no actor system, thread
 * or open database behind, and its log lines must not reach the operator.
 */
class EngineRehearsalTest {
    @TempDir
    Path dir;

    @Test
    void theScratchEngineBacksUpRestoresAndVerifiesThenLetsEverythingGo() throws Exception {
        EngineWarmup.rehearse(dir.resolve("rehearsal"), Compression.parse("auto"));
        Path db = dir.resolve("rehearsal/db");
        int budget = FileDescriptorBudget.perDatabase();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        EngineRehearsal.Result r = EngineRehearsal.run(dir.resolve("engine"), db, Compression.parse("auto"), deadline);

        assertTrue(r.first().fileCount() >= 4 && r.first().storedBytes() > 0, "the first backup stored the database: " + r.first());
        assertTrue(r.last().sizeBytes() > r.first().sizeBytes(), "the incrementals backed up new keys: " + r.last());
        assertTrue(r.last().storedBytes() < r.last().sizeBytes() - r.first().sizeBytes() / 2,
                "the last incremental stored its new SST and reused the first backup's: " + r.last());
        assertTrue(r.last().sequenceNumber() > r.first().sequenceNumber());
        assertEquals(r.last().backupId(), r.restore().backupId());
        assertEquals(r.last().sizeBytes(), r.restore().bytes(), "the restore wrote the whole backup");
        assertEquals(r.last().sequenceNumber(), LiveDatabase.sequenceNumberOf(Path.of(r.restore().target())),
                "the restored database opens at the backup's sequence number");
        assertTrue(r.verify().valid() && r.verify().filesChecked() == r.last().fileCount(), "verified intact: " + r.verify());

        assertTrue(Thread.getAllStackTraces().keySet().stream()
                        .noneMatch(t -> t.isAlive() && t.getName().startsWith(EngineRehearsal.SYSTEM_NAME + "-")),
                "the scratch actor system's threads are gone");
        assertEquals(budget, FileDescriptorBudget.perDatabase(), "the scratch engine gave its share of the open-file limit back");
        try (LiveDatabase reopened = LiveDatabase.open("again", db, false)) {
            assertTrue(reopened.estimatedKeys() > 0, "the scratch engine closed the database (its LOCK is free)");
        }
    }

    @Test
    void aProcessArmedWithACrashPointSkipsIt() {
        assertTrue(EngineRehearsal.allowed());
        System.setProperty("meridian.test.crash-at", "backup.after-checkpoint");
        try {
            assertFalse(EngineRehearsal.allowed(), "the rehearsal would reach the crash point before the test's operation");
        } finally {
            System.clearProperty("meridian.test.crash-at");
        }
    }

    @Test
    void theLogFilterDropsTheScratchEnginesLinesOnly() {
        RehearsalLogFilter filter = new RehearsalLogFilter();
        assertEquals(FilterReply.DENY, filter.decide(event(EngineRehearsal.SYSTEM_NAME + "-meridian.io-dispatcher-7")));
        assertEquals(FilterReply.NEUTRAL, filter.decide(event("meridian-meridian.io-dispatcher-7")), "the engine's own");
        assertEquals(FilterReply.DENY, filter.decide(event(EngineWarmup.THREAD)), "the scratch repository's lines");
        assertEquals(FilterReply.NEUTRAL, filter.decide(event(EngineWarmup.THREAD, EngineWarmup.class.getName(), Level.DEBUG)),
                "the warm-up's own (debug) lines");
        assertEquals(FilterReply.NEUTRAL, filter.decide(event(EngineRehearsal.SYSTEM_NAME + "-meridian.io-dispatcher-7",
                "dev.meridian.backup.store.file.DurableFiles", Level.WARN)), "a warning said once per filesystem is never hidden");
    }

    private static LoggingEvent event(String thread) {
        return event(thread, "dev.meridian.backup.repository.CatalogCache", Level.INFO);
    }

    private static LoggingEvent event(String thread, String logger, Level level) {
        LoggingEvent e = new LoggingEvent("x", new LoggerContext().getLogger(logger), level, "[published] Backup published", null, null);
        e.setThreadName(thread);
        return e;
    }
}
