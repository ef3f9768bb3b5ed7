package dev.meridian.backup.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import ch.qos.logback.core.spi.FilterReply;
import dev.meridian.backup.repository.Compression;
import dev.meridian.backup.rocks.FileDescriptorBudget;
import dev.meridian.backup.rocks.LiveDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

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
        assertTrue(r.incrementals() >= EngineRehearsal.MIN_INCREMENTALS && r.incrementals() <= EngineRehearsal.INCREMENTALS,
                "as many incrementals as the time allowed, within the bounds: " + r.incrementals());
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
    void theLogFilterDropsTheScratchWorksLinesOnly() {
        String scratchThread = EngineRehearsal.SYSTEM_NAME + "-meridian.io-dispatcher-7";
        assertEquals(FilterReply.DENY, RehearsalLogFilter.decide(scratchThread, "dev.meridian.backup.backup.BackupJob"));
        assertEquals(FilterReply.DENY, RehearsalLogFilter.decide(scratchThread, "dev.meridian.backup.restore.RestoreJob"),
                "a scratch restore's failure names a disk that is not the operator's");
        assertEquals(FilterReply.NEUTRAL, RehearsalLogFilter.decide("meridian-meridian.io-dispatcher-7",
                "dev.meridian.backup.backup.BackupJob"), "the server's own engine");
        assertEquals(FilterReply.DENY, RehearsalLogFilter.decide(EngineWarmup.THREAD, "dev.meridian.backup.repository.CatalogCache"));
        assertEquals(FilterReply.NEUTRAL, RehearsalLogFilter.decide(EngineWarmup.THREAD, EngineWarmup.class.getName()),
                "the warm-up's own (debug) lines");
        assertEquals(FilterReply.NEUTRAL, RehearsalLogFilter.decide(scratchThread, "dev.meridian.backup.store.file.DurableFiles"),
                "the once-per-filesystem directory fsync warning is true of the filesystem whoever meets it");
    }

    @Test
    void theFilterIsInstalledInLogbacksContextWhateverTheConfiguration() {
        RehearsalLogFilter.install();
        RehearsalLogFilter.install();
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        assertEquals(1, context.getTurboFilterList().stream().filter(f -> f instanceof RehearsalLogFilter).count());
        ListAppender<ILoggingEvent> seen = new ListAppender<>();
        seen.start();
        ch.qos.logback.classic.Logger jobLog = context.getLogger("dev.meridian.backup.backup.BackupJob");
        jobLog.addAppender(seen);
        try {
            Thread scratch = new Thread(() -> jobLog.info("[published] Backup of warm-up"), EngineRehearsal.SYSTEM_NAME + "-x-1");
            scratch.start();
            scratch.join();
            jobLog.info("[published] Backup of orders");
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        } finally {
            jobLog.detachAppender(seen);
        }
        assertEquals(List.of("[published] Backup of orders"), seen.list.stream().map(ILoggingEvent::getFormattedMessage).toList());
    }
}
