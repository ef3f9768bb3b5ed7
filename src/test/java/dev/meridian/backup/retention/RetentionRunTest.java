package dev.meridian.backup.retention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.meridian.backup.TestEnv;
import dev.meridian.backup.config.Settings;
import dev.meridian.backup.database.DatabaseActor;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupRequest;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.RetentionPolicy;
import dev.meridian.backup.model.RetentionResult;
import dev.meridian.backup.repository.FileFingerprints;
import dev.meridian.backup.repository.IoThrottle;
import dev.meridian.backup.repository.JobJournal;
import dev.meridian.backup.repository.Repository;
import dev.meridian.backup.runtime.JobContext;
import dev.meridian.backup.runtime.Metrics;
import dev.meridian.backup.verify.HashingPool;
import dev.meridian.backup.verify.Verifier;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Retention applied by the real database actor (the path the retention timer takes) to real backups in a real
 * repository, with the actor's clock under the test's control: the newest backup of each type always survives,
 * keep-within counts from the newest backup, and a backup dated in the future is kept, warned about once per run
 * and not counted.
 */
class RetentionRunTest {
    @TempDir
    static Path dir;
    static TestEnv env;
    static ActorTestKit testKit;
    static JobContext ctx;
    static final SettableClock clock = new SettableClock(Instant.parse("2026-11-26T12:00:00Z"));
    static ActorRef<DatabaseActor.Command> quiet;
    static ActorRef<DatabaseActor.Command> skewed;

    /** A clock the test sets; the database actor takes backup times and the retention run's start from it. */
    static final class SettableClock extends Clock {
        volatile Instant now;

