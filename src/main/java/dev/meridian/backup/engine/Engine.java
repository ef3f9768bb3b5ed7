package dev.meridian.backup.engine;

import dev.meridian.backup.config.Settings;
import dev.meridian.backup.database.DatabaseActor;
import dev.meridian.backup.database.DatabaseRegistry;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupRequest;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.CatalogPage;
import dev.meridian.backup.model.CatalogQuery;
import dev.meridian.backup.model.CatalogStats;
import dev.meridian.backup.model.DatabaseStatus;
import dev.meridian.backup.model.DeleteResult;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.model.ProgressUpdate;
import dev.meridian.backup.model.RestoreRequest;
import dev.meridian.backup.model.RestoreResult;
import dev.meridian.backup.model.RetentionResult;
import dev.meridian.backup.model.Validation;
import dev.meridian.backup.model.VerifyResult;
import dev.meridian.backup.repository.Catalog;
import dev.meridian.backup.restore.RestoreTargets;
import dev.meridian.backup.rocks.LiveDatabase;
import dev.meridian.backup.runtime.Blocking;
import dev.meridian.backup.runtime.JobContext;
import dev.meridian.backup.verify.Verifier;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.pattern.StatusReply;

/**
 * The one entry point REST, MCP and the CLI share. It checks what callers send against the configuration and
 * the catalog, then asks the actors; it never blocks. Every failure completes the stage with a
 * {@link BackupException} that says what failed and what to do.
 */
public final class Engine {
    private final ActorSystem<?> system;
    private final EngineContext env;
    private final ActorRef<DatabaseRegistry.Command> registry;
    private final ActorRef<Verifier.Command> verifier;
    private final dev.meridian.backup.verify.HashingPool hashingPool;

    public Engine(ActorSystem<?> system, EngineContext env, ActorRef<DatabaseRegistry.Command> registry,
            ActorRef<Verifier.Command> verifier, dev.meridian.backup.verify.HashingPool hashingPool) {
        this.system = system;
        this.env = env;
        this.registry = registry;
        this.verifier = verifier;
        this.hashingPool = hashingPool;
    }

    public dev.meridian.backup.verify.HashingPool hashingPool() {
        return hashingPool;
    }

