package dev.meridian.backup.database;

import dev.meridian.backup.config.Settings;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.DatabaseStatus;
import dev.meridian.backup.retention.GarbageCollector;
import dev.meridian.backup.runtime.JobContext;
import dev.meridian.backup.verify.Verifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/** Spawns one DatabaseActor per configured database and routes commands to it by name. */
public final class DatabaseRegistry extends AbstractBehavior<DatabaseRegistry.Command> {

    public sealed interface Command {}

    public record Forward(String database, DatabaseActor.Command command) implements Command {}

    public record ListDatabases(ActorRef<List<DatabaseStatus>> replyTo) implements Command {}

    private final Map<String, ActorRef<DatabaseActor.Command>> databases = new LinkedHashMap<>();
    private final Duration queryTimeout;
    private long queries;
    /** Gives this engine's databases' share of the process's open-file limit back. */
    private final Runnable fileDescriptorShare;

    public static Behavior<Command> create(JobContext env, Settings settings, ActorRef<Verifier.Command> verifier,
            ActorRef<GarbageCollector.Command> gc) {
        return Behaviors.setup(ctx -> new DatabaseRegistry(ctx, env, settings, verifier, gc));
    }

    private DatabaseRegistry(ActorContext<Command> ctx, JobContext env, Settings settings, ActorRef<Verifier.Command> verifier,
            ActorRef<GarbageCollector.Command> gc) {
        super(ctx);
        this.queryTimeout = settings.askTimeout();
        // The open-file limit is the process's: each database's max_open_files gets a share of it, given back on stop.
        this.fileDescriptorShare = dev.meridian.backup.rocks.FileDescriptorBudget.share(settings.databases().size());
        for (Settings.DatabaseSettings db : settings.databases().values()) {
            // A bug in one database's actor restarts it (re-opening the database) without touching the others.
            Behavior<DatabaseActor.Command> b = Behaviors.supervise(DatabaseActor.create(env, settings, db, verifier, gc))
                    .onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofSeconds(1), Duration.ofSeconds(30), 0.2));
            databases.put(db.name(), ctx.spawn(b, "db-" + db.name()));
        }
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Forward.class, this::onForward)
                .onMessage(ListDatabases.class, this::onList)
                .onSignal(PostStop.class, s -> {
                    fileDescriptorShare.run();
                    return this;
                })
                .build();
    }

    private Behavior<Command> onForward(Forward msg) {
        ActorRef<DatabaseActor.Command> db = databases.get(msg.database());
        if (db == null) {
            // A short-lived child answers it: an operation is refused as not found, anything else dropped.
            db = getContext().spawnAnonymous(DatabaseActor.notConfigured(BackupException.notFound("database '"
                    + msg.database() + "' is not configured; configured: " + String.join(", ", databases.keySet()))));
        }
        db.tell(msg.command());
        return this;
    }

    private Behavior<Command> onList(ListDatabases msg) {
        getContext().spawn(StatusQuery.create(new HashMap<>(databases), msg.replyTo(), queryTimeout), "status-query-" + (++queries));
        return this;
    }

    /** Collects every database's status into one reply; a database that does not answer in time is reported as such. */
    static final class StatusQuery extends AbstractBehavior<StatusQuery.Command> {
        sealed interface Command {}

        private record Answer(DatabaseStatus status) implements Command {}

        private enum Timeout implements Command { INSTANCE }

        private final Map<String, DatabaseStatus> answers = new LinkedHashMap<>();
        private final List<String> names;
        private final ActorRef<List<DatabaseStatus>> replyTo;

        static Behavior<Command> create(Map<String, ActorRef<DatabaseActor.Command>> databases,
                ActorRef<List<DatabaseStatus>> replyTo, Duration timeout) {
            return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new StatusQuery(ctx, timers, databases, replyTo, timeout)));
        }

        private StatusQuery(ActorContext<Command> ctx, TimerScheduler<Command> timers,
                Map<String, ActorRef<DatabaseActor.Command>> databases, ActorRef<List<DatabaseStatus>> replyTo, Duration timeout) {
            super(ctx);
            this.replyTo = replyTo;
            this.names = new ArrayList<>(databases.keySet());
            timers.startSingleTimer(Timeout.INSTANCE, timeout);
            ActorRef<DatabaseStatus> adapter = ctx.messageAdapter(DatabaseStatus.class, Answer::new);
            databases.values().forEach(db -> db.tell(new DatabaseActor.GetStatus(adapter)));
        }

        @Override
        public Receive<Command> createReceive() {
            return newReceiveBuilder()
                    .onMessage(Answer.class, a -> {
                        answers.put(a.status().name(), a.status());
                        return answers.size() == names.size() ? respond() : this;
                    })
                    .onMessageEquals(Timeout.INSTANCE, this::respond)
                    .build();
        }

        private Behavior<Command> respond() {
            List<DatabaseStatus> out = new ArrayList<>();
            for (String n : names) {
                out.add(answers.getOrDefault(n, new DatabaseStatus(n, null, "not-responding", null, 0, 0, null, null, null,
                        null, "did not answer within the ask timeout")));
            }
            replyTo.tell(out);
            return Behaviors.stopped();
        }
    }
}