        SettableClock(Instant now) {
            this.now = now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @BeforeAll
    static void setUp() throws Exception {
        // The configuration: keep-within 2m on manual backups, retention every minute.
        env = new TestEnv(dir, List.of(), """
                meridian.retention.interval = 1m
                meridian.backup.auto-verify = false
                meridian.databases = [
                  { name = "quiet", path = "%s", create-if-missing = true, seed-keys = 100, schedule = off,
                    retention { manual { keep-within = 2m } } }
                  { name = "skewed", path = "%s", create-if-missing = true, seed-keys = 100, schedule = off,
                    retention { manual { keep-last = 2 } } }
                ]
                """.formatted(dir.resolve("db/quiet"), dir.resolve("db/skewed")));
        Settings settings = env.settings();
        testKit = ActorTestKit.create("retention-run-test", settings.config());
        Repository repo = Repository.openFile(settings.repositoryPath(), settings.compression(), IoThrottle.UNLIMITED);
        ctx = new JobContext(repo, new JobJournal(settings.repositoryPath().resolve("locks")),
                new FileFingerprints(settings.repositoryPath().resolve("cache")), new Metrics(), clock);
        var verifier = testKit.spawn(Verifier.create(ctx, settings.jobLimits().verify(), new HashingPool(Executors.newFixedThreadPool(1), 1)), "verifier");
        var gc = testKit.spawn(GarbageCollector.create(ctx), "gc");
        quiet = testKit.spawn(DatabaseActor.create(ctx, settings, settings.database("quiet").orElseThrow(), verifier, gc), "db-quiet");
        skewed = testKit.spawn(DatabaseActor.create(ctx, settings, settings.database("skewed").orElseThrow(), verifier, gc), "db-skewed");
    }

    @AfterAll
    static void tearDown() throws Exception {
        testKit.shutdownTestKit();
        ctx.repository().close();
    }

    static BackupSummary backup(ActorRef<DatabaseActor.Command> db) {
        TestProbe<StatusReply<BackupSummary>> p = testKit.createTestProbe();
        db.tell(new DatabaseActor.CreateBackup(new BackupRequest(UUID.randomUUID().toString(), BackupType.MANUAL, "",
                List.of(), null, false), testKit.system().ignoreRef(), p.getRef()));
        @SuppressWarnings("unchecked")
        StatusReply<BackupSummary> r = p.expectMessageClass(StatusReply.class, Duration.ofSeconds(60));
        return r.getValue();
    }

    static RetentionResult retention(ActorRef<DatabaseActor.Command> db, boolean dryRun) {
        TestProbe<StatusReply<RetentionResult>> p = testKit.createTestProbe();
        db.tell(new DatabaseActor.ApplyRetention("retention-" + UUID.randomUUID(), dryRun, p.getRef()));
        @SuppressWarnings("unchecked")
        StatusReply<RetentionResult> r = p.expectMessageClass(StatusReply.class, Duration.ofSeconds(60));
        assertTrue(r.isSuccess(), () -> "retention failed: " + r.getError());
        return r.getValue();
    }

    static List<BackupId> backupsOf(String db) {
        return ctx.repository().catalog().ofDatabase(db).stream().map(BackupSummary::backupId).sorted().toList();
    }

    // Issue 7 item 2, as filed: one manual backup, keep-within = 2m, the timer's run three minutes later deleted it
    // ("deleted 1 backups, kept 0"). The newest backup of a type is never deleted, however old it is.
    @Test
    void theRetentionRunMinutesAfterTheOnlyManualBackupKeepsIt() {
        BackupSummary only = backup(quiet);
        for (Duration later : List.of(Duration.ofMinutes(3), Duration.ofDays(91))) {
            clock.now = only.createdAt().plus(later);
            RetentionResult r = retention(quiet, false);
            assertEquals(List.of(), r.deleted(), "after " + later);
            assertEquals(List.of(only.backupId()), backupsOf("quiet"), "the database still has its backup");
            assertEquals(List.of(only.backupId()), r.kept());
            assertTrue(r.reasons().get(only.backupId()).contains(RetentionPolicy.NEWEST), r.reasons().toString());
        }
    }

    // Safety backups are manual backups too: after an in-place restore, the safety backup is the newest manual
    // backup and survives keep-within however long nothing happens; the older manual backup goes. Real clock, real
    // server, the REST dry run shows why each backup stays.
    @Test
    void theSafetyBackupOfARestoreIsTheNewestManualBackupAndIsKept() throws Exception {
        Path root = java.nio.file.Files.createDirectories(dir.resolve("server"));
        try (TestEnv server = TestEnv.start(root, List.of(), """
                meridian.backup.auto-verify = false
                meridian.databases = [
                  { name = "app", path = "%s", create-if-missing = true, seed-keys = 100, schedule = off,
                    retention { manual { keep-within = 1s } } }
                ]
                """.formatted(root.resolve("db/app")))) {
            var engine = server.server.engine();
            BackupSummary before = TestEnv.await(engine.createBackup("app", new BackupRequest(
                    dev.meridian.backup.engine.Engine.newRequestId(), BackupType.MANUAL, "", List.of(), null, false), null));
            Thread.sleep(1_200);
            var restored = TestEnv.await(engine.restore(before.backupId(), null, true, dev.meridian.backup.engine.Engine.newRequestId(), null));
            BackupId safety = restored.safetyBackupId();
            Thread.sleep(1_200); // now both are older than keep-within = 1s
            TestEnv.Reply dry = server.request("POST", "/api/v1/databases/app/retention/apply", "{\"dry_run\": true}");
            assertEquals(200, dry.status(), dry.raw().body());
            assertEquals(before.backupId().value(), dry.json().path("deleted").path(0).asText(), dry.raw().body());
            assertEquals(RetentionPolicy.NEWEST, dry.json().path("reasons").path(safety.value()).path(0).asText(), dry.raw().body());

            RetentionResult r = TestEnv.await(engine.applyRetention("app", false, dev.meridian.backup.engine.Engine.newRequestId()));
            assertEquals(List.of(before.backupId()), r.deleted());
            assertEquals(List.of(safety), engine.catalog().ofDatabase("app").stream().map(BackupSummary::backupId).toList());
        }
    }

    // A backup made while the clock ran a year ahead is kept and reported once per run, and the real backups are
    // ranked among themselves: keep-last 2 keeps the two newest real ones, not only the future one.
    @Test
    void aBackupDatedAYearAheadIsKeptWarnedAboutOnceAndDoesNotEmptyKeepLast() {
        Instant real = clock.now.plus(Duration.ofDays(200));
        clock.now = real.plus(Duration.ofDays(365));
        BackupSummary ahead = backup(skewed);
        clock.now = real;
        BackupSummary first = backup(skewed);
        clock.now = real.plusSeconds(60);
        BackupSummary second = backup(skewed);
        clock.now = real.plusSeconds(120);
        BackupSummary third = backup(skewed);
        clock.now = real.plusSeconds(180);

        Logger log = (Logger) LoggerFactory.getLogger("dev.meridian.backup.retention"); // the retention job warns
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.start();
        log.addAppender(captured);
        RetentionResult r;
        try {
            RetentionResult dry = retention(skewed, true);
            assertEquals(List.of(RetentionPolicy.FUTURE), dry.reasons().get(ahead.backupId()));
            r = retention(skewed, false);
        } finally {
            log.detachAppender(captured);
        }
        assertEquals(List.of(first.backupId()), r.deleted());
        assertEquals(List.of(second.backupId(), third.backupId(), ahead.backupId()), backupsOf("skewed"));
        List<String> warnings = captured.list.stream().filter(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN)
                .map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains("skewed")).toList();
        assertEquals(2, warnings.size(), "one warning per run (dry run and real run): " + warnings);
        assertTrue(warnings.get(1).contains(ahead.backupId().value()), warnings.get(1));
    }
}
