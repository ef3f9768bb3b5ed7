package dev.meridian.backup.restore;

import dev.meridian.backup.repository.JobJournal;
import dev.meridian.backup.runtime.CrashPoints;
import dev.meridian.backup.store.file.DurableFiles;
import dev.meridian.backup.store.file.FileBlobStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The directory dance that replaces a database (invariant 4), and its recovery. With live L, staged S and old O:
 * journal "swapping", rename L to O, rename S to L, journal "swapped". Before the first rename L is the old
 * database; after the second it is the new one; between them L is missing, O is the old one and S the complete
 * new one, so recovery rolls forward. S is only ever complete once the journal says "staged", since its files are
 * hash-checked and fsynced before that. L is where the database really lives ({@code rocks.DatabaseLocation}, as the
 * journal records it): through a symlinked path the real directory is swapped and the link is never renamed. A
 * database directory that is a mount point cannot be renamed at all; RestoreJob refuses it before staging.
 */
public final class RestoreSwap {
    public static final String STAGING = "staging";
    public static final String STAGED = "staged";
    public static final String SWAPPING = "swapping";
    public static final String SWAPPED = "swapped";
    public static final String ROLLING_BACK = "rolling-back";

    private RestoreSwap() {}

    public static Path staging(Path target, String id) {
        return target.resolveSibling("." + target.getFileName() + ".meridian-restore-" + id);
    }

    public static Path old(Path live, String id) {
        return live.resolveSibling("." + live.getFileName() + ".meridian-old-" + id);
    }

    public static Path failed(Path live, String id) {
        return live.resolveSibling("." + live.getFileName() + ".meridian-failed-" + id);
    }

    /** Swaps a closed database for the staged one. The caller has closed the database. */
    public static void swap(JobJournal journal, JobJournal.Entry entry) throws IOException {
        Path live = Path.of(entry.live());
        Path staging = Path.of(entry.staging());
        Path old = Path.of(entry.old());
        journal.write(entry.withPhase(SWAPPING));
        CrashPoints.reach("restore.before-swap");
        rename(live, old);
        CrashPoints.reach("restore.after-swap-out");
        rename(staging, live);
        CrashPoints.reach("restore.after-swap-in");
        journal.write(entry.withPhase(SWAPPED));
    }

    /** Puts the old database back after the restored one failed to open. */
    public static void rollBack(JobJournal journal, JobJournal.Entry entry) throws IOException {
        Path live = Path.of(entry.live());
        Path old = Path.of(entry.old());
        journal.write(entry.withPhase(ROLLING_BACK));
        Path failed = failed(live, entry.jobId());
        if (exists(live)) {
            rename(live, failed);
        }
        rename(old, live);
        DurableFiles.deleteTree(failed);
    }

    /** Moves a staged directory to a new target (restore into a directory other than the database). */
    public static void publishDirectory(Path staging, Path target) throws IOException {
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            Files.delete(target); // validated empty before the restore started; fails if something appeared since
        }
        rename(staging, target);
    }

    /**
     * Finishes or undoes whatever a crashed restore left, from its journal entry. Returns a sentence for the log.
     * Afterwards the live path holds a complete database, old or new, and no scratch directory remains.
     */
    public static String recover(JobJournal.Entry e) throws IOException {
        Path staging = e.staging() == null ? null : Path.of(e.staging());
        if (e.live() == null) {
            // A restore into a separate directory: the target only ever appears by one rename, so drop scratch.
            deleteIfPresent(staging);
            return "removed unfinished restore staging " + staging;
        }
        Path live = Path.of(e.live());
        Path old = Path.of(e.old());
        String did;
        switch (e.phase()) {
            case SWAPPING -> {
                if (exists(live) && exists(old)) {
                    did = "restore had swapped in the new database; removed the old one";
                } else if (!exists(live) && exists(old)) {
                    if (staging != null && exists(staging)) {
                        rename(staging, live);
                        did = "restore was mid-swap; rolled forward to the restored database";
                    } else {
                        rename(old, live);
                        did = "restore was mid-swap without a staged copy; rolled back to the previous database";
                    }
                } else if (!exists(live) && staging != null && exists(staging)) {
                    rename(staging, live);
                    did = "restore was mid-swap and the old database is gone; rolled forward to the restored database";
                } else {
                    did = "restore had not started swapping; the database was untouched";
                }
            }
            case SWAPPED -> did = "restore had finished swapping; removed the old database";
            case ROLLING_BACK -> {
                // The restored copy failed to open. While old exists the rollback has not put it back yet, and
                // live (if present) is that failed copy: move it aside first, never keep it over the old one.
                if (exists(old)) {
                    if (exists(live)) {
                        rename(live, failed(live, e.jobId()));
                    }
                    rename(old, live);
                }
                deleteIfPresent(failed(live, e.jobId()));
                did = "restore was rolling back; the previous database is in place";
            }
            default -> did = "restore had not started swapping; the database was untouched";
        }
        if (exists(live)) {
            deleteIfPresent(old);
        }
        deleteIfPresent(staging);
        return did;
    }

    private static boolean exists(Path p) {
        return Files.exists(p, LinkOption.NOFOLLOW_LINKS);
    }

    private static void deleteIfPresent(Path p) throws IOException {
        if (p != null && exists(p)) {
            DurableFiles.deleteTree(p);
        }
    }

    private static void rename(Path from, Path to) throws IOException {
        DurableFiles.rename(from, to);
    }
}
