package dev.meridian.backup.rocks;

import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.store.BlockingGuard;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.rocksdb.LiveFileMetaData;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;

/**
 * A RocksDB checkpoint that the application owning a database wrote and handed over for Meridian to ingest
 * ({@code owner = application}), checked by {@link #inspect} before anything is written anywhere. Nothing in this
 * class writes to the directory: it lists it, reads CURRENT, and opens it read-only (which, as a test checks,
 * leaves every file's name, size and mtime as they were and writes no LOCK, LOG or OPTIONS file).
 *
 * <p>The rules, in order, each refused with a message naming the directory and what to do:
 * <ol>
 *   <li>the database has checkpoint roots, and the directory's real path (every symlink resolved) lies strictly
 *       under the real path of one of them (403), and overlaps no database, repository or state directory (403);</li>
 *   <li>it is not still being written (409): its name does not end in {@code .tmp} (RocksDB's
 *       {@code Checkpoint::CreateCheckpoint} writes {@code <dir>.tmp} and renames it to {@code <dir>} once complete),
 *       no file in it ends in {@code .tmp} or {@code .dbtmp} (the temporary names RocksDB writes CURRENT and
 *       checkpoint files under), and no file's size, mtime or inode differs between the listing taken before the
 *       read-only open and the one taken after it;</li>
 *   <li>it holds only regular files (403 for a symlink, which could lead outside the roots; 400 for a
 *       subdirectory) and no LOCK file (400: a database directory, not a checkpoint);</li>
 *   <li>it is a complete RocksDB database (400): CURRENT names a MANIFEST that is present, its OPTIONS name only
 *       objects Meridian can construct, the read-only open succeeds, and every file the MANIFEST names
 *       ({@code getLiveFiles}: SSTs, blob files, MANIFEST, OPTIONS) is present, each SST with the size the MANIFEST
 *       records ({@code getLiveFilesMetaData}).</li>
 * </ol>
 *
 * @param dir            the checkpoint's real path
 * @param sequenceNumber the last sequence number it holds (RocksDB's {@code GetLatestSequenceNumber} after the open)
 * @param files          every file of the checkpoint, by name, as listed before the open
 */
public record HandedOverCheckpoint(Path dir, long sequenceNumber, Map<String, FileState> files) {
    private static final Pattern MANIFEST_NAME = Pattern.compile("MANIFEST-\\d+");
    private static final Pattern MISSING_FILE = Pattern.compile("([^\\s:]+\\.(?:sst|blob|log))[:\\s]+No such file");

    public HandedOverCheckpoint {
        files = java.util.Collections.unmodifiableMap(new TreeMap<>(files));
    }

    /** What identifies one file between two listings: size (bytes), mtime (ns since the epoch, UTC) and inode key. */
    public record FileState(long size, long mtimeNanos, Object inode) {}

    /**
     * Checks a handed-over directory against the rules above. Blocking (file system calls and a read-only RocksDB
     * open); run it on the RocksDB dispatcher.
     *
     * @param database   the database it is a checkpoint of (for messages)
     * @param requested  the directory as the caller gave it (absolute)
     * @param roots      the database's checkpoint roots (may be empty: then every directory is refused)
     * @param outOfBounds directories a checkpoint must not overlap, each with what it is ("database 'x'")
     * @throws BackupException INVALID_ARGUMENT, NOT_FOUND, FORBIDDEN or CONFLICT as described above
     */
    public static HandedOverCheckpoint inspect(String database, Path requested, List<Path> roots,
            Map<Path, String> outOfBounds) {
        return inspect(database, requested, roots, outOfBounds, null);
    }

