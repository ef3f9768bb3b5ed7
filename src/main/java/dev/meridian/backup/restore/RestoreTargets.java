package dev.meridian.backup.restore;

import dev.meridian.backup.config.Settings;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.model.Validation;
import dev.meridian.backup.store.file.ResolvedPath;
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
        ResolvedPath resolved = resolveTarget(target);
        Path real = resolved.real();
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
            throw outsideRoots(settings, target, resolved);
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

    /**
     * The path with every symlink along it resolved, dangling ones included ({@link ResolvedPath}): symlinks cannot
     * lead outside, not even through a target that does not exist yet. The path as given when it cannot be resolved.
     */
    static Path realPath(Path p) {
        try {
            return ResolvedPath.of(p).real();
        } catch (IOException e) {
            return p.toAbsolutePath().normalize();
        }
    }

    private static ResolvedPath resolveTarget(Path target) {
        try {
            return ResolvedPath.of(target);
        } catch (IOException e) {
            throw BackupException.invalid("restore target " + target + " cannot be resolved: " + e.getMessage());
        }
    }

    /**
     * The refusal of a target outside every restore root: where it resolves to and through which symlinks when that
     * differs from the path given, and each allowed root (with its own real path when that differs).
     */
    private static BackupException outsideRoots(Settings settings, Path target, ResolvedPath resolved) {
        java.util.List<String> roots = new java.util.ArrayList<>();
        for (Path r : settings.restoreRoots()) {
            Path realRoot = realPath(r);
            roots.add(realRoot.equals(r.toAbsolutePath().normalize()) ? r.toString() : r + " (resolves to " + realRoot + ")");
        }
        String allowed = roots.isEmpty() ? "none is configured" : String.join(", ", roots);
        if (resolved.real().equals(target)) {
            return new BackupException(ErrorCode.FORBIDDEN, "restore target " + target + " is not allowed: it must be a"
                    + " configured database or lie under a restore root (meridian.restore-roots: " + allowed + "); choose"
                    + " a directory under one of them");
        }
        return new BackupException(ErrorCode.FORBIDDEN, "restore target " + target + " is not allowed: it resolves to "
                + resolved.real() + (resolved.links().isEmpty() ? "" : " " + resolved.through()) + ", which is not under"
                + " a restore root (meridian.restore-roots: " + allowed + ") nor a configured database. Choose a directory"
                + " under a root that no symlink leads out of, or add a root that holds " + resolved.real()
                + " to meridian.restore-roots");
    }

    private static boolean isEmptyDirectory(Path dir) {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            return !s.iterator().hasNext();
        } catch (IOException e) {
            return false;
        }
    }
}
