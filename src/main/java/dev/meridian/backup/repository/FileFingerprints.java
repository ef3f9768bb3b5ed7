package dev.meridian.backup.repository;

import dev.meridian.backup.model.FileEntry;
import dev.meridian.backup.model.Json;
import dev.meridian.backup.store.file.DurableFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Recognizes an unchanged RocksDB table file without reading it.
 *
 * <p>RocksDB writes each SST (and blob) file once, under a new file number, and never modifies it afterwards; a
 * checkpoint hard-links these files, so the checkpoint's copy is the very inode of the live file. A file whose
 * (device, inode, name, size, mtime in ns) equal those recorded when we last hashed it is therefore the same
 * immutable file, and its recorded hash and object can be reused. Any rewrite, copy or restore creates a new inode
 * and mtime, so the fingerprint misses and the file is read again. Only {@code .sst} and {@code .blob} files are
 * eligible: MANIFEST, CURRENT, OPTIONS and WAL files can change in place and are always read.
 *
 * <p>Fingerprints are local facts (inode numbers mean nothing elsewhere), so they live in the local state
 * directory, one file per database, and are only a cache: deleting them costs one full read, nothing else.
 */
public final class FileFingerprints {
    /** What identifies one on-disk file, and what we learned when we hashed it. */
    public record Fingerprint(long device, long inode, long size, long mtimeNanos, FileEntry entry) {}

    /**
     * {@code format} 2: every entry's object was stored after its SST passed RocksDB's block checksum check. Files
     * without it were written before that check existed and may point at an object copied from a corrupt SST, so
     * they are not trusted: the next backup reads (and checks) every SST once.
     */
    private record Stored(Integer format, Map<String, Fingerprint> files) {}

    private static final int FORMAT = 2;

    private final Path dir;
    private final Map<String, Map<String, Fingerprint>> byDatabase = new ConcurrentHashMap<>();

    public FileFingerprints(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
    }

    public static boolean eligible(String fileName) {
        return fileName.endsWith(".sst") || fileName.endsWith(".blob");
    }

    /** Reads the identity of a file; empty when the platform does not expose inode numbers. */
    public static Optional<Fingerprint> of(Path file, FileEntry entry) throws IOException {
        try {
            Map<String, Object> a = Files.readAttributes(file, "unix:dev,ino,size,lastModifiedTime");
            long mtime = ((FileTime) a.get("lastModifiedTime")).to(java.util.concurrent.TimeUnit.NANOSECONDS);
            return Optional.of(new Fingerprint(((Number) a.get("dev")).longValue(), ((Number) a.get("ino")).longValue(),
                    ((Number) a.get("size")).longValue(), mtime, entry));
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The recorded entry for {@code name} if {@code current} is the same file as when it was recorded. */
    public Optional<FileEntry> lookup(String database, String name, Fingerprint current) {
        Fingerprint known = load(database).get(name);
        if (known == null || known.device() != current.device() || known.inode() != current.inode()
                || known.size() != current.size() || known.mtimeNanos() != current.mtimeNanos()
                || known.entry().size() != current.size()) {
            return Optional.empty();
        }
        return Optional.of(known.entry());
    }

    /**
     * Reads the fingerprints of {@code databases} now, so that the first backup of each after a start does not read
     * and parse them inside its own time (a file that cannot be read counts as empty, as on first lookup).
     */
    public void preload(Collection<String> databases) {
        databases.forEach(this::load);
    }

    /** Replaces a database's fingerprints with those of its latest backup. */
    public void save(String database, Map<String, Fingerprint> files) throws IOException {
        Map<String, Fingerprint> copy = Map.copyOf(files);
        // A cache: losing the latest save to a crash costs one full re-hash, so no fsync.
        DurableFiles.write(dir.resolve(database + ".json"), encode(copy), false);
        byDatabase.put(database, copy);
    }

    /**
     * The bytes {@link #save} writes for {@code files}: UTF-8 JSON {@code {"format":2,"files":{name: fingerprint}}}.
     * Public for the start-up warm-up, which runs it on synthetic fingerprints so that the first backup's save
     * runs compiled code.
     *
     * @throws IOException when Jackson cannot serialize them (it can: records of numbers and strings)
     */
    public static byte[] encode(Map<String, Fingerprint> files) throws IOException {
        return Json.MAPPER.writeValueAsBytes(new Stored(FORMAT, files));
    }

    /** Forgets a database's fingerprints, e.g. after its files were replaced by a restore. */
    public void forget(String database) throws IOException {
        byDatabase.put(database, Map.of());
        Files.deleteIfExists(dir.resolve(database + ".json"));
    }

    private Map<String, Fingerprint> load(String database) {
        return byDatabase.computeIfAbsent(database, db -> {
            Path p = dir.resolve(db + ".json");
            if (!Files.isRegularFile(p)) {
                return Map.of();
            }
            try {
                Stored stored = Json.MAPPER.readValue(p.toFile(), Stored.class);
                return stored.format() == null || stored.format() < FORMAT ? Map.of() : new HashMap<>(stored.files());
            } catch (IOException | RuntimeException e) {
                return Map.of();
            }
        });
    }
}