    /**
     * As {@link #inspect(String, Path, List, Map)}, and also refuses (CONFLICT) a checkpoint of another RocksDB
     * database than the one at {@code live} (null: not checked): RocksDB records its DB id (the {@code IDENTITY}
     * file of the live directory) in the MANIFEST (VersionEdit tag kDbId, rocksdb/db/version_edit.h), and a
     * checkpoint's MANIFEST that records only other ids is of another database. When the live directory has no
     * IDENTITY, or the MANIFEST records no id (RocksDB before write_dbid_to_manifest), nothing can be compared.
     */
    public static HandedOverCheckpoint inspect(String database, Path requested, List<Path> roots,
            Map<Path, String> outOfBounds, Path live) {
        BlockingGuard.check("inspect handed-over checkpoint " + requested);
        String what = "checkpoint directory " + requested + " handed over for database " + database;
        if (roots.isEmpty()) {
            throw new BackupException(ErrorCode.FORBIDDEN, what + " was refused: the database has no checkpoint roots."
                    + " Set checkpoint-roots = [\"<dir>\"] for it (or meridian.checkpoint-roots) and write checkpoints"
                    + " under that directory");
        }
        if (!Files.exists(requested, LinkOption.NOFOLLOW_LINKS)) {
            throw BackupException.notFound(what + " does not exist; write the checkpoint first (RocksDB's Checkpoint"
                    + " createCheckpoint), then hand it over");
        }
        Path real;
        try {
            real = requested.toRealPath();
        } catch (IOException e) {
            throw BackupException.notFound(what + " cannot be resolved (" + e.getMessage() + "); check the path");
        }
        if (!Files.isDirectory(real)) {
            throw BackupException.invalid(what + " is not a directory; hand over the directory RocksDB's Checkpoint"
                    + " created");
        }
        checkUnderRoots(what, requested, real, roots);
        outOfBounds.forEach((p, name) -> {
            Path other = realOrSelf(p);
            if (real.startsWith(other) || other.startsWith(real)) {
                throw new BackupException(ErrorCode.FORBIDDEN, what + " was refused: it resolves to " + real
                        + ", which overlaps " + name + " at " + p + "; hand over a checkpoint in a directory of its own"
                        + " under " + roots);
            }
        });
        if (real.getFileName().toString().endsWith(".tmp")) {
            throw new BackupException(ErrorCode.CONFLICT, what + " is still being written: RocksDB's Checkpoint"
                    + " writes into <dir>.tmp and renames it to <dir> once complete. Hand over the final directory");
        }
        Map<String, FileState> before = scan(what, real);
        if (!before.containsKey("CURRENT")) {
            throw BackupException.invalid(what + " is not a RocksDB checkpoint: it has no CURRENT file. Hand over a"
                    + " directory made by RocksDB's Checkpoint (createCheckpoint), after it returned");
        }
        String manifest = currentManifest(what, real);
        if (!before.containsKey(manifest)) {
            throw BackupException.invalid(what + " is incomplete: CURRENT names " + manifest + ", which is missing."
                    + " Make a new checkpoint and hand that over");
        }
        checkSameDatabase(what, database, real.resolve(manifest), live);
        long sequence = openReadOnly(what, real, before);
        Map<String, FileState> after = scan(what, real);
        Optional<String> changed = difference(before, after);
        if (changed.isPresent()) {
            throw new BackupException(ErrorCode.CONFLICT, what + " is still being written: " + changed.get()
                    + " while Meridian checked it. Hand it over only once the checkpoint is complete and nothing"
                    + " writes into it; nothing was stored");
        }
        return new HandedOverCheckpoint(real, sequence, before);
    }

    /**
     * Lists the directory again and refuses a checkpoint that changed since {@link #inspect} (a file added,
     * removed, rewritten or grown), so a backup is never published from files that moved under it.
     *
     * @throws BackupException CONFLICT naming the first difference
     */
    public void checkUnchanged(String database) {
        BlockingGuard.check("re-list handed-over checkpoint " + dir);
        String what = "checkpoint directory " + dir + " handed over for database " + database;
        Optional<String> changed = difference(files, scan(what, dir));
        if (changed.isPresent()) {
            throw new BackupException(ErrorCode.CONFLICT, what + " changed while it was being ingested: "
                    + changed.get() + "; nothing was published. Leave a handed-over checkpoint alone until Meridian"
                    + " answers, then hand it over again");
        }
    }

