package dev.meridian.backup.app;

import dev.meridian.backup.config.Settings;
import dev.meridian.backup.repository.JobJournal;
import dev.meridian.backup.restore.RestoreSwap;
import dev.meridian.backup.store.file.FileBlobStore;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs before any database opens: finishes or rolls back half-done restore swaps and removes checkpoints and
 * staging directories a crash left behind (from the journal, then by name beside each database as a safety
 * net). Returns one line per thing it did, which is also logged.
 */
public final class StartupRecovery {
    private static final Logger log = LoggerFactory.getLogger(StartupRecovery.class);

    private StartupRecovery() {}

    public static List<String> run(Settings settings, JobJournal journal) throws IOException {
        List<String> done = new ArrayList<>();
        for (JobJournal.Entry e : journal.all()) {
            String what;
            if (e.kind().equals("restore")) {
                what = "restore " + e.jobId() + " of backup " + e.backupId() + ": " + RestoreSwap.recover(e);
            } else {
                for (String scratch : e.scratch()) {
                    FileBlobStore.deleteTree(Path.of(scratch));
                }
                what = e.kind() + " " + e.jobId() + " of " + e.database() + " was interrupted; removed " + e.scratch();
            }
            journal.delete(e.jobId());
            done.add(what);
        }
        for (Settings.DatabaseSettings db : settings.databases().values()) {
            Path parent = db.path().getParent();
            if (parent == null || !Files.isDirectory(parent)) {
                continue;
            }
            String prefix = "." + db.path().getFileName() + ".meridian-";
            try (DirectoryStream<Path> siblings = Files.newDirectoryStream(parent, p -> p.getFileName().toString().startsWith(prefix))) {
                for (Path p : siblings) {
                    if (p.getFileName().toString().startsWith(prefix + "old-") && !Files.exists(db.path())) {
                        // Never delete the only copy of a database: a journal-less old dir with no live one is put back.
                        Files.move(p, db.path(), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                        done.add("database " + db.name() + " was missing; moved " + p + " back into place");
                        continue;
                    }
                    FileBlobStore.deleteTree(p);
                    done.add("removed leftover " + p);
                }
            }
        }
        done.forEach(line -> log.warn("[recovery] {}", line));
        return done;
    }
}
