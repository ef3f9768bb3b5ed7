package dev.meridian.backup.restore;

import dev.meridian.backup.config.Settings;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.model.Validation;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Checks a restore target (invariant 7): it is either a configured database (by path), or a new or empty
 * directory strictly under a configured restore root, after resolving symlinks, and never inside the repository
 * or a database.
 */
public final class RestoreTargets {
    private RestoreTargets() {}

    /** Where a restore goes: into a configured database (live swap), or into a fresh directory. */
    public sealed interface Target {}

    public record IntoDatabase(String database) implements Target {}

    public record IntoDirectory(Path directory) implements Target {}

    public static Target resolve(Settings settings, String backupDatabase, String raw) {
        if (raw == null || raw.isEmpty()) {
            return new IntoDatabase(backupDatabase);
        }
        if (raw.indexOf('\0') >= 0) {
            throw BackupException.invalid("restore target contains a NUL character; give a plain absolute path");
        }
        Path p;
        try {
            p = Path.of(raw);
        } catch (InvalidPathException e) {
            throw BackupException.invalid("restore target '" + Validation.printable(raw) + "' is not a valid path: " + e.getReason());
        }
        if (!p.isAbsolute()) {
            throw BackupException.invalid("restore target '" + Validation.printable(raw)
                    + "' is relative; give an absolute path under a restore root: " + settings.restoreRoots());
        }
        Path target = p.normalize();
        for (Settings.DatabaseSettings db : settings.databases().values()) {
            if (db.path().equals(target)) {
                return new IntoDatabase(db.name());
            }
        }
        Path real = realPath(target);
        for (Settings.DatabaseSettings db : settings.databases().values()) {
            if (realPath(db.path()).equals(real)) {
                return new IntoDatabase(db.name()); // the database by its real path (its configured one is a symlink)
            }
        }
        Path root = null;
        for (Path r : settings.restoreRoots()) {
            Path realRoot = realPath(r);
            if (real.startsWith(realRoot) && !real.equals(realRoot)) {
                root = r;
                break;
            }
        }
        if (root == null) {
            throw new BackupException(ErrorCode.FORBIDDEN, "restore target " + target
                    + " is not allowed: it must be a configured database or lie under a restore root "
                    + settings.restoreRoots() + " (meridian.restore-roots)");
        }
        if (real.startsWith(realPath(settings.repositoryPath()))) {
            throw new BackupException(ErrorCode.FORBIDDEN, "restore target " + target + " is inside the repository; choose another directory");
        }
        for (Settings.DatabaseSettings db : settings.databases().values()) {
            Path dbReal = realPath(db.path());
            if (real.startsWith(dbReal) || dbReal.startsWith(real)) {
                throw new BackupException(ErrorCode.FORBIDDEN, "restore target " + target + " overlaps database '"
                        + db.name() + "' at " + db.path() + "; restore into the database by its path, or choose another directory");
            }
        }
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS) || !isEmptyDirectory(target)) {
                throw new BackupException(ErrorCode.CONFLICT, "restore target " + target
                        + " already exists and is not an empty directory; choose a new path or empty it first");
            }
        }
        return new IntoDirectory(target);
    }

    /** The real path of the deepest existing ancestor, with the rest appended: symlinks cannot lead outside. */
    static Path realPath(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        Path existing = abs;
        while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return abs;
        }
        try {
            return existing.toRealPath().resolve(existing.relativize(abs)).normalize();
        } catch (IOException e) {
            return abs;
        }
    }

    private static boolean isEmptyDirectory(Path dir) {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            return !s.iterator().hasNext();
        } catch (IOException e) {
            return false;
        }
    }
}