    private static void checkUnderRoots(String what, Path requested, Path real, List<Path> roots) {
        for (Path root : roots) {
            Path realRoot = realOrSelf(root);
            if (real.startsWith(realRoot) && !real.equals(realRoot)) {
                return;
            }
        }
        if (roots.stream().anyMatch(r -> realOrSelf(r).equals(real))) {
            throw new BackupException(ErrorCode.FORBIDDEN, what + " was refused: it is a checkpoint root itself;"
                    + " write each checkpoint into a directory of its own under the root (e.g. " + real.resolve("cp-1")
                    + ") and hand over that directory");
        }
        boolean lexicallyInside = roots.stream().anyMatch(r -> requested.normalize().startsWith(r));
        if (lexicallyInside) {
            throw new BackupException(ErrorCode.FORBIDDEN, what + " was refused: through a symlink it resolves to "
                    + real + ", which is outside the checkpoint roots " + roots + ". Write the checkpoint itself under"
                    + " a root, not a link to it");
        }
        throw new BackupException(ErrorCode.FORBIDDEN, what + " was refused: it is not under the database's"
                + " checkpoint roots " + roots + " (checkpoint-roots). Write the checkpoint under one of them");
    }

    private static Path realOrSelf(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p.toAbsolutePath().normalize();
        }
    }

    /** Every entry of the directory; refuses what a finished checkpoint never holds. */
    private static Map<String, FileState> scan(String what, Path dir) {
        Map<String, FileState> out = new TreeMap<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                String name = p.getFileName().toString();
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (a.isSymbolicLink()) {
                    throw new BackupException(ErrorCode.FORBIDDEN, what + " was refused: " + name + " is a symlink (to "
                            + Files.readSymbolicLink(p) + "), which could lead outside the checkpoint roots; a RocksDB"
                            + " checkpoint holds only regular files (hard links or copies)");
                }
                if (name.endsWith(".tmp") || name.endsWith(".dbtmp")) {
                    throw new BackupException(ErrorCode.CONFLICT, what + " is still being written: it holds the"
                            + " temporary file " + name + ". Hand it over once the checkpoint is complete");
                }
                if (a.isDirectory()) {
                    throw BackupException.invalid(what + " is not a RocksDB checkpoint: it holds the subdirectory "
                            + name + ", and a checkpoint holds only files. Hand over the directory Checkpoint created");
                }
                if (!a.isRegularFile()) {
                    throw BackupException.invalid(what + " holds " + name + ", which is not a regular file");
                }
                if (name.equals("LOCK")) {
                    throw BackupException.invalid(what + " holds a LOCK file, so it is a database directory, not a"
                            + " checkpoint; Meridian never opens an application's database. Hand over a checkpoint"
                            + " made with RocksDB's Checkpoint (createCheckpoint) instead");
                }
                out.put(name, new FileState(a.size(), a.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS),
                        a.fileKey()));
            }
        } catch (IOException e) {
            throw BackupException.invalid(what + " cannot be listed: " + e.getMessage());
        }
        return out;
    }

    private static Optional<String> difference(Map<String, FileState> before, Map<String, FileState> after) {
        for (Map.Entry<String, FileState> e : before.entrySet()) {
            FileState now = after.get(e.getKey());
            if (now == null) {
                return Optional.of(e.getKey() + " disappeared");
            }
            if (now.size() != e.getValue().size() || now.mtimeNanos() != e.getValue().mtimeNanos()
                    || !Objects.equals(now.inode(), e.getValue().inode())) {
                return Optional.of(e.getKey() + " changed (" + e.getValue().size() + " -> " + now.size() + " bytes)");
            }
        }
        for (String name : after.keySet()) {
            if (!before.containsKey(name)) {
                return Optional.of(name + " appeared");
            }
        }
        return Optional.empty();
    }

    private static final Pattern DB_ID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    /**
     * VersionEdit's tag for the DB id (rocksdb/db/version_edit.h: kDbId = kTagSafeIgnoreMask + 1 = 8193), as the
     * two bytes of its varint32, followed by the id's length (36) as a one-byte varint32.
     */
    private static final byte[] K_DB_ID = {(byte) 0x81, 0x40, 36};

    private static void checkSameDatabase(String what, String database, Path manifest, Path live) {
        if (live == null) {
            return;
        }
        String id;
        byte[] edits;
        try {
            id = Files.readString(live.resolve("IDENTITY"), StandardCharsets.US_ASCII).strip();
            edits = Files.readAllBytes(manifest);
        } catch (IOException e) {
            return; // no IDENTITY in the live directory (or it is unreadable here): nothing to compare against
        }
        if (!DB_ID.matcher(id).matches()) {
            return;
        }
        java.util.Set<String> recorded = new java.util.TreeSet<>();
        for (int i = 0; i + K_DB_ID.length + 36 <= edits.length; i++) {
            if (edits[i] == K_DB_ID[0] && edits[i + 1] == K_DB_ID[1] && edits[i + 2] == K_DB_ID[2]) {
                String candidate = new String(edits, i + K_DB_ID.length, 36, StandardCharsets.US_ASCII);
                if (DB_ID.matcher(candidate).matches()) {
                    recorded.add(candidate);
                }
            }
        }
        if (!recorded.isEmpty() && !recorded.contains(id)) {
            throw new BackupException(ErrorCode.CONFLICT, what + " is a checkpoint of another RocksDB database: its"
                    + " MANIFEST records DB id " + String.join(", ", recorded) + ", but database '" + database + "' at "
                    + live + " has DB id " + id + " (its IDENTITY file). Hand over a checkpoint of " + live
                    + "; nothing was stored");
        }
    }

    private static String currentManifest(String what, Path dir) {
        String content;
        try {
            content = Files.readString(dir.resolve("CURRENT"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw BackupException.invalid(what + ": its CURRENT file cannot be read (" + e.getMessage() + ")");
        }
        String name = content.strip();
        if (!content.endsWith("\n") || !MANIFEST_NAME.matcher(name).matches()) {
            throw BackupException.invalid(what + " is not a RocksDB checkpoint: its CURRENT file does not name a"
                    + " MANIFEST. Hand over a directory made by RocksDB's Checkpoint");
        }
        return name;
    }

    /**
     * Opens the checkpoint read-only with its own OPTIONS (its WAL read from the directory itself, as a checkpoint
     * holds it; a WAL that does not replay completely is an error), checks that every live file is present with
     * its recorded size, and returns the last sequence number.
     */
    private static long openReadOnly(String what, Path dir, Map<String, FileState> present) {
        try {
            return LiveDatabase.openReadOnly(dir, ro -> {
                for (String live : ro.getLiveFiles(false).files) {
                    String name = live.startsWith("/") ? live.substring(1) : live;
                    if (!present.containsKey(name)) {
                        throw BackupException.invalid(what + " is incomplete: its MANIFEST names " + name
                                + ", which is missing. Make a new checkpoint and hand that over");
                    }
                }
                for (LiveFileMetaData f : ro.getLiveFilesMetaData()) {
                    String name = f.fileName().startsWith("/") ? f.fileName().substring(1) : f.fileName();
                    FileState s = present.get(name);
                    if (s == null || s.size() != f.size()) {
                        throw BackupException.invalid(what + " is incomplete: its MANIFEST records " + name + " with "
                                + f.size() + " bytes, but " + (s == null ? "it is missing" : "it has " + s.size())
                                + ". Make a new checkpoint and hand that over");
                    }
                }
                return ro.getLatestSequenceNumber();
            }, foreign -> BackupException.invalid(what + " cannot be checked: its OPTIONS name " + foreign
                    + ", which only the owning application can construct, so Meridian cannot open it"
                    + " read-only. Such a database can be backed up only by embedding Meridian in its owner"));
        } catch (RocksDBException e) {
            String reason = String.valueOf(e.getMessage());
            Matcher m = MISSING_FILE.matcher(reason);
            if (m.find()) {
                throw BackupException.invalid(what + " is incomplete: its MANIFEST names "
                        + Path.of(m.group(1)).getFileName() + ", which is missing. Make a new checkpoint and hand"
                        + " that over");
            }
            throw BackupException.invalid(what + " is not a complete RocksDB checkpoint: RocksDB's read-only open"
                    + " failed (" + reason + "). Hand over a directory made by RocksDB's Checkpoint");
        } catch (IOException e) {
            throw BackupException.invalid(what + " cannot be read: " + e.getMessage());
        }
    }
}
