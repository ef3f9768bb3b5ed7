package dev.meridian.backup.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.Validation;
import dev.meridian.backup.operation.Arguments;
import dev.meridian.backup.operation.Views;
import dev.meridian.backup.repository.Compression;
import dev.meridian.backup.repository.IoThrottle;
import dev.meridian.backup.repository.Repository;
import dev.meridian.backup.repository.RepositoryFormat;
import dev.meridian.backup.repository.RepositoryLock;
import dev.meridian.backup.repository.seal.Encryption;
import dev.meridian.backup.repository.seal.Password;
import dev.meridian.backup.restore.OfflineRestore;
import dev.meridian.backup.store.BlobStore;
import dev.meridian.backup.store.file.FileBlobStore;
import dev.meridian.backup.store.s3.S3BlobStore;
import dev.meridian.backup.store.s3.S3Location;
import dev.meridian.backup.verify.OfflineVerification;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code --repo} work of the read-only verbs: a repository read directly, with no server. It lives apart from the
 * verb classes so that a verb talking to a server never loads the repository, hashing or RocksDB classes (a client
 * verb must answer in well under a second); only a verb given {@code --repo} touches this class.
 */
final class DirectRepository {
    private DirectRepository() {}

    /** The repository of {@code --repo}, read-only: a directory, or an S3 bucket (no lock taken, nothing written). */
    private static Repository open(RepositoryOptions client) throws Exception {
        if (!S3Location.isS3Url(client.repo)) {
            return Repository.openFileReadOnly(Path.of(client.repo).toAbsolutePath().normalize(), password(client));
        }
        S3BlobStore store = openS3(client);
        try {
            return Repository.open(store, Compression.parse("off"), IoThrottle.UNLIMITED, false, null, null, null,
                    password(client)::read);
        } catch (Exception | Error e) {
            store.close();
            throw e;
        }
    }

    /** {@code --password-file}, else MERIDIAN_PASSWORD_FILE, else MERIDIAN_PASSWORD; read only if the repository is encrypted. */
    private static Password.Source password(RepositoryOptions client) {
        return Password.Source.of(client.passwordFile, "--password-file");
    }

    /**
     * The S3 bucket of {@code --repo s3://...} with the {@code --s3-*} options. Read-only work never writes, so its
     * spool directory is a temporary one that is not even created.
     */
    static S3BlobStore openS3(RepositoryOptions client) {
        return client.s3.open(client.repo, Path.of(System.getProperty("java.io.tmpdir"), "meridian-spool-"
                + ProcessHandle.current().pid()));
    }

    /**
     * The blob store of the existing repository {@code --repo} (a directory or an S3 bucket), for work on its key
     * slots: nothing else is opened or written.
     *
     * @throws BackupException NOT_FOUND when there is no repository there (no {@code config.json})
     */
    static BlobStore existingStore(RepositoryOptions client) throws Exception {
        BlobStore store;
        if (S3Location.isS3Url(client.repo)) {
            store = openS3(client);
        } else {
            Path root = Path.of(client.repo).toAbsolutePath().normalize();
            if (!java.nio.file.Files.isRegularFile(root.resolve(RepositoryFormat.KEY))) {
                throw BackupException.notFound("no Meridian repository at " + root + " (" + RepositoryFormat.KEY + " is missing)");
            }
            store = new FileBlobStore(root);
        }
        try {
            if (!store.exists(RepositoryFormat.KEY)) {
                throw BackupException.notFound("no Meridian repository at " + store.describe() + " ("
                        + RepositoryFormat.KEY + " is missing)");
            }
            return store;
        } catch (Exception | Error e) {
            store.close();
            throw e;
        }
    }

