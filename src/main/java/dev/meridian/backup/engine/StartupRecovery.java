package dev.meridian.backup.engine;

import dev.meridian.backup.config.Settings;
import dev.meridian.backup.repository.JobJournal;
import dev.meridian.backup.restore.RestoreSwap;
import dev.meridian.backup.rocks.DatabaseLocation;
import dev.meridian.backup.store.file.DurableFiles;
import dev.meridian.backup.store.file.FileBlobStore;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs before any database opens: finishes or rolls back half-done restore swaps and removes checkpoints and
 * staging directories a crash left behind (from the journal, then by name beside each database's real
 * directory and inside it under {@code .meridian/} as a safety net). Returns one line per thing it did, which is
 * also logged.
 */
public final class StartupRecovery {
    private static final Logger log = LoggerFactory.getLogger(StartupRecovery.class);

    private StartupRecovery() {}

    /**
     * Moves the local state an older version kept inside a file repository into the state directory, before
     * {@link #run} recovers the journal: every journal entry in {@code <repository>/locks/job-*.json} (a server
     * upgraded after a crash still finishes or undoes that work) and every fingerprint file in
     * {@code <repository>/cache/fingerprints/}. Each file is written durably at its new place, then removed from the
     * old one, so a crash midway leaves it in one place or both (the move is repeated at the next start); a
     * file already present at the new place wins and the old one is removed. {@code <repository>/cache/} is removed
     * when empty; {@code locks/} stays (it holds the repository lock). Returns one line per file moved.
     */
    public static List<String> adoptLegacyState(Path repositoryRoot, JobJournal journal, Path fingerprints) throws IOException {
        List<String> done = new ArrayList<>();
        Path oldLocks = repositoryRoot.resolve("locks");
        if (Files.isDirectory(oldLocks, LinkOption.NOFOLLOW_LINKS)) {
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(oldLocks, "job-*.json")) {
                for (Path p : entries) {
                    moveInto(p, journal.directory(), done);
                }
            }
            try (DirectoryStream<Path> parts = Files.newDirectoryStream(oldLocks, ".job-*.json.part")) {
                for (Path p : parts) {
                    Files.deleteIfExists(p); // an unfinished journal write: nothing had started
                }
            }
        }
        Path oldCache = repositoryRoot.resolve("cache");
        Path oldFingerprints = oldCache.resolve("fingerprints");
        if (Files.isDirectory(oldFingerprints, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(fingerprints);
            try (DirectoryStream<Path> files = Files.newDirectoryStream(oldFingerprints)) {
                for (Path p : files) {
                    String name = p.getFileName().toString();
                    if (name.endsWith(".json") && !name.startsWith(".") && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                        moveInto(p, fingerprints, done);
                    } else if (name.startsWith(".") && name.endsWith(".part")) {
                        Files.deleteIfExists(p); // an unfinished cache write
                    }
                }
            }
            removeIfEmpty(oldFingerprints);
            removeIfEmpty(oldCache);
        }
        done.forEach(line -> log.warn("[recovery] {}", line));
        return done;
    }

    private static void moveInto(Path file, Path dir, List<String> done) throws IOException {
        Path target = dir.resolve(file.getFileName().toString());
        if (!Files.exists(target)) {
            DurableFiles.write(target, Files.readAllBytes(file), true);
            done.add("moved " + file + " to the state directory " + dir);
        } else {
            done.add("removed " + file + ": the state directory already holds " + target);
        }
        Files.delete(file);
    }

    private static void removeIfEmpty(Path dir) throws IOException {
        try {
            Files.deleteIfExists(dir);
        } catch (java.nio.file.DirectoryNotEmptyException e) {
            log.warn("[recovery] {} holds files this version does not use; left in place", dir);
        }
    }

    public static List<String> run(Settings settings, JobJournal journal) throws IOException {
        List<String> done = new ArrayList<>();
        for (JobJournal.Entry e : journal.all()) {
            String what;
            if (e.kind().equals("restore")) {
                what = "restore " + e.jobId() + " of backup " + e.backupId() + ": " + RestoreSwap.recover(e);
            } else {
                for (String scratch : e.scratch()) {
                    DurableFiles.deleteTree(Path.of(scratch));
                }
                what = e.kind() + " " + e.jobId() + " of " + e.database() + " was interrupted; removed " + e.scratch();
            }
            journal.delete(e.jobId());
            done.add(what);
        }
        for (Settings.DatabaseSettings db : settings.databases().values()) {
            if (db.owner() == Settings.Owner.APPLICATION) {
                continue; // Meridian writes nothing beside or inside a database its application owns
            }
            DatabaseLocation where;
            try {
                where = DatabaseLocation.of(db.path());
            } catch (IOException e) {
                log.warn("[recovery] cannot resolve the path of database {} ({}): {}", db.name(), db.path(), e.getMessage());
                continue;
            }
            // Scratch beside the real directory (this version), and beside the configured path (a symlink, older ones).
            sweepBeside(db.name(), where.real(), done);
            if (!where.real().equals(where.configured().toAbsolutePath().normalize())) {
                sweepBeside(db.name(), where.configured().toAbsolutePath().normalize(), done);
            }
            Path inside = where.real().resolve(DatabaseLocation.SCRATCH);
            if (Files.isDirectory(inside, LinkOption.NOFOLLOW_LINKS)) {
                try (DirectoryStream<Path> left = Files.newDirectoryStream(inside)) {
                    for (Path p : left) {
                        DatabaseLocation.removeScratch(p);
                        done.add("removed leftover " + p);
                    }
                }
                try {
                    Files.deleteIfExists(inside); // the database directory looks as it did before any backup
                } catch (java.nio.file.DirectoryNotEmptyException e) {
                    log.warn("[recovery] {} is not empty after sweeping it; left in place", inside);
                }
            }
        }
        done.forEach(line -> log.warn("[recovery] {}", line));
        return done;
    }

    /** Removes {@code .<name>.meridian-*} beside a database directory; puts an orphaned old copy back if it is missing. */
    private static void sweepBeside(String database, Path live, List<String> done) throws IOException {
        Path parent = live.getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            return;
        }
        String prefix = "." + live.getFileName() + ".meridian-";
        try (DirectoryStream<Path> siblings = Files.newDirectoryStream(parent, p -> p.getFileName().toString().startsWith(prefix))) {
            for (Path p : siblings) {
                if (p.getFileName().toString().startsWith(prefix + "old-") && !Files.exists(live, LinkOption.NOFOLLOW_LINKS)) {
                    // Never delete the only copy of a database: a journal-less old dir with no live one is put back.
                    DurableFiles.rename(p, live);
                    done.add("database " + database + " was missing; moved " + p + " back into place");
                    continue;
                }
                DurableFiles.deleteTree(p);
                done.add("removed leftover " + p);
            }
        }
    }
}
