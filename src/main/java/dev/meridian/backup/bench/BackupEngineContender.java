package dev.meridian.backup.bench;

import dev.meridian.backup.rocks.LiveDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import org.rocksdb.BackupEngine;
import org.rocksdb.BackupEngineOptions;
import org.rocksdb.Env;
import org.rocksdb.RestoreOptions;

/**
 * RocksDB's own BackupEngine, as a user of rocksdbjni would set it up: shared table files (so a second backup
 * copies only new SSTs), sync on, everything else default (one background copy thread, checksums on). The database
 * is opened exactly as Meridian opens it ({@link LiveDatabase}), so both contenders write the same new SST.
 * Its Java API has no verifyBackup, so it has no verify row.
 */
final class BackupEngineContender implements Contender {
    @Override
    public String name() {
        return "BackupEngine";
    }

    @Override
    public void run(Plan plan, Path work, Round round) throws Exception {
        Path db = work.resolve("backupengine-db");
        Path backups = work.resolve("backupengine-backups");
        Path restored = work.resolve("backupengine-restore");
        try {
            BenchData.copyDatabase(plan.source(), db);
            // rocksdbjni refuses a backup directory that does not exist yet.
            Files.createDirectories(backups);
            try (BackupEngineOptions options = new BackupEngineOptions(backups.toString()).setShareTableFiles(true).setSync(true)) {
                if (plan.rateLimit() > 0) {
                    options.setBackupRateLimit(plan.rateLimit()).setRestoreRateLimit(plan.rateLimit());
                }
                try (BackupEngine engine = BackupEngine.open(Env.getDefault(), options)) {
                    LiveDatabase live = LiveDatabase.open("bench", db, false);
                    try {
                        LiveDatabase full = live;
                        round.time(Operation.FULL_BACKUP, () -> {
                            engine.createNewBackup(full.handle(), true);
                            return null;
                        });
                        round.bytes.put(Operation.FULL_BACKUP, plan.sourceBytes());
                        round.repositoryBytes = BenchData.sizeOf(backups);
                        if (plan.has(Operation.INCREMENTAL)) {
                            if (plan.reopenBeforeIncremental()) {
                                live.close();
                                try (LiveDatabase writer = LiveDatabase.open("bench", db, false)) {
                                    BenchData.writeChange(writer.handle(), plan.changeBytes(), plan.changeSeed());
                                }
                                live = LiveDatabase.open("bench", db, false);
                            } else {
                                BenchData.writeChange(live.handle(), plan.changeBytes(), plan.changeSeed());
                            }
                            LiveDatabase changed = live;
                            round.time(Operation.INCREMENTAL, () -> {
                                engine.createNewBackup(changed.handle(), true);
                                return null;
                            });
                        }
                        if (plan.has(Operation.NEXT_INCREMENTAL)) {
                            LiveDatabase open = live;
                            BenchData.writeChange(open.handle(), plan.changeBytes(), ColdOperation.NEXT_SEED);
                            round.time(Operation.NEXT_INCREMENTAL, () -> {
                                engine.createNewBackup(open.handle(), true);
                                return null;
                            });
                        }
                    } finally {
                        live.close();
                    }
                    if (plan.has(Operation.RESTORE)) {
                        try (RestoreOptions restoreOptions = new RestoreOptions(false)) {
                            round.time(Operation.RESTORE, () -> {
                                engine.restoreDbFromLatestBackup(restored.toString(), restored.toString(), restoreOptions);
                                return null;
                            });
                        }
                        // Untimed proof that the restore produced an openable database, as Meridian's restore is checked.
                        LiveDatabase.sequenceNumberOf(restored);
                        round.bytes.put(Operation.RESTORE, BenchData.databaseBytes(restored));
                    }
                }
            }
        } finally {
            BenchData.deleteTrees(db, backups, restored);
        }
    }
}
