package dev.meridian.backup.cli;

import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.repository.BackupCopy;
import dev.meridian.backup.repository.Compression;
import dev.meridian.backup.repository.IoThrottle;
import dev.meridian.backup.repository.Repository;
import dev.meridian.backup.repository.seal.Encryption;
import dev.meridian.backup.repository.seal.Password;
import dev.meridian.backup.store.s3.S3BlobStore;
import dev.meridian.backup.store.s3.S3Location;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code copy --from REPO --to REPO}: backups from one repository into another, with no server. The source is read
 * only (no lock); the destination is opened writable with its lock, and created when absent. The work is
 * {@link BackupCopy}'s; this class parses, opens and prints.
 */
@Command(name = "copy", description = {"Copy backups (all, --database's, or the given ids) from one repository to another,"
        + " transferring only the objects the destination lacks and re-sealing them when the two are encrypted differently.",
        "The destination is created (plaintext, or --to-encryption) when absent; a backup it already has is skipped.",
        "Passwords: the source's from --from-password-file (else env MERIDIAN_PASSWORD_FILE, then MERIDIAN_PASSWORD), the"
                + " destination's from --to-password-file (else env MERIDIAN_TO_PASSWORD_FILE, then MERIDIAN_TO_PASSWORD)."})
final class CopyCommand implements Callable<Integer> {
    static final String TO_FILE_VARIABLE = "MERIDIAN_TO_PASSWORD_FILE";
    static final String TO_VARIABLE = "MERIDIAN_TO_PASSWORD";

    @Option(names = "--from", paramLabel = "DIR|URL", required = true, description = "The source repository (a directory or s3://bucket/prefix).")
    String from;

    @Option(names = "--to", paramLabel = "DIR|URL", required = true, description = "The destination repository (a directory or s3://bucket/prefix).")
    String to;

    @Option(names = "--database", paramLabel = "DB", description = "Copy only this database's backups.")
    String database;

    @Parameters(paramLabel = "BACKUP_ID", arity = "0..*", description = "Copy only these backups.")
    List<String> ids = new ArrayList<>();

    @Option(names = "--from-password-file", paramLabel = "FILE", description = "The encrypted source's password file.")
    Path fromPasswordFile;

    @Option(names = "--to-password-file", paramLabel = "FILE", description = "The encrypted destination's password file.")
    Path toPasswordFile;

    @Option(names = "--to-encryption", paramLabel = "MODE", description = "When the destination is created: none (default)"
            + " or aes-256-gcm; an existing destination must already have this mode.")
    String toEncryption;

    @Option(names = "--compression", paramLabel = "MODE", defaultValue = "auto",
            description = "Compression of the objects written to the destination (default ${DEFAULT-VALUE}).")
    String compression;

    @picocli.CommandLine.Mixin
    S3Options s3 = new S3Options();

    @Option(names = "--json", description = "Print machine-readable JSON on stdout.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        List<BackupId> wanted = new ArrayList<>();
        for (String id : ids) {
            wanted.add(BackupId.parse(id));
        }
        Compression c = Compression.parse(compression);
        Encryption toMode = toEncryption == null ? null : Encryption.parse(toEncryption);
        if (where(from).equals(where(to))) {
            throw new CliException(CliException.USAGE, "--from and --to name the same repository (" + where(from)
                    + "); copy to a different one");
        }
        Path scratch = Files.createTempDirectory("meridian-copy-");
        try (Repository source = side("source", () -> openSource())) {
            List<BackupId> selected = BackupCopy.select(source, database, wanted);
            try (Repository destination = side("destination", () -> openDestination(c, toMode, scratch))) {
                Output.Meter meter = new Output.Meter("copy");
                BackupCopy.Result r = BackupCopy.run(source, destination, selected, scratch,
                        (done, total, backup) -> meter.update(done, total, backup.value()));
                meter.done();
                print(r);
            }
        } finally {
            deleteTree(scratch);
        }
        return 0;
    }

