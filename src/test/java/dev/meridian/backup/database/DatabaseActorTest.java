package dev.meridian.backup.database;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.backup.TestEnv;
import dev.meridian.backup.config.Settings;
import dev.meridian.backup.engine.Engine;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupRequest;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.DatabaseStatus;
import dev.meridian.backup.model.DeleteResult;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.model.ProgressUpdate;
import dev.meridian.backup.model.VerifyResult;
import dev.meridian.backup.repository.FileFingerprints;
import dev.meridian.backup.repository.IoThrottle;
import dev.meridian.backup.repository.JobJournal;
import dev.meridian.backup.repository.Repository;
import dev.meridian.backup.retention.GarbageCollector;
import dev.meridian.backup.runtime.JobContext;
import dev.meridian.backup.runtime.Metrics;
import dev.meridian.backup.verify.HashingPool;
import dev.meridian.backup.verify.Verifier;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariants 1 and 2 on the real actors (real RocksDB, real repository): one operation per database at a time in
 * arrival order with a bounded queue; databases in parallel; verification in a parallel pool that no database
 * actor waits on. Hashing pools' executors are gated so the tests control when hashing may proceed.
 */
class DatabaseActorTest {
    @TempDir
    static Path dir;
    static ActorTestKit testKit;
    static TestEnv env;
    static Settings settings;
    static JobContext ctx;
    static ExecutorService hashThreads = Executors.newFixedThreadPool(2);
    static volatile CountDownLatch verifyGate = new CountDownLatch(0);
    static HashingPool pool;
    static ActorRef<Verifier.Command> verifier;
    static ActorRef<GarbageCollector.Command> gc;

    @BeforeAll
    static void setUp() throws Exception {
        env = new TestEnv(dir, List.of("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta"), "meridian.database.queue-size = 2\nmeridian.backup.auto-verify = true");
        settings = env.settings();
        testKit = ActorTestKit.create("db-actor-test", settings.config());
        Repository repo = Repository.openFile(settings.repositoryPath(), settings.compression(), IoThrottle.UNLIMITED);
        ctx = new JobContext(repo, new JobJournal(settings.repositoryPath().resolve("locks")),
                new FileFingerprints(settings.repositoryPath().resolve("cache")), new Metrics(), Clock.systemUTC());
        // Each hashing task first registers its arrival, then waits for the gate: tests see real concurrency.
        pool = new HashingPool(task -> hashThreads.execute(() -> {
            awaitQuietly(verifyGate);
            task.run();
        }), 2);
        verifier = testKit.spawn(Verifier.create(ctx, settings.jobLimits().verify(), pool), "verifier");
        gc = testKit.spawn(GarbageCollector.create(ctx), "gc");
    }

    @AfterAll
    static void tearDown() throws Exception {
        verifyGate.countDown();
        testKit.shutdownTestKit();
        ctx.repository().close();
        hashThreads.shutdownNow();
    }

    static void awaitQuietly(CountDownLatch l) {
        try {
            l.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static final java.util.Map<String, ActorRef<DatabaseActor.Command>> databases = new java.util.concurrent.ConcurrentHashMap<>();

    /** One actor per database for the whole class: it owns the RocksDB handle, as in production. */
    static ActorRef<DatabaseActor.Command> database(String name) {
        return databases.computeIfAbsent(name, n -> testKit.spawn(
                DatabaseActor.create(ctx, settings, settings.database(n).orElseThrow(), verifier, gc), "db-" + n));
    }

    static DatabaseActor.CreateBackup create(String description, ActorRef<StatusReply<BackupSummary>> replyTo) {
        return new DatabaseActor.CreateBackup(new BackupRequest(UUID.randomUUID().toString(), BackupType.MANUAL, description,
                List.of(), null, false), testKit.system().ignoreRef(), replyTo);
    }

    /** Occupies a database with work that has started when this returns and ends when the returned latch opens. */
    static CountDownLatch occupy(ActorRef<DatabaseActor.Command> db) throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        db.tell(new DatabaseActor.WithHandle(UUID.randomUUID().toString(), live -> {
            started.countDown();
            awaitQuietly(release);
            return "done";
        }, testKit.<StatusReply<Object>>createTestProbe().getRef()));
        assertTrue(started.await(30, TimeUnit.SECONDS), "the occupying work started");
        return release;
    }

    /** Waits until the database reports {@code n} operations waiting in its queue. */
    static void awaitQueued(ActorRef<DatabaseActor.Command> db, int n) {
        TestProbe<DatabaseStatus> status = testKit.createTestProbe();
        status.awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(20), () -> {
            db.tell(new DatabaseActor.GetStatus(status.getRef()));
            assertEquals(n, status.expectMessageClass(DatabaseStatus.class).queued());
            return null;
        });
    }