    /**
     * Opens {@code url} (a directory or {@code s3://bucket/prefix}) for writing, creating a repository there with
     * encryption {@code mode} when there is none (null: plaintext when creating, whatever it has otherwise), and
     * taking its writer lock (a file lock, or a lock object with a 60 s expiry refreshed while held). The password is
     * read before the lock object is written, so a missing or wrong one writes nothing. S3 uploads spool under
     * {@code spool}.
     */
    static Repository openWritable(String url, S3Options s3, Compression c, Encryption mode, Password.Source password,
            Path spool) throws Exception {
        if (!S3Location.isS3Url(url)) {
            return Repository.openFile(Path.of(url).toAbsolutePath().normalize(), c, IoThrottle.UNLIMITED, null, mode, password);
        }
        S3BlobStore store = s3.open(url, spool);
        RepositoryLock lock;
        java.util.function.Function<String, Password> pw;
        try {
            Password early = Repository.needsPassword(store, mode) ? password.read("repository " + url + " is encrypted") : null;
            pw = early == null ? password::read : what -> early;
            lock = RepositoryLock.acquire(s3.open(url, spool), java.time.Duration.ofSeconds(60));
        } catch (Exception | Error e) {
            store.close();
            throw e;
        }
        try {
            return Repository.open(store, c, IoThrottle.UNLIMITED, true, lock, null, mode, pw);
        } catch (Exception | Error e) {
            store.close();
            lock.close();
            throw e;
        }
    }

    /** A page of backups, shaped like {@code GET /api/v1/backups}. */
    static JsonNode list(RepositoryOptions client, String database, String type, String tag, int limit, String cursor) throws Exception {
        try (Repository r = open(client)) {
            Arguments.ListQuery q = Arguments.ListQuery.of(database, type, tag, limit, cursor);
            if (database != null) {
                knownDatabase(r, client, database);
            }
            return Verb.tree(Views.page(r.catalog().list(q.catalogQuery())));
        }
    }

    /**
     * A repository knows a database by its backups: naming one it holds none of is a not_found (exit 2), as naming a
     * database the server does not have is, and the message lists the databases it does hold.
     */
    private static void knownDatabase(Repository r, RepositoryOptions client, String database) {
        if (!r.catalog().ofDatabase(database).isEmpty()) {
            return;
        }
        java.util.SortedSet<String> held = new java.util.TreeSet<>();
        r.catalog().list(new dev.meridian.backup.model.CatalogQuery(null, null, null, Integer.MAX_VALUE, null))
                .backups().forEach(b -> held.add(b.database()));
        throw BackupException.notFound("repository " + client.repo + " holds no backup of database '" + database + "'"
                + (held.isEmpty() ? " (it holds no backups at all)" : "; it holds backups of: " + String.join(", ", held)));
    }

    /** One backup's metadata, and its manifest when {@code withManifest}; index 1 is null otherwise. */
    static JsonNode[] show(RepositoryOptions client, BackupId id, boolean withManifest) throws Exception {
        try (Repository r = open(client)) {
            JsonNode b = Verb.tree(r.catalog().get(id).orElseThrow(() -> Repository.unknownBackup(id)));
            return new JsonNode[] {b, withManifest ? Verb.tree(r.readManifest(id)) : null};
        }
    }

    /** Totals like {@code GET /api/v1/stats}. */
    static JsonNode stats(RepositoryOptions client, String database) throws Exception {
        if (database != null) {
            Validation.databaseName(database);
        }
        try (Repository r = open(client)) {
            if (database != null) {
                knownDatabase(r, client, database);
            }
            return Verb.tree(r.catalog().stats(database, Instant.now()));
        }
    }

    /**
     * Re-reads and hashes every object of one backup with {@code threads} hashing threads; {@code deep} also checks
     * every SST against RocksDB's block checksums.
     */
    static JsonNode verify(RepositoryOptions client, BackupId id, int threads, boolean deep, Output.Meter meter) throws Exception {
        try (Repository r = open(client)) {
            var m = r.readManifest(id);
            return Verb.tree(OfflineVerification.run(r, m, threads, deep, (d, t) -> meter.update(d, t, null)));
        }
    }

    /** Writes one backup into {@code target} (a new or empty directory); the answer is shaped like the server's. */
    static JsonNode restore(RepositoryOptions client, BackupId id, Path target, Output.Meter meter) throws Exception {
        long start = System.currentTimeMillis();
        try (Repository r = open(client)) {
            var m = r.readManifest(id);
            OfflineRestore.run(r, m, target, (d, total) -> meter.update(d, total, null));
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("backup_id", id.value());
            out.put("database", m.database());
            out.put("target", target.toString());
            out.put("safety_backup_id", null);
            out.put("duration_ms", System.currentTimeMillis() - start);
            out.put("file_count", m.fileCount());
            out.put("bytes", m.sizeBytes());
            return Verb.tree(out);
        }
    }
}
