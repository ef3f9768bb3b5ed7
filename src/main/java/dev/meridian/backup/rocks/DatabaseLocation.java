package dev.meridian.backup.rocks;

import dev.meridian.backup.store.BlockingGuard;
import dev.meridian.backup.store.file.DurableFiles;
import dev.meridian.backup.store.file.ResolvedPath;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Where a database really lives, and so where its scratch directories go: checkpoints, restore staging and the
 * old copy during a swap must be on the database's own filesystem (hard links and renames do not cross
 * filesystems, and fingerprints of hard-linked SSTs stay stable), and a swap renames the real directory, never a
 * symlink that points at it (which must survive the restore).
 *
 * <ul>
 *   <li>{@code configured}: the path in the configuration, possibly a symlink or under one;</li>
 *   <li>{@code real}: that path with every symlink resolved (also when the last one dangles, as mid-swap);</li>
 *   <li>{@code mountPoint}: the real directory is the root of a mount (a container volume, a bind mount), so it
 *   cannot be renamed, and its parent is another filesystem that may be read-only. Checkpoints then go inside it,
 *   under {@link #SCRATCH}, which RocksDB ignores (it only acts on the file names it writes itself).</li>
 * </ul>
 */
public record DatabaseLocation(Path configured, Path real, boolean mountPoint) {
    /** The reserved directory inside a database directory that is a mount point. */
    public static final String SCRATCH = ".meridian";


    /** Resolves a configured database path. Blocking (file system calls); run it on the I/O or RocksDB dispatcher. */
    public static DatabaseLocation of(Path configured) throws IOException {
        BlockingGuard.check("resolve database path " + configured);
        Path real = realPath(configured);
        return new DatabaseLocation(configured, real, isMountPoint(real));
    }

    /** Where a backup's checkpoint goes: beside the real directory, or inside it when that is a mount point. */
    public Path checkpoint(String id) {
        return mountPoint
                ? real.resolve(SCRATCH).resolve("checkpoint-" + id)
                : real.resolveSibling("." + real.getFileName() + ".meridian-checkpoint-" + id);
    }

    /**
     * Scratch directories placed inside a reserved directory by {@link #newCheckpoint} and not yet removed. The
     * reserved directory is removed only when none is left: a backup's clean-up runs after its reply, and used to
     * delete the empty reserved directory between the next backup's {@link #newCheckpoint} and RocksDB's mkdir of
     * its checkpoint there ("While mkdir: ... No such file or directory", seen in CI).
     */
    private static final Set<Path> PLACED = new HashSet<>();

    /** {@link #checkpoint}, with the reserved directory created (durably) when the checkpoint goes inside. */
    public Path newCheckpoint(String id) throws IOException {
        Path dir = checkpoint(id);
        if (mountPoint) {
            synchronized (PLACED) {
                DurableFiles.createDirectories(dir.getParent());
                PLACED.add(dir);
            }
        }
        return dir;
    }

    /**
     * Removes a scratch directory made by this class, and the reserved directory inside a mount point when that
     * is left empty and no other scratch directory has been placed in it (so the database directory looks as
     * before). Idempotent.
     */
    public static void removeScratch(Path scratch) throws IOException {
        DurableFiles.deleteTree(scratch);
        Path parent = scratch.getParent();
        if (parent != null && parent.getFileName() != null && parent.getFileName().toString().equals(SCRATCH)) {
            synchronized (PLACED) {
                PLACED.remove(scratch);
                if (PLACED.stream().anyMatch(p -> parent.equals(p.getParent()))) {
                    return; // another backup's checkpoint is about to be, or is being, written there
                }
                try {
                    Files.deleteIfExists(parent);
                } catch (DirectoryNotEmptyException e) {
                    // a scratch directory of an earlier process, left for start-up recovery
                }
            }
        }
    }

    /**
     * The path with all symlinks resolved ({@link ResolvedPath}). Unlike {@link Path#toRealPath} it works when the
     * last component is missing or a dangling symlink (a crash between the two renames of a swap leaves exactly that).
     *
     * @throws IOException for a symlink loop, naming the path
     */
    static Path realPath(Path configured) throws IOException {
        return ResolvedPath.of(configured).real();
    }

    /**
     * True when the directory is the root of a mount: its device differs from its parent's, or it is listed in
     * /proc/self/mountinfo (a bind mount from the same filesystem keeps the device but still cannot be renamed).
     */
    static boolean isMountPoint(Path real) throws IOException {
        if (!Files.isDirectory(real, LinkOption.NOFOLLOW_LINKS) || real.getParent() == null) {
            return false;
        }
        Object dev = Files.getAttribute(real, "unix:dev", LinkOption.NOFOLLOW_LINKS);
        Object parentDev = Files.getAttribute(real.getParent(), "unix:dev");
        if (!dev.equals(parentDev)) {
            return true;
        }
        return mountPoints().contains(real);
    }

    /** Mount points of this process's mount namespace; empty where /proc is not available. */
    static Set<Path> mountPoints() {
        Path info = Path.of("/proc/self/mountinfo");
        Set<Path> out = new HashSet<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(info, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return out;
        }
        for (String line : lines) {
            String[] fields = line.split(" ");
            if (fields.length > 4) {
                out.add(Path.of(unescape(fields[4])));
            }
        }
        return out;
    }

    /** mountinfo writes space, tab, newline and backslash in a path as octal escapes (\040 and so on). */
    static String unescape(String field) {
        StringBuilder sb = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length()
                    && field.substring(i + 1, i + 4).chars().allMatch(d -> d >= '0' && d <= '7')) {
                sb.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