    @Test
    void operationsOnOneDatabaseRunOneAtATimeInArrivalOrder() throws Exception {
        ActorRef<DatabaseActor.Command> db = database("alpha");
        List<TestProbe<StatusReply<BackupSummary>>> probes = new ArrayList<>();
        CountDownLatch release = occupy(db);
        for (int i = 0; i < 2; i++) {
            TestProbe<StatusReply<BackupSummary>> p = testKit.createTestProbe();
            probes.add(p);
            db.tell(create("order-" + i, p.getRef()));
        }
        // Both are queued behind the running work, and neither is answered while it runs.
        awaitQueued(db, 2);
        probes.get(0).expectNoMessage(Duration.ofMillis(200));
        release.countDown();
        List<BackupSummary> done = new ArrayList<>();
        for (TestProbe<StatusReply<BackupSummary>> p : probes) {
            done.add((BackupSummary) p.expectMessageClass(StatusReply.class, Duration.ofSeconds(60)).getValue());
        }
        for (int i = 0; i < done.size(); i++) {
            assertEquals("order-" + i, done.get(i).description(), "arrival order");
            assertTrue(done.get(i).queuedMs() >= 150, "it waited in the queue: " + done.get(i).queuedMs());
        }
        assertFalse(done.get(1).createdAt().isBefore(done.get(0).completedAt()), "intervals do not overlap");
    }

    @Test
    void aFullQueueRefusesWithBusyAndNamesTheDatabase() throws Exception {
        ActorRef<DatabaseActor.Command> db = database("beta");
        CountDownLatch release = occupy(db);
        TestProbe<StatusReply<BackupSummary>> queued1 = testKit.createTestProbe();
        TestProbe<StatusReply<BackupSummary>> queued2 = testKit.createTestProbe();
        TestProbe<StatusReply<BackupSummary>> refused = testKit.createTestProbe();
        db.tell(create("q1", queued1.getRef()));
        db.tell(create("q2", queued2.getRef()));
        db.tell(create("q3", refused.getRef()));
        StatusReply<?> busy = refused.expectMessageClass(StatusReply.class, Duration.ofSeconds(10));
        assertTrue(busy.isError());
        BackupException e = (BackupException) busy.getError();
        assertEquals(ErrorCode.BUSY, e.code());
        assertTrue(e.getMessage().contains("beta") && e.getMessage().contains("limit 2"), e.getMessage());
        TestProbe<DatabaseStatus> status = testKit.createTestProbe();
        db.tell(new DatabaseActor.GetStatus(status.getRef()));
        DatabaseStatus s = status.expectMessageClass(DatabaseStatus.class);
        assertEquals("busy", s.state(), "status is answered at once even while busy");
        assertEquals(2, s.queued());
        release.countDown();
        assertTrue(queued1.expectMessageClass(StatusReply.class, Duration.ofSeconds(60)).isSuccess());
        assertTrue(queued2.expectMessageClass(StatusReply.class, Duration.ofSeconds(60)).isSuccess());
    }

    @Test
    void aQueuedOperationCanBeCancelledBeforeItStarts() throws Exception {
        ActorRef<DatabaseActor.Command> db = database("alpha");
        CountDownLatch release = occupy(db);
        TestProbe<StatusReply<BackupSummary>> cancelled = testKit.createTestProbe();
        DatabaseActor.CreateBackup c = create("to cancel", cancelled.getRef());
        db.tell(c);
        db.tell(new DatabaseActor.Cancel(c.request().requestId()));
        db.tell(new DatabaseActor.Cancel("no-such-request"));
        release.countDown();
        StatusReply<?> r = cancelled.expectMessageClass(StatusReply.class, Duration.ofSeconds(30));
        assertTrue(r.isError());
        assertEquals(ErrorCode.CONFLICT, ((BackupException) r.getError()).code());
        assertTrue(r.getError().getMessage().contains("cancelled before it started"), r.getError().getMessage());
    }

