package dev.meridian.backup.bench;

import dev.meridian.backup.engine.Engine;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupRequest;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.rocks.LiveDatabase;
import dev.meridian.backup.server.Server;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
 * <p>Then, for the incremental backup and the restore, the same operation runs once more in this process and is
 * timed too ("next"): 1% other new data written through the open database and backed up again, or the same backup
 * restored into a second new directory. The next run has warmer code and nearly the machine of the first (the same
 * moment and dirty pages; the next restore reads objects the first left in the page cache, the next incremental's
 * data comes from the memtable, not from a reopened log), so the cold/next ratio is mostly the warm-up; the main benchmark's
 * warm figures, taken in a long-running JVM, also include what the machine does differently for a process that has
 * just started. A full backup has no next: a second one of the same database in the same repository stores
 * nothing new.
 *
 * <p>Just before each timed operation, {@code RECYCLE_BYTES} of memory are freed ({@link RecycledMemory}), as before
 * each warm one.
 *
 * <p>Arguments: {@code meridian|backupengine full|incremental|restore DB BACKUPS TARGET COMPRESSION CHANGE_BYTES
 * BACKUP_ID RECYCLE_BYTES} (BACKUP_ID empty but for restore). Prints one line {@code cold-result ms=N backup=ID
 * next=M} on stdout: ID is the last backup made (the next one, after an incremental; what the restore's process
 * restores, as BackupEngine restores its latest), {@code next=-} for a full backup. Anything else is log.
 */
public final class ColdOperation {
    static final String RESULT = "cold-result ";
    /** The seed of the next incremental's new data (the warm rounds' {@link Operation#NEXT_INCREMENTAL} too). */
    static final long NEXT_SEED = 7_919;
    /**
     * Memory freed just before each timed operation, and where its scratch file goes: the benchmark's work directory,
     * beside the database (set once, from the arguments).
     */
    private static long recycleBytes;
    private static Path scratch;

    private ColdOperation() {}

    public static void main(String[] args) throws Exception {
        String contender = args[0];
        String op = args[1];
        Path db = Path.of(args[2]);
        Path backups = Path.of(args[3]);
        Path target = Path.of(args[4]);
        String compression = args[5];
        long change = Long.parseLong(args[6]);
        String backupId = args[7];
        recycleBytes = Long.parseLong(args[8]);
        scratch = db.getParent();
        String[] result = contender.equals("meridian") ? meridian(op, db, backups, target, compression, change, backupId)
                : backupEngine(op, db, backups, target, change);
        System.out.println(RESULT + "ms=" + result[0] + " backup=" + result[1] + " next=" + result[2]);
        System.out.flush();
        // The engine's threads would keep a JVM whose work is done alive for its shutdown timeouts.
        System.exit(0);
    }

    /** Where the next restore goes: beside the first one's target, in the same restore root. */
    static Path nextTarget(Path target) {
        return target.resolveSibling(target.getFileName() + "-next");
    }

    private static String[] meridian(String op, Path db, Path repository, Path target, String compression, long change,
                                     String backupId) throws Exception {
        Files.createDirectories(target.getParent());
        try (Server server = Server.start(MeridianContender.settings(db, repository, target.getParent(), compression, 0), false,
                e -> List.of())) {
            Engine engine = server.engine();
            if (op.equals("restore")) {
                BackupId id = BackupId.parse(backupId);
                long first = timed(() -> MeridianContender.await(engine.restore(id, target.toString(), false, Engine.newRequestId(), null)));
                long next = timed(() -> MeridianContender.await(engine.restore(id, nextTarget(target).toString(), false, Engine.newRequestId(), null)));
                return new String[] {Long.toString(first), backupId, Long.toString(next)};
            }
            String[] id = new String[1];
            long first = timed(() -> id[0] = backup(engine));
            if (op.equals("full")) {
                return new String[] {Long.toString(first), id[0], "-"};
            }
            MeridianContender.await(engine.withDatabase(MeridianContender.DATABASE, live -> {
                BenchData.writeChange(live.handle(), change, NEXT_SEED);
                return null;
            }));
            long next = timed(() -> id[0] = backup(engine));
            return new String[] {Long.toString(first), id[0], Long.toString(next)};
        }
    }

    private static String backup(Engine engine) throws Exception {
        BackupSummary b = MeridianContender.await(engine.createBackup(MeridianContender.DATABASE, new BackupRequest(Engine.newRequestId(),
                BackupType.MANUAL, "cold benchmark", List.of(), null, false), null));
        return b.backupId().value();
    }

    private static String[] backupEngine(String op, Path db, Path backups, Path target, long change) throws Exception {
        RocksDB.loadLibrary();
        Files.createDirectories(backups);
        Files.createDirectories(target.getParent());
        try (BackupEngineOptions options = new BackupEngineOptions(backups.toString()).setShareTableFiles(true).setSync(true);
                BackupEngine engine = BackupEngine.open(Env.getDefault(), options)) {
            if (op.equals("restore")) {
                try (RestoreOptions restoreOptions = new RestoreOptions(false)) {
                    long first = timed(() -> engine.restoreDbFromLatestBackup(target.toString(), target.toString(), restoreOptions));
                    Path again = nextTarget(target);
                    long next = timed(() -> engine.restoreDbFromLatestBackup(again.toString(), again.toString(), restoreOptions));
                    return new String[] {Long.toString(first), "-", Long.toString(next)};
                }
            }
            try (LiveDatabase live = LiveDatabase.open("bench", db, false)) {
                long first = timed(() -> engine.createNewBackup(live.handle(), true));
                if (op.equals("full")) {
                    return new String[] {Long.toString(first), "-", "-"};
                }
                BenchData.writeChange(live.handle(), change, NEXT_SEED);
                long next = timed(() -> engine.createNewBackup(live.handle(), true));
                return new String[] {Long.toString(first), "-", Long.toString(next)};
            }
        }
    }

    /** Something timed that may throw. */
    private interface Step {
        void run() throws Exception;
    }

    /** Frees {@code recycleBytes} of memory, then runs {@code step} and returns how long it took, in whole milliseconds. */
    private static long timed(Step step) throws Exception {
        RecycledMemory.recycle(scratch, recycleBytes);
        long start = System.nanoTime();
        step.run();
        return (System.nanoTime() - start) / 1_000_000;
    }
}