    /** Shutdown: every database finishes its running operation, refuses its queue, and closes. */
    public CompletionStage<Void> closeDatabases(Duration timeout) {
        List<CompletableFuture<org.apache.pekko.Done>> all = new java.util.ArrayList<>();
        for (String db : env.settings().databases().keySet()) {
            all.add(AskPattern.<DatabaseRegistry.Command, org.apache.pekko.Done>ask(registry,
                    ref -> new DatabaseRegistry.Forward(db, new DatabaseActor.Close(ref)), timeout, system.scheduler())
                    .toCompletableFuture());
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
    }

    /**
     * Shutdown, beside {@link #closeDatabases}: cancels running verifications (auto-verify included) and completes
     * once their hashing threads have let go of the repository, or after {@code timeout}.
     */
    public CompletionStage<org.apache.pekko.Done> stopVerifications(Duration timeout) {
        return AskPattern.ask(verifier, Verifier.Stop::new, timeout, system.scheduler());
    }

    /**
     * The configured database that a restore of a backup of {@code backupDatabase} into {@code target} would replace
     * (an in-place restore), resolved as the restore itself resolves it ({@link RestoreTargets#resolve}): no target is
     * the backup's own database; a configured database's path, as written or through symlinks, is that database.
     * Empty for a new directory, and for a target the restore would refuse anyway. Reads the filesystem (real paths).
     */
    public java.util.Optional<String> databaseReplacedBy(String backupDatabase, String target) {
        try {
            return RestoreTargets.resolve(env.settings(), backupDatabase, target) instanceof RestoreTargets.IntoDatabase db
                    ? java.util.Optional.of(db.database()) : java.util.Optional.empty();
        } catch (BackupException e) {
            return java.util.Optional.empty();
        }
    }

    public Settings settings() {
        return env.settings();
    }

    public JobContext context() {
        return env.jobs();
    }

    public ActorSystem<?> system() {
        return system;
    }

    public Catalog catalog() {
        return env.repository().catalog();
    }

    public static String newRequestId() {
        return UUID.randomUUID().toString();
    }

    /** Checks a database name against the configuration. */
    public String database(String name) {
        Validation.databaseName(name);
        if (env.settings().database(name).isEmpty()) {
            throw BackupException.notFound("database '" + name + "' is not configured; configured databases: "
                    + String.join(", ", env.settings().databases().keySet()));
        }
        return name;
    }

    /** The database a caller means: the one named, or the only one configured. */
    public String databaseOrOnly(String name) {
        if (name != null) {
            return database(name);
        }
        if (env.settings().databases().size() == 1) {
            return env.settings().databases().keySet().iterator().next();
        }
        throw BackupException.invalid("several databases are configured (" + String.join(", ", env.settings().databases().keySet())
                + "); say which one with 'database'");
    }

    public BackupSummary backup(BackupId id) {
        return catalog().get(id).orElseThrow(() -> dev.meridian.backup.repository.Repository.unknownBackup(id));
    }

    /** Reads a backup's manifest (on the I/O dispatcher). */
    public CompletionStage<dev.meridian.backup.model.Manifest> readManifest(BackupId id) {
        return guard(() -> {
            backup(id);
            return Blocking.supply(system, JobContext.IO_DISPATCHER, () -> env.repository().readManifest(id));
        });
    }

    public CompletionStage<List<DatabaseStatus>> databases() {
        return AskPattern.ask(registry, DatabaseRegistry.ListDatabases::new, env.settings().askTimeout().plusSeconds(1), system.scheduler());
    }

    public CompletionStage<BackupSummary> createBackup(String database, BackupRequest request, ActorRef<ProgressUpdate> progress) {
        return guard(() -> {
            String db = database(database);
            if (request.checkpointDir() != null && env.settings().databases().get(db).owner() == Settings.Owner.MERIDIAN) {
                throw new BackupException(ErrorCode.CONFLICT, "checkpoint_dir was refused for database " + db + ": Meridian"
                        + " owns it (owner = meridian) and takes its own checkpoints. Leave checkpoint_dir out, or set"
                        + " owner = \"application\" for a database its application holds open; " + request.checkpointDir()
                        + " was not touched");
            }
            return askWithStatus(db, (ActorRef<StatusReply<BackupSummary>> ref) ->
                    new DatabaseActor.CreateBackup(request, progressOrIgnore(progress), ref), longTimeout(env.settings().backupTimeout()));
        });
    }

    public CatalogPage listBackups(CatalogQuery query) {
        if (query.database() != null) {
            database(query.database());
        }
        return catalog().list(query);
    }

    /** A configured database's backups, oldest first (empty when it has none); the name is checked first. */
    public List<BackupSummary> backupsOf(String database) {
        return catalog().ofDatabase(database(database));
    }

    /** How many backups the catalog holds, over all databases. */
    public int backupCount() {
        return catalog().size();
    }

    /** How many manifests could not be read when the repository was opened (should be 0). */
    public int unreadableManifestCount() {
        return catalog().unreadable().size();
    }

    public CatalogStats stats(String database) {
        if (database != null) {
            database(database);
        }
        return catalog().stats(database, env.clock().instant());
    }

    public CompletionStage<VerifyResult> verify(BackupId id, String requestId, ActorRef<ProgressUpdate> progress) {
        return verify(id, false, requestId, progress);
    }

    /** Verifies a backup; {@code deep} also checks every SST's RocksDB block checksums (slower: see docs/operations.md). */
    public CompletionStage<VerifyResult> verify(BackupId id, boolean deep, String requestId, ActorRef<ProgressUpdate> progress) {
        return guard(() -> {
            backup(id);
            return AskPattern.askWithStatus(verifier,
                    (ActorRef<StatusReply<VerifyResult>> ref) -> new Verifier.Verify(id, deep, requestId, progressOrIgnore(progress), ref),
                    longTimeout(env.settings().verifyTimeout()), system.scheduler());
        });
    }

    /**
     * Restores a backup: into its own database when {@code target} is empty, into another configured database
     * when it is that database's path, or into a new directory under a restore root.
     */
    public CompletionStage<RestoreResult> restore(BackupId id, String target, boolean createSafetyBackup, String requestId,
            ActorRef<ProgressUpdate> progress) {
        return guard(() -> {
            BackupSummary b = backup(id);
            RestoreTargets.Target t = RestoreTargets.resolve(env.settings(), b.database(), target);
            String db = t instanceof RestoreTargets.IntoDatabase into ? into.database() : b.database();
            RestoreRequest request = new RestoreRequest(requestId, id,
                    t instanceof RestoreTargets.IntoDirectory dir ? dir.directory() : null, createSafetyBackup);
            return askWithStatus(db, (ActorRef<StatusReply<RestoreResult>> ref) ->
                    new DatabaseActor.Restore(request, progressOrIgnore(progress), ref), longTimeout(env.settings().restoreTimeout()));
        });
    }

    public CompletionStage<DeleteResult> delete(BackupId id, String requestId) {
        return guard(() -> {
            BackupSummary b = backup(id);
            return askWithStatus(b.database(), (ActorRef<StatusReply<DeleteResult>> ref) ->
                    new DatabaseActor.DeleteBackup(requestId, id, ref), longTimeout(env.settings().backupTimeout()));
        });
    }

    public CompletionStage<RetentionResult> applyRetention(String database, boolean dryRun, String requestId) {
        return guard(() -> {
            String db = database(database);
            return askWithStatus(db, (ActorRef<StatusReply<RetentionResult>> ref) ->
                    new DatabaseActor.ApplyRetention(requestId, dryRun, ref), longTimeout(env.settings().backupTimeout()));
        });
    }

    /**
     * The embedding API: hands a database's actor the handle its host application opened
     * ({@link LiveDatabase#attach}); the database must be configured with {@code owner = application}.
     */
    public CompletionStage<org.apache.pekko.Done> registerHandle(String database, LiveDatabase handle) {
        return guard(() -> askWithStatus(database(database), (ActorRef<StatusReply<org.apache.pekko.Done>> ref) ->
                new DatabaseActor.RegisterHandle(handle, ref), env.settings().askTimeout()));
    }

    /** Runs work against a database's open handle, serialized with its backups and restores. */
    @SuppressWarnings("unchecked")
    public <T> CompletionStage<T> withDatabase(String database, Function<LiveDatabase, T> work) {
        return guard(() -> {
            String db = database(database);
            CompletionStage<Object> s = askWithStatus(db, (ActorRef<StatusReply<Object>> ref) ->
                    new DatabaseActor.WithHandle(newRequestId(), d -> work.apply(d), ref), longTimeout(env.settings().backupTimeout()));
            return s.thenApply(o -> (T) o);
        });
    }

    /**
     * Cancels a queued or running operation, wherever it is (any database's queue, or a verification). Completes
     * with whether any of them had an operation with that request id (false for an unknown or finished one, which
     * is otherwise ignored); a part that does not answer within 5 s counts as not having it.
     */
    public CompletionStage<Boolean> cancel(String requestId) {
        List<CompletableFuture<Boolean>> answers = new java.util.ArrayList<>();
        Duration wait = Duration.ofSeconds(5);
        for (String db : env.settings().databases().keySet()) {
            answers.add(AskPattern.<DatabaseRegistry.Command, Boolean>ask(registry,
                    ref -> new DatabaseRegistry.Forward(db, new DatabaseActor.Cancel(requestId, ref)), wait, system.scheduler())
                    .toCompletableFuture().exceptionally(e -> false));
        }
        answers.add(AskPattern.<Verifier.Command, Boolean>ask(verifier, ref -> new Verifier.Cancel(requestId, ref), wait,
                system.scheduler()).toCompletableFuture().exceptionally(e -> false));
        return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
                .thenApply(x -> answers.stream().anyMatch(CompletableFuture::join));
    }

    /** An actor that passes progress to {@code consumer}; stop it with {@link #stopListener} when the call ends. */
    public ActorRef<ProgressUpdate> progressListener(Consumer<ProgressUpdate> consumer) {
        ActorRef<Object> listener = system.systemActorOf(Behaviors.<Object>receiveMessage(m -> {
            if (m instanceof StopListener stop) {
                stop.drained().complete(null);
                return Behaviors.stopped();
            }
            consumer.accept((ProgressUpdate) m);
            return Behaviors.same();
        }), "progress-" + UUID.randomUUID(), Props.empty());
        return listener.narrow();
    }

    /** Only a parent may stop a typed actor, so the listener stops itself on this message, after what is queued. */
    private record StopListener(CompletableFuture<Void> drained) {}

    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(2);

    /**
     * Stops a listener once it has passed on every update sent before this call, and completes then: a job's
     * updates are in the listener's mailbox before it answers, and the stop message queues behind them. So a
     * caller that sends the result after this completes never lets the last progress event trail the result.
     * Completes anyway after two seconds in case the listener is gone (shutdown).
     */
    public CompletionStage<Void> stopListener(ActorRef<ProgressUpdate> listener) {
        if (listener == null) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> drained = new CompletableFuture<>();
        listener.<Object>unsafeUpcast().tell(new StopListener(drained));
        return drained.completeOnTimeout(null, DRAIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    private ActorRef<ProgressUpdate> progressOrIgnore(ActorRef<ProgressUpdate> p) {
        return p != null ? p : system.ignoreRef();
    }

    private <T> CompletionStage<T> askWithStatus(String db, Function<ActorRef<StatusReply<T>>, DatabaseActor.Command> message,
            Duration timeout) {
        return AskPattern.askWithStatus(registry, (ActorRef<StatusReply<T>> ref) ->
                new DatabaseRegistry.Forward(db, message.apply(ref)), timeout, system.scheduler());
    }

    /** Operations can wait behind a full queue of others; the job's own timer is what normally ends them. */
    private Duration longTimeout(Duration job) {
        return job.multipliedBy(env.settings().queueSize() + 1L).plusMinutes(1);
    }

    /** Turns validation failures thrown before asking into a failed stage, and every failure into a BackupException. */
    private static <T> CompletionStage<T> guard(java.util.function.Supplier<CompletionStage<T>> work) {
        CompletionStage<T> stage;
        try {
            stage = work.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(BackupException.from(e, "request failed"));
        }
        return stage.handle((v, err) -> {
            if (err != null) {
                Throwable c = Blocking.cause(err);
                if (c instanceof java.util.concurrent.TimeoutException) {
                    throw new BackupException(ErrorCode.TIMEOUT, "the operation did not answer in time; it may still "
                            + "finish: check the backup list and the server log");
                }
                throw BackupException.from(c, "request failed");
            }
            return v;
        });
    }
}
