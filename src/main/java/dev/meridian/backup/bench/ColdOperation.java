package dev.meridian.backup.bench;

import dev.meridian.backup.engine.Engine;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupRequest;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.rocks.LiveDatabase;
import dev.meridian.backup.runtime.Blocking;
import dev.meridian.backup.server.Server;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.rocksdb.BackupEngine;
import org.rocksdb.BackupEngineOptions;
import org.rocksdb.Env;
import org.rocksdb.RestoreOptions;
import org.rocksdb.RocksDB;

/**
 * One operation of {@code bench --cold}, in a JVM started for it: the contender starts (Meridian: the engine over
 * an existing or new repository; BackupEngine: its backup directory and the database), then the operation runs as
 * the first of its kind in this process. Only the operation is timed, from just before it starts to its end, so
 * both contenders pay JVM start and their own startup untimed and alike; what differs is how warm the code is.
 *
 * <p>Arguments: {@code meridian|backupengine full|incremental|restore DB BACKUPS TARGET COMPRESSION [BACKUP_ID]}.
 * Prints one line {@code cold-result ms=N backup=ID} on stdout; anything else is log.
 */
public final class ColdOperation {
    static final String RESULT = "cold-result ";

    private ColdOperation() {}

    public static void main(String[] args) throws Exception {
        String contender = args[0];
        String op = args[1];
        Path db = Path.of(args[2]);
        Path backups = Path.of(args[3]);
        Path target = Path.of(args[4]);
        String compression = args[5];
        String backupId = args.length > 6 ? args[6] : "";
        String[] result = contender.equals("meridian") ? meridian(op, db, backups, target, compression, backupId)
                : backupEngine(op, db, backups, target);
        System.out.println(RESULT + "ms=" + result[0] + " backup=" + result[1]);
        System.out.flush();
        // The engine's threads would keep a JVM whose work is done alive for its shutdown timeouts.
        System.exit(0);
    }

    private static String[] meridian(String op, Path db, Path repository, Path target, String compression, String backupId)
            throws Exception {
        Files.createDirectories(target.getParent());
        try (Server server = Server.start(MeridianContender.settings(db, repository, target.getParent(), compression, 0), false,
                e -> List.of())) {
            Engine engine = server.engine();
            long start = System.nanoTime();
            String id = backupId;
            if (op.equals("restore")) {
                await(engine.restore(BackupId.parse(backupId), target.toString(), false, Engine.newRequestId(), null));
            } else {
                BackupSummary b = await(engine.createBackup(MeridianContender.DATABASE, new BackupRequest(Engine.newRequestId(),
                        BackupType.MANUAL, "cold benchmark", List.of(), null, false), null));
                id = b.backupId().value();
            }
            return new String[] {Long.toString((System.nanoTime() - start) / 1_000_000), id};
        }
    }

    private static String[] backupEngine(String op, Path db, Path backups, Path target) throws Exception {
        RocksDB.loadLibrary();
        Files.createDirectories(backups);
        Files.createDirectories(target.getParent());
        try (BackupEngineOptions options = new BackupEngineOptions(backups.toString()).setShareTableFiles(true).setSync(true);
                BackupEngine engine = BackupEngine.open(Env.getDefault(), options)) {
            if (op.equals("restore")) {
                try (RestoreOptions restoreOptions = new RestoreOptions(false)) {
                    long start = System.nanoTime();
                    engine.restoreDbFromLatestBackup(target.toString(), target.toString(), restoreOptions);
                    return new String[] {Long.toString((System.nanoTime() - start) / 1_000_000), "-"};
                }
            }
            try (LiveDatabase live = LiveDatabase.open("bench", db, false)) {
                long start = System.nanoTime();
                engine.createNewBackup(live.handle(), true);
                return new String[] {Long.toString((System.nanoTime() - start) / 1_000_000), "-"};
            }
        }
    }

    private static <T> T await(CompletionStage<T> stage) throws Exception {
        try {
            return stage.toCompletableFuture().get();
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = Blocking.cause(e);
            throw cause instanceof Exception ex ? ex : e;
        }
    }
}
