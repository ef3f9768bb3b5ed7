package dev.meridian.backup.rocks;

import dev.meridian.backup.store.file.DurableFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.rocksdb.LiveFileMetaData;
import org.rocksdb.LogFile;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WalFileType;

/**
 * A checkpoint of a database whose SSTs are spread over several directories (RocksDB db_paths), which RocksDB's own
 * Checkpoint refuses ("db_paths / cf_paths not supported for Checkpoint nor BackupEngine", RocksDB 11.8). It does
 * what {@code utilities/checkpoint/checkpoint_impl.cc} does, by the steps of RocksDB's "How to back up RocksDB"
 * wiki page (the live-files API): file deletions off; flush and list the live files with the MANIFEST's size; then
 * every SST and blob file hard-linked from the directory RocksDB keeps it in (copied where a link is impossible: another
 * filesystem), the MANIFEST copied up to that size with every path_id set to 0 ({@link
 * ManifestTables#withPathIdsZero}), OPTIONS copied, the live WAL files copied up to their listed size, a CURRENT
 * written; file deletions back on. Like RocksDB's checkpoint of a plain database, the result holds every file in one
 * directory and opens with the default layout, without db_paths (or with db_paths whose first entry is that
 * directory).
 */
final class DbPathsCheckpoint {
    private DbPathsCheckpoint() {}

    /** How the files got there: hard links (the live inodes) and copies. */
    record Made(int linked, int copied) {}

    /**
     * Writes the checkpoint into {@code dir}, which must not exist; every file and {@code dir} itself fsynced.
     *
     * @param dbDir the database directory (CURRENT, MANIFEST, OPTIONS; SSTs RocksDB lists there)
     * @param walDir where the WAL files are ({@code dbDir} unless the owner sets wal_dir)
     * @param sstDirs the directories SST and blob files may be in, searched in order for a file RocksDB's metadata
     *     does not place (blob files)
     * @throws RocksDBException when RocksDB refuses a step (file deletions are on again in every case)
     * @throws IOException when a file cannot be linked, copied or synced ({@code dir} is left for the caller to remove)
     */
    static Made create(RocksDB db, Path dbDir, Path walDir, List<Path> sstDirs, Path dir) throws RocksDBException, IOException {
        Files.createDirectory(dir);
        int linked = 0;
        int copied = 0;
        db.disableFileDeletions();
        try {
            RocksDB.LiveFiles live = db.getLiveFiles(true);
            Map<String, Path> where = new HashMap<>();
            for (LiveFileMetaData f : db.getLiveFilesMetaData()) {
                where.put(strip(f.fileName()), Path.of(f.path()));
            }
            List<LogFile> wals = db.getSortedWalFiles();
            String manifest = null;
            for (String raw : live.files) {
                String name = strip(raw);
                Path target = dir.resolve(name);
                if (name.equals("CURRENT")) {
                    continue; // written last, naming the MANIFEST copied here
                } else if (name.startsWith("MANIFEST-")) {
                    manifest = name;
                    byte[] listed = read(dbDir.resolve(name), live.manifestFileSize);
                    byte[] plain = ManifestTables.withPathIdsZero(listed).orElseThrow(() -> new IOException("the"
                            + " MANIFEST " + dbDir.resolve(name) + " holds a record Meridian cannot rewrite (its format"
                            + " is newer than RocksDB 11.8's), so a copy without db_paths cannot be made"));
                    DurableFiles.write(target, plain, true);
                    copied++;
                } else if (name.endsWith(".sst") || name.endsWith(".blob")) {
                    Path source = where.containsKey(name) ? where.get(name).resolve(name) : find(name, dbDir, sstDirs);
                    if (link(source, target)) {
                        linked++;
                    } else {
                        copy(source, target, -1);
                        copied++;
                    }
                } else {
                    copy(dbDir.resolve(name), target, -1); // OPTIONS
                    copied++;
                }
            }
            for (LogFile w : wals) {
                if (w.type() == WalFileType.kAliveLogFile) {
                    String name = strip(w.pathName());
                    copy(walDir.resolve(name), dir.resolve(name), w.sizeFileBytes());
                    copied++;
                }
            }
            if (manifest == null) {
                throw new IOException("RocksDB listed no MANIFEST among the live files of " + dbDir);
            }
            DurableFiles.write(dir.resolve("CURRENT"), (manifest + "\n").getBytes(StandardCharsets.UTF_8), true);
            DurableFiles.fsyncDirectory(dir);
        } finally {
            db.enableFileDeletions();
        }
        return new Made(linked, copied);
    }

    private static byte[] read(Path source, long limit) throws IOException {
        try (InputStream in = Files.newInputStream(source)) {
            byte[] b = in.readNBytes((int) Math.min(limit, Integer.MAX_VALUE - 8));
            if (b.length != limit) {
                throw new IOException(source + " is shorter than the " + limit + " bytes RocksDB listed");
            }
            return b;
        }
    }

    private static String strip(String name) {
        return name.startsWith("/") ? name.substring(1) : name;
    }

    private static Path find(String name, Path dbDir, List<Path> sstDirs) throws IOException {
        List<Path> candidates = new ArrayList<>(sstDirs);
        candidates.add(dbDir);
        for (Path d : candidates) {
            if (Files.isRegularFile(d.resolve(name))) {
                return d.resolve(name);
            }
        }
        throw new IOException("live file " + name + " is in none of " + candidates);
    }

    /** A hard link, or false where the filesystem cannot make one to {@code target} (another filesystem). */
    private static boolean link(Path source, Path target) throws IOException {
        try {
            Files.createLink(target, source);
            return true;
        } catch (UnsupportedOperationException e) {
            return false;
        } catch (FileSystemException e) {
            String reason = String.valueOf(e.getReason());
            if (reason.contains("cross-device") || reason.contains("Invalid cross-device link")
                    || reason.contains("Operation not supported") || reason.contains("not permitted")) {
                return false;
            }
            throw e;
        }
    }

    /** Copies {@code source} (its first {@code limit} bytes, or all of it when negative) and fsyncs the copy. */
    private static void copy(Path source, Path target, long limit) throws IOException {
        try (InputStream in = Files.newInputStream(source);
                FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            OutputStream os = java.nio.channels.Channels.newOutputStream(out);
            if (limit < 0) {
                in.transferTo(os);
            } else {
                byte[] buffer = new byte[64 * 1024];
                long left = limit;
                while (left > 0) {
                    int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                    if (n < 0) {
                        throw new IOException(source + " is shorter than the " + limit + " bytes RocksDB listed");
                    }
                    os.write(buffer, 0, n);
                    left -= n;
                }
            }
            os.flush();
            out.force(true);
        }
    }
}