    private void print(BackupCopy.Result r) {
        if (json) {
            Output.json(System.out, Verb.tree(r));
            return;
        }
        for (BackupCopy.Copied b : r.backups()) {
            System.out.println(b.skipped() ? "skipped " + b.backupId() + " (" + b.database() + "): already in the destination"
                    : "copied  " + b.backupId() + " (" + b.database() + "): " + b.objectsTransferred() + " objects transferred ("
                            + Output.size(b.bytesTransferred()) + "), " + b.objectsReused() + " reused");
        }
        System.out.println(Output.count(r.copied(), "backup") + " copied, " + r.skipped() + " skipped; "
                + Output.count(r.objectsTransferred(), "object") + " transferred (" + Output.size(r.bytesTransferred()) + ", " + Output.size(r.storedBytes())
                + " stored), " + r.objectsReused() + " reused");
    }

    private interface Opening {
        Repository open() throws Exception;
    }

    /** Opens one side, saying which side a refusal is about (both may be encrypted, and only one may be locked). */
    private static Repository side(String which, Opening opening) throws Exception {
        try {
            return opening.open();
        } catch (BackupException e) {
            String advice = switch (e.code()) {
                case UNAUTHORIZED -> "; for copy, the source's password comes from --from-password-file (else env "
                        + Password.FILE_VARIABLE + ", then " + Password.VARIABLE + "), the destination's from"
                        + " --to-password-file (else env " + TO_FILE_VARIABLE + ", then " + TO_VARIABLE + ")";
                case CONFLICT -> which.equals("destination") && (e.getMessage().contains("in use") || e.getMessage().contains("locked"))
                        ? "; a copy needs the destination's lock: stop the server that holds it, run the copy, then start the"
                                + " server again (or run the copy later)" : "";
                default -> "";
            };
            String message = e.getMessage().replace("; set meridian.repository.path to a directory the service can create"
                    + " and write, then start again", "; pass --to a directory this user can create and write");
            throw new BackupException(e.code(), "the " + which + ": " + message + advice, e);
        }
    }

    private Repository openSource() throws Exception {
        Password.Source password = Password.Source.of(fromPasswordFile, "--from-password-file");
        if (!S3Location.isS3Url(from)) {
            return Repository.openFileReadOnly(Path.of(from).toAbsolutePath().normalize(), password);
        }
        S3BlobStore store = s3.open(from, Path.of(System.getProperty("java.io.tmpdir"), "meridian-spool-" + ProcessHandle.current().pid()));
        try {
            return Repository.open(store, Compression.parse("off"), IoThrottle.UNLIMITED, false, null, null, null, password::read);
        } catch (Exception | Error e) {
            store.close();
            throw e;
        }
    }

    private Repository openDestination(Compression c, Encryption mode, Path scratch) throws Exception {
        Map<String, String> env = new HashMap<>();
        putIfSet(env, Password.FILE_VARIABLE, System.getenv(TO_FILE_VARIABLE));
        putIfSet(env, Password.VARIABLE, System.getenv(TO_VARIABLE));
        return DirectRepository.openWritable(to, s3, c, mode, new Password.Source(toPasswordFile, "--to-password-file", env,
                TO_FILE_VARIABLE + " or " + TO_VARIABLE),
                scratch.resolve("s3-spool"));
    }

    private static void putIfSet(Map<String, String> env, String key, String value) {
        if (value != null && !value.isEmpty()) {
            env.put(key, value);
        }
    }

    /** A repository's identity for the same-repository check: its S3 URL, or its absolute directory. */
    private static String where(String repo) {
        if (S3Location.isS3Url(repo)) {
            return repo.endsWith("/") ? repo.substring(0, repo.length() - 1) : repo;
        }
        Path p = Path.of(repo).toAbsolutePath().normalize();
        try {
            return Files.exists(p) ? p.toRealPath().toString() : p.toString();
        } catch (IOException e) {
            return p.toString();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