    @Test
    void differentDatabasesProceedInParallel() throws Exception {
        ActorRef<DatabaseActor.Command> blocked = database("gamma");
        ActorRef<DatabaseActor.Command> free = database("alpha");
        CountDownLatch release = occupy(blocked);
        TestProbe<StatusReply<BackupSummary>> p = testKit.createTestProbe();
        free.tell(create("parallel", p.getRef()));
        assertTrue(p.expectMessageClass(StatusReply.class, Duration.ofSeconds(60)).isSuccess(),
                "alpha backs up while gamma is still busy");
        release.countDown();
    }

    @Test
    void aDatabaseActorNeverWaitsOnAVerification() throws Exception {
        verifyGate = new CountDownLatch(1);
        try {
            ActorRef<DatabaseActor.Command> db = database("beta");
            TestProbe<StatusReply<BackupSummary>> first = testKit.createTestProbe();
            db.tell(create("auto-verified", first.getRef()));
            BackupSummary b = (BackupSummary) first.expectMessageClass(StatusReply.class, Duration.ofSeconds(60)).getValue();
            assertNull(b.verified(), "the reply does not wait for the automatic verification");
            // While that verification is held in the pool, the same database keeps working.
            TestProbe<StatusReply<BackupSummary>> second = testKit.createTestProbe();
            db.tell(create("meanwhile", second.getRef()));
            assertTrue(second.expectMessageClass(StatusReply.class, Duration.ofSeconds(60)).isSuccess());
            TestProbe<StatusReply<DeleteResult>> deleted = testKit.createTestProbe();
            db.tell(new DatabaseActor.DeleteBackup(UUID.randomUUID().toString(),
                    ctx.repository().catalog().latest("beta").orElseThrow().backupId(), deleted.getRef()));
            assertTrue(deleted.expectMessageClass(StatusReply.class, Duration.ofSeconds(60)).isSuccess());
            assertNull(ctx.repository().catalog().get(b.backupId()).orElseThrow().verified(), "still held in the pool");
        } finally {
            verifyGate.countDown();
        }
    }

