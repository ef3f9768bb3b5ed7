package dev.meridian.backup.cli;

import dev.meridian.backup.repository.RepositoryLock;
import dev.meridian.backup.store.s3.S3BlobStore;
import dev.meridian.backup.store.s3.S3Location;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Breaks the stale lock of an S3 repository: the lock object of a server that died without removing it. A live lock
 * (its holder still refreshes it) is refused unless {@code --force}. A local repository's lock is an OS lock that its
 * process's exit releases, so there it only reports whether a process holds it.
 */
@Command(name = "unlock", description = "Remove the stale lock of a repository (--repo) left by a server that died.")
final class UnlockCommand extends RepositoryVerb {
    @Option(names = "--force", description = "Remove the lock even if its holder still refreshes it (only when sure it is gone).")
    boolean force;

    @Override
    public Integer call() throws Exception {
        if (!offline()) {
            throw new CliException(CliException.USAGE, "unlock works on a repository directly; pass --repo DIR or --repo s3://bucket/prefix");
        }
        if (!S3Location.isS3Url(repo.repo)) {
            return unlockDirectory(Path.of(repo.repo).toAbsolutePath().normalize());
        }
        Optional<RepositoryLock.Holder> removed;
        try (S3BlobStore store = DirectRepository.openS3(repo)) {
            removed = RepositoryLock.breakStale(store, force, Clock.systemUTC());
        }
        if (client.json) {
            Output.json(out, tree(Map.of("repository", repo.repo, "removed", removed.isPresent(),
                    "holder", removed.<Object>map(h -> h).orElse(Map.of()))));
        } else if (removed.isEmpty()) {
            out.println("repository " + repo.repo + " is not locked; nothing to do");
        } else {
            out.println("removed the lock of repository " + repo.repo + " held by " + removed.get().describe()
                    + " (expired " + removed.get().expires() + ")");
        }
        return 0;
    }

    private int unlockDirectory(Path dir) throws Exception {
        if (!Files.isDirectory(dir)) {
            throw new CliException(CliException.USAGE, "no repository directory at " + dir + "; pass the directory given as meridian.repository.path");
        }
        // Taking the OS lock succeeds only when no process holds it; it is released again at once.
        try (RepositoryLock lock = RepositoryLock.acquire(dir)) {
            out.println("repository " + dir + " is not locked (a local repository's lock is released when its server exits); nothing to do");
        }
        return 0;
    }
}
