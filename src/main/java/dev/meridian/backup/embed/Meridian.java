package dev.meridian.backup.embed;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import dev.meridian.backup.config.Settings;
import dev.meridian.backup.engine.Engine;
import dev.meridian.backup.mcp.McpToolbox;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupRequest;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.model.MigrationRecord;
import dev.meridian.backup.model.RestoreResult;
import dev.meridian.backup.model.Validation;
import dev.meridian.backup.model.VerifyResult;
import dev.meridian.backup.rocks.HostHandOff;
import dev.meridian.backup.rocks.LiveDatabase;
import dev.meridian.backup.runtime.Blocking;
import dev.meridian.backup.runtime.EventLog;
import dev.meridian.backup.server.Server;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Meridian Backup inside a JVM application that owns its RocksDB databases: the one class such a host needs
 * (docs/embedding.md). {@link #start} runs the same engine as the server, in the host's JVM: the repository (its
 * lock, recovery of interrupted work), one actor per database with its queue, the scheduler, retention,
 * verification and the metrics; no HTTP unless the host asks ({@link #startGateways}).
 *
 * <p>Each database the host owns is configured with {@code owner = "application"} (it may have a schedule here),
 * and the host {@linkplain #register registers} its open handle. Meridian never opens such a database and never
 * closes the host's handle; a backup is a RocksDB checkpoint through it, which stops no write for longer than the
 * checkpoint's own flush. An in-place restore, and a migration's rollback, need a {@link HandOff}.
 *
 * <p>Every method blocks its caller until the operation ends (they are for the host's own threads, not for a
 * Pekko dispatcher's) and throws {@link BackupException} with a code and a sentence that says what failed and what
 * to do. Operations on one database run one at a time, in arrival order, with backups the scheduler starts.
 */
public final class Meridian implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Meridian.class);

    private final Server server;
    private final Engine engine;
    private McpToolbox toolbox;

    private Meridian(Server server) {
        this.server = server;
        this.engine = server.engine();
    }

    /**
     * Starts the engine with the configuration file at {@code configFile} (HOCON, the server's format: see
     * conf/application.conf), over the built-in defaults; {@code meridian.embedded} is set to true.
     *
     * @throws BackupException invalid_argument for a bad configuration, unavailable when the repository is locked
     *         by another process
     */
    public static Meridian start(Path configFile) throws Exception {
        return start(Settings.load(Optional.of(configFile)));
    }

    /** Starts the engine with a loaded, resolved configuration (for example {@code Settings.load}'s). */
    public static Meridian start(Config config) throws Exception {
        Config embedded = config.withValue("meridian.embedded", ConfigValueFactory.fromAnyRef(true));
        Settings settings = Settings.from(embedded);
        return new Meridian(Server.start(settings, false, e -> List.of()));
    }

    /**
     * Registers the host's open handle of {@code database} (configured with {@code owner = "application"} at the
     * handle's directory), without a hand-off: backups, scheduled ones included, checkpoint through it; an
     * in-place restore is refused.
     *
     * @param columnFamilies every column family's handle as {@code RocksDB.open} returned them, the default included
     * @throws BackupException not_found (not configured), conflict ({@code owner = meridian}), invalid_argument
     *         (the handle is of another directory, or lacks the default column family)
     */
    public void register(String database, RocksDB db, List<ColumnFamilyHandle> columnFamilies) {
        register(database, db, columnFamilies, null);
    }

    /**
     * As {@link #register(String, RocksDB, List)}, with the hand-off through which Meridian may ask the host to
     * close and reopen the database for an in-place restore or a migration's rollback (null: none). Registering
     * again replaces the handle and the hand-off.
     */
    public void register(String database, RocksDB db, List<ColumnFamilyHandle> columnFamilies, HandOff handOff) {
        String name = engine.database(database);
        LiveDatabase handle = LiveDatabase.attach(name, engine.settings().databases().get(name).path(), db,
                columnFamilies, handOff == null ? null : adapt(handOff));
        await(engine.registerHandle(name, handle), Duration.ofSeconds(30));
    }

    /**
     * Ends Meridian's use of the registered handle of {@code database}: returns once any backup running through it
     * has let go, after which the host may close the handle while Meridian keeps running. Backups (scheduled ones
     * included) are refused until a handle is registered again. Closing a registered handle without this (or
     * {@link #close}) first is a use-after-free in RocksDB's native code.
     */
    public void unregister(String database) {
        await(engine.registerHandle(engine.database(database), null), Duration.ofDays(1));
    }

    private static HostHandOff adapt(HandOff h) {
        return new HostHandOff() {
            @Override
            public void quiesceAndClose() throws Exception {
                h.quiesceAndClose();
            }

            @Override
            public Reopened reopen(Path directory) throws Exception {
                HandOff.Reopened r = h.reopen(directory);
                return r == null ? null : new Reopened(r.db(), r.columnFamilies());
            }

            @Override
            public void restoreEnded(boolean restored, String message) {
                h.restoreEnded(restored, message);
            }
        };
    }

    /**
     * Takes a backup of {@code database} through its registered handle and waits until it is published.
     *
     * @param type        manual, scheduled, pre_migration or incremental (the retention class it falls under)
     * @param description free text kept in the manifest (may be empty)
     */
    public BackupSummary backup(String database, BackupType type, String description) {
        return backup(database, new BackupRequest(Engine.newRequestId(), type, description, List.of(), null, false));
    }

    private BackupSummary backup(String database, BackupRequest request) {
        return await(engine.createBackup(database, request, null), Duration.ofDays(1));
    }

    /** The backups of {@code database}, oldest first, with their verification and migration records. */
    public List<BackupSummary> list(String database) {
        return engine.backupsOf(database);
    }

    /** Re-reads every object of a backup and checks its Blake3 hash; the outcome is recorded with the backup. */
    public VerifyResult verify(BackupId backupId) {
        return await(engine.verify(backupId, Engine.newRequestId(), null), Duration.ofDays(1));
    }

    /**
     * Restores a backup into {@code directory}, which must not exist yet (or be empty) and lie under a configured
     * {@code meridian.restore-roots} entry. The live database is not touched.
     */
    public RestoreResult restoreTo(BackupId backupId, Path directory) {
        return await(engine.restore(backupId, directory.toAbsolutePath().toString(), false, Engine.newRequestId(), null),
                Duration.ofDays(1));
    }

    /**
     * Restores a backup over its own database through the registered {@link HandOff}, after a safety backup of the
     * live state. Refused (conflict, nothing changed) when no hand-off is registered.
     */
    public RestoreResult restoreInPlace(BackupId backupId) {
        return await(engine.restore(backupId, null, true, Engine.newRequestId(), null), Duration.ofDays(1));
    }

    /**
     * Runs a schema migration with a pre-migration backup and automatic rollback:
     * <ol>
     *   <li>a {@code pre_migration} backup of {@code database} recording {@code schemaVersion} (the version being
     *       migrated to);</li>
     *   <li>{@code migration} with the live handle, then {@code check} (may be null);</li>
     *   <li>on an exception or a failed check, an in-place restore of that backup through the {@link HandOff}
     *       (with a safety backup that keeps the failed state for inspection).</li>
     * </ol>
     * The outcome ({@code applied}, {@code rolled_back}, {@code rollback_failed}) is recorded beside the
     * pre-migration backup ({@code migration} in list/show), logged (event {@code migration}) and counted
     * ({@code meridian_operation_duration_seconds{operation="migration"}}).
     *
     * @return the record ({@code applied})
     * @throws MigrationFailedException when the migration failed, naming its error and the rollback's outcome
     * @throws BackupException when the pre-migration backup fails (then the migration did not run), or when no
     *         hand-off is registered (conflict; checked before anything runs)
     */
    public MigrationRecord migrate(String database, String schemaVersion, Migration migration, Migration.Check check) {
        String db = engine.database(database);
        Validation.schemaVersion(schemaVersion);
        boolean canRollBack = await(engine.withDatabase(db, LiveDatabase::canBeSwapped), Duration.ofMinutes(5));
        if (!canRollBack) {
            throw new BackupException(ErrorCode.CONFLICT, "migration of database " + db + " was refused before it ran:"
                    + " a rollback would need an in-place restore, and the application registered no hand-off."
                    + " Register the handle with a HandOff (docs/embedding.md), then migrate again");
        }
        Instant started = Instant.now();
        BackupSummary pre = backup(db, new BackupRequest(Engine.newRequestId(), BackupType.PRE_MIGRATION,
                "Before migrating " + db + " to schema version " + schemaVersion, List.of("migration"), schemaVersion, false));
        Throwable[] thrown = new Throwable[1];
        String error = await(engine.withDatabase(db, live -> {
            try {
                migration.apply(live.handle(), live.columnFamilies());
                if (check != null && !check.holds(live.handle(), live.columnFamilies())) {
                    return "the migration's check failed after it ran";
                }
                return "";
            } catch (Exception | Error e) {
                thrown[0] = e;
                return "it threw " + e;
            }
        }), Duration.ofDays(1));
        if (error.isEmpty()) {
            MigrationRecord applied = new MigrationRecord(pre.backupId(), db, schemaVersion, MigrationRecord.APPLIED,
                    null, null, Instant.now());
            finish(applied, started);
            return applied;
        }
        String outcome;
        String rollback;
        try {
            RestoreResult r = restoreInPlace(pre.backupId());
            outcome = MigrationRecord.ROLLED_BACK;
            rollback = "database " + db + " was restored to pre-migration backup " + pre.backupId() + " and reopened"
                    + (r.safetyBackupId() == null ? "" : "; safety backup " + r.safetyBackupId()
                            + " keeps the state the failed migration left, for inspection");
        } catch (BackupException e) {
            outcome = MigrationRecord.ROLLBACK_FAILED;
            rollback = e.getMessage() + ". The database may still hold part of the failed migration. To finish the"
                    + " rollback: once the application can let go of the database, restore backup " + pre.backupId()
                    + " in place (Meridian.restoreInPlace, or REST/CLI restore with the application's hand-off"
                    + " registered); or restore it into a directory (restoreTo), stop the application and put that"
                    + " directory in place of " + engine.settings().databases().get(db).path();
        }
        MigrationRecord failed = new MigrationRecord(pre.backupId(), db, schemaVersion, outcome, error, rollback, Instant.now());
        finish(failed, started);
        throw new MigrationFailedException(failed, thrown[0]);
    }

    private void finish(MigrationRecord r, Instant started) {
        try {
            engine.context().repository().recordMigration(r);
        } catch (Exception e) {
            log.error("The outcome of migrating {} ({}) could not be recorded beside backup {}: {}", r.database(),
                    r.outcome(), r.backupId(), e.getMessage());
        }
        Duration took = Duration.between(started, Instant.now());
        engine.context().metrics().operation("migration", r.database(), BackupType.PRE_MIGRATION.wireName(), r.outcome(), took);
        EventLog e = EventLog.event(log, "migration").database(r.database()).backup(r.backupId())
                .field("schema_version_to", r.schemaVersionTo()).field("outcome", r.outcome()).durationMs(took.toMillis());
        String text = "Migration of " + r.database() + " to schema version " + r.schemaVersionTo() + ": " + r.outcome()
                + (r.error() == null ? "" : "; it failed: " + r.error() + "; rollback: " + r.rollback());
        if (MigrationRecord.APPLIED.equals(r.outcome())) {
            e.info(text);
        } else {
            e.warn(text);
        }
    }

    /**
     * Serves the REST API and MCP over HTTP on {@code host:port} (port 0: any free port), with the same routes,
     * bearer tokens and Host/Origin policy as {@code bin/meridian-backup serve}.
     *
     * @return the bound address
     */
    public InetSocketAddress startGateways(String host, int port) throws Exception {
        return server.startGateways(host, port);
    }

    /**
     * Meridian's MCP tools (those of {@code meridian.mcp.tools}) for the host's own MCP server: definitions as
     * tools/list gives them, calls as tools/call runs them, without bearer tokens. {@link McpSdkTools#of} adapts them
     * to the official MCP Java SDK. One toolbox per instance, so a confirmation token from one call confirms a later
     * one. (This class names no SDK type, so a host without the SDK can load and introspect it.)
     */
    public synchronized McpToolbox mcpToolbox() {
        if (toolbox == null) {
            toolbox = new McpToolbox(engine);
        }
        return toolbox;
    }

    /** The engine facade, for what this class does not cover (stats, retention, delete, cancel). */
    public Engine engine() {
        return engine;
    }

    /**
     * Stops the engine: lets running operations finish, unbinds the gateways, releases the repository. The host's
     * handles stay open (close them afterwards, not before).
     */
    @Override
    public void close() {
        server.close();
    }

    private static <T> T await(CompletionStage<T> stage, Duration timeout) {
        try {
            return stage.toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackupException(ErrorCode.UNAVAILABLE, "interrupted while waiting for Meridian; the operation may"
                    + " still finish: check the backup list");
        } catch (ExecutionException e) {
            throw BackupException.from(Blocking.cause(e), "request failed");
        } catch (TimeoutException e) {
            throw new BackupException(ErrorCode.TIMEOUT, "Meridian did not answer within " + timeout
                    + "; the operation may still finish: check the backup list and the log");
        }
    }
}
