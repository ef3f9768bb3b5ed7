package dev.meridian.backup.repository;

import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.CatalogPage;
import dev.meridian.backup.model.CatalogQuery;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.model.FileEntry;
import dev.meridian.backup.model.Hash;
import dev.meridian.backup.model.Manifest;
import dev.meridian.backup.model.Progress;
import dev.meridian.backup.model.Validation;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Copies backups from one repository to another (the 3-2-1 rule; restic's {@code copy}), transferring only the
 * objects the destination lacks. Each file's plain Blake3 (from the source manifest) gives its object name in the
 * destination ({@link Repository#objectFor}); a missing object is read from the source (opened, decompressed and
 * checked against that Blake3) into a scratch file, then stored through the destination's own write path, so
 * compression, sealing and keyed naming are the destination's: a copy between a plaintext and an encrypted
 * repository, or two encrypted ones with different keys, re-seals every object it transfers. The manifest is
 * published last with the same id, type, times, tags, sequence number and parent (invariant: objects first, manifest
 * last). A backup the destination already lists is skipped, so a repeated copy transfers nothing.
 */
public final class BackupCopy {
    private BackupCopy() {}

    /** One backup's outcome: copied, or skipped because the destination already had it. */
    public record Copied(BackupId backupId, String database, boolean skipped, int objectsTransferred, int objectsReused,
            long bytesTransferred) {}

    /**
     * What a copy did: per backup, and totals. {@code bytesTransferred} counts plaintext bytes read from the source
     * and stored in the destination; {@code storedBytes} what they took there after compression and sealing.
     */
    public record Result(List<Copied> backups, int copied, int skipped, int objectsTransferred, int objectsReused,
            long bytesTransferred, long storedBytes) {}

    /**
     * The backups to copy, oldest first: {@code ids} when any are given (each must be in {@code source}; NOT_FOUND
     * names the first that is not), else every backup of {@code database}, else every backup. INVALID_ARGUMENT for a
     * malformed database name.
     */
    public static List<BackupId> select(Repository source, String database, List<BackupId> ids) {
        if (database != null) {
            Validation.databaseName(database);
        }
        if (!ids.isEmpty()) {
            Set<BackupId> chosen = new LinkedHashSet<>();
            for (BackupId id : ids) {
                BackupSummary b = source.catalog().get(id).orElseThrow(() -> BackupException.notFound("backup " + id
                        + " is not in the source repository " + source.store().describe() + "; list its backups with "
                        + "`list --repo` to see the ids that exist"));
                if (database != null && !b.database().equals(database)) {
                    throw BackupException.invalid("backup " + id + " belongs to database " + b.database() + ", not "
                            + database + "; drop --database or the id");
                }
                chosen.add(id);
            }
            List<BackupId> sorted = new ArrayList<>(chosen);
            Collections.sort(sorted);
            return sorted;
        }
        List<BackupId> all = new ArrayList<>();
        BackupId after = null;
        do {
            CatalogPage page = source.catalog().list(new CatalogQuery(database, null, null, 1000, after));
            page.backups().forEach(b -> all.add(b.backupId()));
            after = page.nextAfter();
        } while (after != null);
        Collections.reverse(all);
        return all;
    }

    /** Receives progress: plaintext bytes transferred so far out of the selection's total size, and the backup. */
    @FunctionalInterface
    public interface Listener {
        void progress(long bytesDone, long bytesTotal, BackupId backup);
    }

    /**
     * Copies {@code ids} (as from {@link #select}) from {@code source} (may be read-only) to {@code destination}
     * (writable), spooling each transferred object's plaintext through a scratch file under {@code scratchDir}
     * (deleted after each object). Throws VERIFICATION_FAILED naming the backup and file when a source object is
     * missing, damaged or does not hash to its manifest's Blake3: that backup is not published, backups copied before
     * it stay, and objects already stored wait for the destination's garbage collection or the next copy.
     */
    public static Result run(Repository source, Repository destination, List<BackupId> ids, Path scratchDir,
            Listener listener) throws IOException {
        if (source.format().repositoryId().equals(destination.format().repositoryId())) {
            throw BackupException.invalid("the source and destination are the same repository ("
                    + source.format().repositoryId() + "); copy to a different one");
        }
        long total = 0;
        List<Manifest> manifests = new ArrayList<>();
        for (BackupId id : ids) {
            Manifest m = source.readManifest(id);
            manifests.add(m);
            if (destination.catalog().get(id).isEmpty()) {
                total += m.sizeBytes();
            }
        }
        List<Copied> out = new ArrayList<>();
        long[] done = {0};
        int copied = 0;
        int skipped = 0;
        int transferred = 0;
        int reused = 0;
        long bytes = 0;
        long stored = 0;
        for (Manifest m : manifests) {
            if (destination.catalog().get(m.id()).isPresent()) {
                out.add(new Copied(m.id(), m.database(), true, 0, 0, 0));
                skipped++;
                continue;
            }
            int t = 0;
            int r = 0;
            long b = 0;
            try (Repository.Ingest ingest = destination.beginIngest("copy " + m.id())) {
                List<FileEntry> files = new ArrayList<>();
                for (FileEntry f : m.files()) {
                    FileEntry there = new FileEntry(f.name(), f.size(), f.blake3(), destination.objectFor(f.blake3()));
                    if (ingest.reuse(there)) {
                        files.add(there);
                        r++;
                        done[0] += f.size();
                        listener.progress(done[0], total, m.id());
                        continue;
                    }
                    Repository.StoredFile s = transfer(source, ingest, m, f, scratchDir, done[0], total,
                            (d, tot) -> listener.progress(d, tot, m.id()));
                    if (!s.entry().object().equals(there.object())) {
                        throw new BackupException(ErrorCode.VERIFICATION_FAILED, "file " + f.name() + " of backup " + m.id()
                                + " was stored as object " + s.entry().object() + " but " + there.object() + " was expected; "
                                + "nothing was published for this backup");
                    }
                    files.add(there);
                    if (s.storedBytes() > 0) {
                        t++;
                        b += f.size();
                        stored += s.storedBytes();
                    } else {
                        r++;
                    }
                    done[0] += f.size();
                    listener.progress(done[0], total, m.id());
                }
                ingest.publish(new Manifest(m.format(), m.id(), m.database(), m.type(), m.description(), m.tags(),
                        m.createdAt(), m.completedAt(), m.queuedMs(), m.durationMs(), m.sequenceNumber(),
                        m.schemaVersion(), m.parent(), m.sizeBytes(), m.storedBytes(), files, null));
            }
            out.add(new Copied(m.id(), m.database(), false, t, r, b));
            copied++;
            transferred += t;
            reused += r;
            bytes += b;
        }
        return new Result(out, copied, skipped, transferred, reused, bytes, stored);
    }

    /** Reads one file's plaintext from the source (checked against its Blake3) and stores it in the destination. */
    private static Repository.StoredFile transfer(Repository source, Repository.Ingest ingest, Manifest m, FileEntry f,
            Path scratchDir, long base, long total, Progress progress) throws IOException {
        Path scratch = Files.createTempFile(scratchDir, "copy-", ".part");
        try {
            try (FileChannel ch = FileChannel.open(scratch, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                source.readFile(f, ch, Progress.NONE, 0, f.size());
            } catch (CorruptObjectException e) {
                throw new BackupException(ErrorCode.VERIFICATION_FAILED, "file " + f.name() + " of backup " + m.id()
                        + " cannot be copied: " + e.getMessage() + "; verify the source repository; nothing was published"
                        + " for this backup");
            }
            Repository.StoredFile s = ingest.store(scratch, f.name(), progress, base, total);
            if (!s.entry().blake3().equals(f.blake3()) || s.entry().size() != f.size()) {
                throw new BackupException(ErrorCode.VERIFICATION_FAILED, "file " + f.name() + " of backup " + m.id()
                        + " hashed to " + s.entry().blake3() + " (" + s.entry().size() + " bytes) while copying, but its "
                        + "manifest says " + f.blake3() + " (" + f.size() + " bytes); nothing was published for this backup");
            }
            return s;
        } finally {
            Files.deleteIfExists(scratch);
        }
    }
}
