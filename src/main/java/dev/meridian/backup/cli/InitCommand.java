package dev.meridian.backup.cli;

import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.repository.Compression;
import dev.meridian.backup.repository.Repository;
import dev.meridian.backup.repository.RepositoryFormat;
import dev.meridian.backup.repository.seal.Encryption;
import dev.meridian.backup.repository.seal.Password;
import dev.meridian.backup.store.s3.S3BlobStore;
import dev.meridian.backup.store.s3.S3Location;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "init", description = {"Create a new, empty repository (the server also creates one at first start).",
        "With --encryption aes-256-gcm it is encrypted: the password (--password-file, or env MERIDIAN_PASSWORD_FILE, "
                + "then MERIDIAN_PASSWORD) goes into its first key slot."})
final class InitCommand implements Callable<Integer> {
    @Option(names = "--repo", paramLabel = "DIR|URL", required = true,
            description = "Where the new repository goes: a directory, or s3://bucket/prefix (the bucket must exist).")
    String repo;

    @picocli.CommandLine.Mixin
    S3Options s3 = new S3Options();

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
        String where = S3Location.isS3Url(repo) ? repo : Path.of(repo).toAbsolutePath().normalize().toString();
        if (S3Location.isS3Url(repo)) {
            try (S3BlobStore store = s3.open(repo, spool())) {
                if (store.exists(RepositoryFormat.KEY)) {
                    throw new BackupException(ErrorCode.CONFLICT, "a repository already exists at " + store.describe()
                            + "; nothing was changed");
                }
            }
        } else if (Files.exists(Path.of(where).resolve(RepositoryFormat.KEY))) {
            throw new BackupException(ErrorCode.CONFLICT, "a repository already exists at " + where + "; nothing was changed");
        }
        try (Repository r = DirectRepository.openWritable(repo, s3, c, mode, Password.Source.of(passwordFile, "--password-file"),
                spool())) {
            System.out.println("created repository " + r.format().repositoryId() + " at " + r.store().describe()
                    + " (encryption " + r.encryption() + r.keySlot().map(k -> ", key slot " + k).orElse("") + ")");
        }
        return 0;
    }

    private static Path spool() {
        return Path.of(System.getProperty("java.io.tmpdir"), "meridian-spool-" + ProcessHandle.current().pid());
    }
}
