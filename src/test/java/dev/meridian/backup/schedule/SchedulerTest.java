package dev.meridian.backup.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.meridian.backup.TestEnv;
import dev.meridian.backup.config.Settings;
import dev.meridian.backup.database.DatabaseActor;
import dev.meridian.backup.database.DatabaseRegistry;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.Manifest;
import dev.meridian.backup.model.RetentionResult;
import dev.meridian.backup.repository.FileFingerprints;
import dev.meridian.backup.repository.IoThrottle;
import dev.meridian.backup.repository.JobJournal;
import dev.meridian.backup.repository.Repository;
import dev.meridian.backup.runtime.JobContext;
import dev.meridian.backup.runtime.Metrics;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Scheduled backups: a slot missed while the service was down is made up once, not once per missed slot. */
class SchedulerTest {
    static final Instant NOW = Instant.parse("2026-11-26T12:00:00Z");

    @TempDir
    Path dir;
    ActorTestKit testKit;
    Repository repo;
    Settings settings;

    @AfterEach
    void tearDown() throws Exception {
        testKit.shutdownTestKit();
        repo.close();
    }

    private JobContext context(Instant lastScheduled) throws Exception {
        return context(lastScheduled, "daily@02:00", Clock.fixed(NOW, ZoneOffset.UTC));
    }

    private JobContext context(Instant lastScheduled, String schedule, Clock clock) throws Exception {
        TestEnv env = new TestEnv(dir, List.of("sched"), "");
        String conf = java.nio.file.Files.readString(env.configFile).replace("schedule = off", "schedule = \"" + schedule + "\"");
        java.nio.file.Files.writeString(env.configFile, conf);
        settings = env.settings();
        testKit = ActorTestKit.create("scheduler-test", settings.config());
        repo = Repository.openFile(settings.repositoryPath(), settings.compression(), IoThrottle.UNLIMITED);
        if (lastScheduled != null) {
            try (Repository.Ingest ingest = repo.beginIngest("t")) {
                ingest.publish(new Manifest(Manifest.FORMAT, BackupId.generate(lastScheduled, new SplittableRandom()), "sched",
                        BackupType.SCHEDULED, "", List.of(), lastScheduled, lastScheduled, 0, 0, 1, null, null, 0, 0, List.of(), null));
            }
        }
        return new JobContext(repo, new JobJournal(dir.resolve("locks")), new FileFingerprints(dir.resolve("fp")),
                new Metrics(), clock);
    }

    /** A wall clock the test sets by hand; Pekko's timers keep running on real (monotonic) time. */
    static final class SettableClock extends Clock {
        volatile Instant now;

        SettableClock(Instant now) {
            this.now = now;
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    @Test
    void threeMissedDailySlotsAreMadeUpByExactlyOneBackupThenRetention() throws Exception {
        JobContext ctx = context(Instant.parse("2026-11-23T02:00:05Z"));
        TestProbe<DatabaseRegistry.Command> registry = testKit.createTestProbe();
        testKit.spawn(Scheduler.create(ctx, settings, registry.getRef()));
        DatabaseRegistry.Forward f = registry.expectMessageClass(DatabaseRegistry.Forward.class, Duration.ofSeconds(10));
        assertEquals("sched", f.database());
        DatabaseActor.CreateBackup create = assertInstanceOf(DatabaseActor.CreateBackup.class, f.command());
        assertEquals(BackupType.SCHEDULED, create.request().type());
        BackupSummary done = new BackupSummary(BackupId.generate(NOW, new SplittableRandom()), "sched", BackupType.SCHEDULED, "",
                List.of(), NOW, NOW, 0, 0, 0, 0, 0, 0, null, null, null);
        create.replyTo().tell(StatusReply.success(done));
        DatabaseRegistry.Forward r = registry.expectMessageClass(DatabaseRegistry.Forward.class, Duration.ofSeconds(10));
        DatabaseActor.ApplyRetention retention = assertInstanceOf(DatabaseActor.ApplyRetention.class, r.command());
        retention.replyTo().tell(StatusReply.success(new RetentionResult("sched", false, List.of(), List.of())));
        registry.expectNoMessage(Duration.ofMillis(1500));
    }

    @Test
    void aDatabaseThatNeverHadAScheduledBackupWaitsForItsNextSlot() throws Exception {
        JobContext ctx = context(null);
        TestProbe<DatabaseRegistry.Command> registry = testKit.createTestProbe();
        testKit.spawn(Scheduler.create(ctx, settings, registry.getRef()));
        registry.expectNoMessage(Duration.ofMillis(1500));
    }

    @Test
    void aBackupAfterTheLastSlotMeansNothingWasMissed() throws Exception {
        JobContext ctx = context(Instant.parse("2026-11-26T02:00:03Z"));
        TestProbe<DatabaseRegistry.Command> registry = testKit.createTestProbe();
        testKit.spawn(Scheduler.create(ctx, settings, registry.getRef()));
        registry.expectNoMessage(Duration.ofMillis(1500));
    }

    @Test
    void aTimerThatFiresBeforeTheWallClockReachesTheSlotWaitsAndBacksUpOnce() throws Exception {
        // The timer is due in 200 ms of real time, but the wall clock stands still just before the slot (as when
        // NTP slows it): nothing may run until the wall clock reaches the slot, and then exactly one backup.
        SettableClock clock = new SettableClock(Instant.parse("2026-11-27T01:59:59.800Z"));
        JobContext ctx = context(null, "daily@02:00", clock);
        TestProbe<DatabaseRegistry.Command> registry = testKit.createTestProbe();
        testKit.spawn(Scheduler.create(ctx, settings, registry.getRef()));
        registry.expectNoMessage(Duration.ofMillis(1200));
        clock.now = Instant.parse("2026-11-27T02:00:00Z");
        DatabaseRegistry.Forward f = registry.expectMessageClass(DatabaseRegistry.Forward.class, Duration.ofSeconds(10));
        assertInstanceOf(DatabaseActor.CreateBackup.class, f.command());
        registry.expectNoMessage(Duration.ofMillis(1200));
    }

    @Test
    void aSlotFurtherAwayThanATimerCanWaitStillArmsAndTheSchedulerKeepsWorking() throws Exception {
        // 'every 366d' slots are aligned to the epoch; one second past a slot, the next is 366 days away, beyond
        // the longest delay a Pekko timer accepts (about 248 days).
        Instant justPastASlot = Instant.EPOCH.plus(Duration.ofDays(366L * 155)).plusSeconds(1);
        JobContext ctx = context(null, "every 366d", Clock.fixed(justPastASlot, ZoneOffset.UTC));
        TestProbe<DatabaseRegistry.Command> registry = testKit.createTestProbe();
        var scheduler = testKit.spawn(Scheduler.create(ctx, settings, registry.getRef()));
        registry.expectNoMessage(Duration.ofMillis(500));
        scheduler.tell(new Scheduler.RunNow("sched"));
        DatabaseRegistry.Forward f = registry.expectMessageClass(DatabaseRegistry.Forward.class, Duration.ofSeconds(10));
        assertInstanceOf(DatabaseActor.CreateBackup.class, f.command());
    }
}
