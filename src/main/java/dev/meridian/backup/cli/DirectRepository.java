package dev.meridian.backup.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.Validation;
import dev.meridian.backup.operation.Arguments;
import dev.meridian.backup.operation.Views;
import dev.meridian.backup.repository.Compression;
import dev.meridian.backup.repository.IoThrottle;
import dev.meridian.backup.repository.Repository;
import dev.meridian.backup.repository.seal.Password;
import dev.meridian.backup.restore.OfflineRestore;
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
        boolean endpoint = client.s3Endpoint != null && !client.s3Endpoint.isBlank();
        S3Location location = S3Location.parse(client.repo, client.s3Endpoint, client.s3Region, endpoint && !client.s3VirtualHosted);
        return S3BlobStore.open(location, Path.of(System.getProperty("java.io.tmpdir"), "meridian-spool-" + ProcessHandle.current().pid()),
                S3BlobStore.Tuning.DEFAULT);
    }

    /** A page of backups, shaped like {@code GET /api/v1/backups}. */
    static JsonNode list(RepositoryOptions client, String database, String type, String tag, int limit, String cursor) throws Exception {
        try (Repository r = open(client)) {
            Arguments.ListQuery q = Arguments.ListQuery.of(database, type, tag, limit, cursor);
            return Verb.tree(Views.page(r.catalog().list(q.catalogQuery())));
        }
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
