package dev.meridian.backup.repository;

import dev.meridian.backup.model.BackupException;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Where one repository's local state lives: {@code <meridian.state-dir>/<repository id>/}, outside the repository
 * (which may be remote), one directory per repository so that two repositories never share state. It holds:
 * <ul>
 *   <li>{@code journal/job-<id>.json}: the {@link JobJournal} (work in flight; needed for crash recovery);</li>
 *   <li>{@code fingerprints/<database>.json}: the {@link FileFingerprints} cache;</li>
 *   <li>{@code catalog.cache} and {@code catalog.pending}: the {@link CatalogCache};</li>
 *   <li>{@code scratch/}: plaintext temporary files of an encrypted or remote repository (deep verification's SSTs),
 *   emptied whenever the repository opens ({@link Repository#scratchDirectory()}).</li>
 * </ul>
 * Everything but the journal is a cache the repository can rebuild.
 *
 * @param root the absolute directory {@code <state-dir>/<repository id>}
 */
public record StateDirectory(Path root) {
    private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    /**
     * The state directory of the repository with {@code repositoryId} (the {@code repository_id} of its
     * {@code config.json}) under {@code stateDir}. Nothing is created.
     *
     * @throws BackupException (invalid_argument) if the id could address a path outside {@code stateDir}
     */
    public static StateDirectory of(Path stateDir, String repositoryId) {
        if (repositoryId == null || !SAFE_ID.matcher(repositoryId).matches() || repositoryId.contains("..")) {
            throw BackupException.invalid("the repository id '" + repositoryId + "' in " + RepositoryFormat.KEY
                    + " is not a safe directory name (letters, digits, '.', '_', '-'); the repository's config.json"
                    + " was edited or damaged: restore it from a copy");
        }
        return new StateDirectory(stateDir.toAbsolutePath().normalize().resolve(repositoryId));
    }

    /** The job journal's directory. */
    public Path journal() {
        return root.resolve("journal");
    }

    /** The fingerprint cache's directory. */
    public Path fingerprints() {
        return root.resolve("fingerprints");
    }

    /** The catalog cache file. */
    public Path catalogCache() {
        return root.resolve("catalog.cache");
    }

    /** The verification records written since the catalog cache was last saved (re-read at the next open). */
    public Path catalogPending() {
        return root.resolve("catalog.pending");
    }

    /** Temporary plaintext files that must not go into the repository itself; swept when the repository opens. */
    public Path scratch() {
        return root.resolve("scratch");
    }
}