    @Test
    void filesOfOneBackupAndDifferentBackupsAreHashedInParallelUpToThePoolSize() throws Exception {
        ActorRef<DatabaseActor.Command> db = database("gamma");
        List<BackupSummary> backups = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            TestProbe<StatusReply<BackupSummary>> p = testKit.createTestProbe();
            db.tell(create("to-verify-" + i, p.getRef()));
            backups.add((BackupSummary) p.expectMessageClass(StatusReply.class, Duration.ofSeconds(60)).getValue());
        }
        int files = backups.stream().mapToInt(BackupSummary::fileCount).sum();
        int poolSize = 8;
        assertTrue(files > poolSize && backups.get(0).fileCount() < poolSize, "each backup has fewer files than the pool");
        // No hashing starts until poolSize files are in the pool at the same moment. A backup has fewer files than
        // that, so passing the gate needs files of both backups at once, and several files of one backup at once.
        CountDownLatch allArrived = new CountDownLatch(poolSize);
        ExecutorService threads = Executors.newFixedThreadPool(poolSize);
        HashingPool wide = new HashingPool(task -> threads.execute(() -> {
            allArrived.countDown();
            awaitQuietly(allArrived);
            task.run();
        }), poolSize);
        ActorRef<Verifier.Command> wideVerifier = testKit.spawn(Verifier.create(ctx, settings.jobLimits().verify(), wide), "wide-verifier");
        List<TestProbe<StatusReply<VerifyResult>>> probes = new ArrayList<>();
        for (BackupSummary b : backups) {
            TestProbe<StatusReply<VerifyResult>> p = testKit.createTestProbe();
            probes.add(p);
            wideVerifier.tell(new Verifier.Verify(b.backupId(), UUID.randomUUID().toString(), testKit.system().ignoreRef(), p.getRef()));
        }
        for (TestProbe<StatusReply<VerifyResult>> p : probes) {
            StatusReply<?> r = p.expectMessageClass(StatusReply.class, Duration.ofSeconds(60));
            assertTrue(((VerifyResult) r.getValue()).valid());
        }
        assertEquals(0, allArrived.getCount(), poolSize + " files were hashed at the same time");
        assertTrue(wide.peak() <= poolSize, "never beyond the pool size: " + wide.peak());
        threads.shutdownNow();
    }

    @Test
    void shutdownCancelsRunningVerificationsAndAnswersOnlyOnceTheirHashingThreadsAreOffTheRepository() throws Exception {
        ActorRef<DatabaseActor.Command> db = database("eta");
        TestProbe<StatusReply<BackupSummary>> made = testKit.createTestProbe();
        db.tell(create("to-stop", made.getRef()));
        BackupSummary backup = (BackupSummary) made.expectMessageClass(StatusReply.class, Duration.ofSeconds(60)).getValue();
        // Hashing threads that hold their file until released: a verification stays in the middle of a read.
        CountDownLatch reading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService threads = Executors.newFixedThreadPool(2);
        HashingPool held = new HashingPool(task -> threads.execute(() -> {
            reading.countDown();
            awaitQuietly(release);
            task.run();
        }), 2);
        ActorRef<Verifier.Command> v = testKit.spawn(Verifier.create(ctx, settings.jobLimits().verify(), held), "stopping-verifier");
        TestProbe<StatusReply<VerifyResult>> caller = testKit.createTestProbe();
        v.tell(new Verifier.Verify(backup.backupId(), UUID.randomUUID().toString(), testKit.system().ignoreRef(), caller.getRef()));
        assertTrue(reading.await(30, java.util.concurrent.TimeUnit.SECONDS));
        TestProbe<org.apache.pekko.Done> stopped = testKit.createTestProbe();
        v.tell(new Verifier.Stop(stopped.getRef()));
        StatusReply<?> cancelled = caller.expectMessageClass(StatusReply.class, Duration.ofSeconds(10));
        assertTrue(cancelled.isError() && cancelled.getError().getMessage().contains("cancelled"), String.valueOf(cancelled));
        stopped.expectNoMessage(Duration.ofMillis(300)); // a hashing thread still reads the repository
        release.countDown();
        stopped.expectMessage(Duration.ofSeconds(30), org.apache.pekko.Done.getInstance());
        TestProbe<StatusReply<VerifyResult>> late = testKit.createTestProbe();
        v.tell(new Verifier.Verify(backup.backupId(), UUID.randomUUID().toString(), testKit.system().ignoreRef(), late.getRef()));
        StatusReply<?> refused = late.expectMessageClass(StatusReply.class, Duration.ofSeconds(10));
        assertTrue(refused.isError() && refused.getError().getMessage().contains("shutting down"), String.valueOf(refused));
        threads.shutdownNow();
    }

    @Test
    void waitersQueuedWhileTheDatabaseOpensHearTheirNewPlaceOnceTheFirstRuns() {
        // A caller is told its place in line whenever the line moves, including when the database finishes opening
        // (it was told "behind opening the database" and then nothing until its own turn came).
        ActorRef<DatabaseActor.Command> db = database("epsilon"); // spawned here: both creates arrive while it opens
        TestProbe<ProgressUpdate> second = testKit.createTestProbe();
        TestProbe<StatusReply<BackupSummary>> replies = testKit.createTestProbe();
        db.tell(new DatabaseActor.CreateBackup(new BackupRequest(Engine.newRequestId(), BackupType.MANUAL, "first",
                List.of(), null, false), testKit.system().ignoreRef(), replies.getRef()));
        db.tell(new DatabaseActor.CreateBackup(new BackupRequest(Engine.newRequestId(), BackupType.MANUAL, "second",
                List.of(), null, false), second.getRef(), replies.getRef()));
        List<String> heard = new java.util.ArrayList<>();
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            ProgressUpdate u = second.expectMessageClass(ProgressUpdate.class, Duration.ofSeconds(30));
            heard.add(u.message());
            if (u.message() == null || !u.message().startsWith("queued:")) {
                break; // its own backup has started
            }
            if (u.message().startsWith("queued: 1st in line, behind the running manual backup")) {
                return;
            }
        }
        org.junit.jupiter.api.Assertions.fail("the second create never heard it was 1st in line behind the first: " + heard);
    }

    @Test
    void aCloseRefusesTheQueueLetsTheRunningOperationFinishAndThenRefusesEverything() throws Exception {
        ActorRef<DatabaseActor.Command> db = database("zeta");
        CountDownLatch release = occupy(db);
        TestProbe<StatusReply<BackupSummary>> queued = testKit.createTestProbe();
        db.tell(create("queued before the close", queued.getRef()));
        awaitQueued(db, 1);
        TestProbe<org.apache.pekko.Done> closed = testKit.createTestProbe();
        db.tell(new DatabaseActor.Close(closed.getRef()));
        StatusReply<?> refused = queued.expectMessageClass(StatusReply.class, Duration.ofSeconds(10));
        assertTrue(refused.isError() && refused.getError().getMessage().contains("shutting down"), refused::toString);
        TestProbe<DatabaseStatus> status = testKit.createTestProbe();
        db.tell(new DatabaseActor.GetStatus(status.getRef()));
        assertEquals("busy", status.expectMessageClass(DatabaseStatus.class).state(), "the running work goes on");
        closed.expectNoMessage(Duration.ofMillis(100));
        release.countDown();
        closed.expectMessage(Duration.ofSeconds(30), org.apache.pekko.Done.getInstance());
        db.tell(new DatabaseActor.GetStatus(status.getRef()));
        assertEquals("closed", status.expectMessageClass(DatabaseStatus.class).state());
        TestProbe<StatusReply<BackupSummary>> late = testKit.createTestProbe();
        db.tell(create("after the close", late.getRef()));
        StatusReply<?> lateReply = late.expectMessageClass(StatusReply.class, Duration.ofSeconds(10));
        assertEquals(ErrorCode.UNAVAILABLE, ((BackupException) lateReply.getError()).code());
        db.tell(new DatabaseActor.Close(closed.getRef()));
        closed.expectMessage(Duration.ofSeconds(10), org.apache.pekko.Done.getInstance()); // a second Close is answered too
    }

    @Test
    void aRestartAfterAnInternalErrorAnswersEveryoneWaitingAndReopensTheDatabase() throws Exception {
        // Supervised as in DatabaseRegistry. The crash is provoked by a malformed message (a Cancel without a
        // request id, which no gateway sends); any exception in a handler takes the same path.
        ActorRef<DatabaseActor.Command> db = testKit.spawn(Behaviors.supervise(
                DatabaseActor.create(ctx, settings, settings.database("delta").orElseThrow(), verifier, gc))
                .onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofMillis(100), Duration.ofSeconds(1), 0.0)), "db-delta");
        CountDownLatch release = occupy(db);
        TestProbe<StatusReply<BackupSummary>> queued = testKit.createTestProbe();
        db.tell(new DatabaseActor.CreateBackup(new BackupRequest("queued-before-crash", BackupType.MANUAL, "", List.of(), null, false),
                testKit.system().ignoreRef(), queued.getRef()));
        db.tell(new DatabaseActor.Cancel(null));
        StatusReply<BackupSummary> refused = queued.expectMessageClass(StatusReply.class, Duration.ofSeconds(10));
        assertTrue(refused.isError());
        assertTrue(refused.getError().getMessage().contains("is restarting"), refused.getError().getMessage());
        release.countDown(); // the blocked work ends; its handle is closed behind it

        // The new incarnation opens the database again and works.
        TestProbe<StatusReply<BackupSummary>> after = testKit.createTestProbe();
        long deadline = System.currentTimeMillis() + 30_000;
        StatusReply<BackupSummary> reply;
        do {
            db.tell(new DatabaseActor.CreateBackup(new BackupRequest(Engine.newRequestId(), BackupType.MANUAL, "", List.of(), null, false),
                    testKit.system().ignoreRef(), after.getRef()));
            reply = after.expectMessageClass(StatusReply.class, Duration.ofSeconds(60));
        } while (reply.isError() && reply.getError().getMessage().contains("restarting") && System.currentTimeMillis() < deadline);
        assertTrue(reply.isSuccess(), () -> "backup after the restart: " + after);
        TestProbe<DatabaseStatus> status = testKit.createTestProbe();
        db.tell(new DatabaseActor.GetStatus(status.getRef()));
        assertEquals("ready", status.expectMessageClass(DatabaseStatus.class).state());
    }
}
