package dev.meridian.backup.cli;

import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.repository.Compression;
import dev.meridian.backup.repository.IoThrottle;
import dev.meridian.backup.repository.Repository;
import dev.meridian.backup.repository.RepositoryFormat;
import dev.meridian.backup.repository.seal.Encryption;
import dev.meridian.backup.repository.seal.Password;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "init", description = {"Create a new, empty repository (the server also creates one at first start).",
        "With --encryption aes-256-gcm it is encrypted: the password (--password-file, or env MERIDIAN_PASSWORD_FILE, "
                + "then MERIDIAN_PASSWORD) goes into its first key slot."})
final class InitCommand implements Callable<Integer> {
    @Option(names = "--repo", paramLabel = "DIR", required = true, description = "Directory of the new repository.")
    Path repo;

    @Option(names = "--encryption", paramLabel = "MODE", defaultValue = "none",
            description = "none (default) or aes-256-gcm.")
    String encryption;

    @Option(names = "--compression", paramLabel = "MODE", defaultValue = "auto",
            description = "Compression recorded as the repository's setting at creation (default ${DEFAULT-VALUE}).")
    String compression;

    @Option(names = "--password-file", paramLabel = "FILE", description = "File holding the password of the first key slot.")
    Path passwordFile;

    @Override
    public Integer call() throws Exception {
        Encryption mode = Encryption.parse(encryption);
        Compression c = Compression.parse(compression);
        Path root = repo.toAbsolutePath().normalize();
        if (Files.exists(root.resolve(RepositoryFormat.KEY))) {
            throw new BackupException(ErrorCode.CONFLICT, "a repository already exists at " + root + "; nothing was changed");
        }
        try (Repository r = Repository.openFile(root, c, IoThrottle.UNLIMITED, mode,
                Password.Source.of(passwordFile, "--password-file"))) {
            System.out.println("created repository " + r.format().repositoryId() + " at " + root + " (encryption "
                    + r.encryption() + r.keySlot().map(s -> ", key slot " + s).orElse("") + ")");
        }
        return 0;
    }
}
