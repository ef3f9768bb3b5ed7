package dev.meridian.backup.store.file;

import dev.meridian.backup.store.BlobKeys;
import dev.meridian.backup.store.BlobStore;
import dev.meridian.backup.store.PendingBlob;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Blobs as files under a root directory. A write goes to {@code tmp/}, is fsynced, renamed into place, and the
 * directory is fsynced: after commit returns, the blob survives a crash; before it, only a file in tmp/ remains,
 * which {@link #sweepPending()} removes on the next start.
 */
public final class FileBlobStore implements BlobStore {
    public static final String TMP = "tmp";
    private final Path root;
    private final Path tmp;
    /**
     * Keys renamed into place whose directory is not fsynced yet. Another writer that finds such a key and relies
     * on it (deduplication) must not trust it before the rename is durable, so {@link #exists} syncs it first.
     */
    private final Set<String> renamedNotSynced = ConcurrentHashMap.newKeySet();

    public FileBlobStore(Path root) throws IOException {
        this.root = root.toAbsolutePath().normalize();
        this.tmp = this.root.resolve(TMP);
        Files.createDirectories(tmp);
    }

    public Path root() {
        return root;
    }

    /** The file behind a committed key; only for callers that need a path (never for writing). */
    public Path pathOf(String key) {
        Path p = root.resolve(BlobKeys.check(key)).normalize();
        if (!p.startsWith(root) || p.startsWith(tmp)) {
            throw new IllegalArgumentException("blob key '" + key + "' resolves outside the repository");
        }
        return p;
    }

    @Override
    public PendingBlob create() throws IOException {
        Path part = tmp.resolve(UUID.randomUUID() + ".part");
        FileChannel ch = FileChannel.open(part, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        return new FilePendingBlob(ch, part);
    }

    @Override
    public SeekableByteChannel open(String key) throws IOException {
        return FileChannel.open(pathOf(key), StandardOpenOption.READ);
    }

    /** True only once the blob's rename is durable: one another thread just committed is synced here first. */
    @Override
    public boolean exists(String key) throws IOException {
        Path p = pathOf(key);
        if (!Files.isRegularFile(p)) {
            return false;
        }
        if (renamedNotSynced.contains(key)) {
            DurableFiles.fsyncDirectory(p.getParent());
        }
        return true;
    }

    @Override
    public OptionalLong size(String key) throws IOException {
        try {
            return OptionalLong.of(Files.size(pathOf(key)));
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        }
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        BlobKeys.checkPrefix(prefix);
        // Walk from the deepest directory the prefix names, then filter by the full prefix.
        int slash = prefix.lastIndexOf('/');
        Path start = slash < 0 ? root : root.resolve(prefix.substring(0, slash));
        if (!Files.isDirectory(start)) {
            return List.of();
        }
        List<String> keys = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(start)) {
            walk.filter(Files::isRegularFile).forEach(p -> {
                if (p.startsWith(tmp)) {
                    return;
                }
                String key = root.relativize(p).toString().replace('\\', '/');
                if (key.startsWith(prefix)) {
                    keys.add(key);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        Collections.sort(keys);
        return keys;
    }

    @Override
    public boolean delete(String key) throws IOException {
        Path p = pathOf(key);
        boolean deleted = Files.deleteIfExists(p);
        if (deleted) {
            DurableFiles.fsyncDirectory(p.getParent());
        }
        return deleted;
    }

    @Override
    public int sweepPending() throws IOException {
        int n = 0;
        try (DirectoryStream<Path> parts = Files.newDirectoryStream(tmp)) {
            for (Path p : parts) {
                if (Files.isDirectory(p)) {
                    DurableFiles.deleteTree(p);
                } else {
                    Files.deleteIfExists(p);
                }
                n++;
            }
        }
        if (n > 0) {
            DurableFiles.fsyncDirectory(tmp);
        }
        return n;
    }

    @Override
    public String describe() {
        return root.toString();
    }

    @Override
    public void close() {}

    private final class FilePendingBlob extends FileBackedPendingBlob {
        FilePendingBlob(FileChannel ch, Path part) {
            super(ch, part);
        }

        @Override
        protected void publish(FileChannel ch, Path part, long written, String key) throws IOException {
            Path target = pathOf(key);
            // fdatasync: the content and its length are what a reader needs; timestamps need not be durable.
            ch.force(false);
            ch.close();
            DurableFiles.createDirectories(target.getParent());
            renamedNotSynced.add(key);
            try {
                Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                DurableFiles.fsyncDirectory(target.getParent());
            } finally {
                renamedNotSynced.remove(key);
            }
        }
    }
}
