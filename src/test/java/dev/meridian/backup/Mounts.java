package dev.meridian.backup;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Real mounts for tests of filesystem faults (a full disk, a database directory that is a mount point, a
 * read-only parent). Mounting needs root, as CI runs; elsewhere each call answers false and the test skips with a
 * reason ({@code assumeTrue(Mounts.tmpfs(...), "...")}).
 */
public final class Mounts {
    /** Debian's python3-fusepy installs for the system interpreter, not for one a version manager puts first on PATH. */
    private static final String SYSTEM_PYTHON = "/usr/bin/python3";

    private Mounts() {}

    public static boolean tmpfs(Path at, String size) throws Exception {
        return run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", at.toString());
    }

    /** Makes {@code from} also visible at {@code at} (a bind mount: same filesystem, separate mount point). */
    public static boolean bind(Path from, Path at) throws Exception {
        return run("mount", "--bind", from.toString(), at.toString());
    }

    public static boolean remountReadOnly(Path at) throws Exception {
        return run("mount", "-o", "remount,ro", at.toString());
    }

    /** Lazy unmount: never fails a test's cleanup because something still has a file open there. */
    public static boolean unmount(Path at) throws Exception {
        return run("umount", "-l", at.toString());
    }

    /**
     * Mounts at {@code at} a FUSE filesystem over {@code backing} whose directory fsync fails with EINVAL (the test
     * resource fuse/refuse_dir_fsync.py). Returns its process, or null when it cannot run here (not root, no
     * /dev/fuse, or python3-fusepy missing: {@code apt-get install python3-fusepy}). Unmount with {@link #unmount}.
     */
    public static Process fuseRefusingDirectoryFsync(Path backing, Path at) throws Exception {
        if (!java.nio.file.Files.exists(Path.of("/dev/fuse")) || !run(SYSTEM_PYTHON, "-c", "import fusepy")) {
            return null;
        }
        Path script = Path.of(Mounts.class.getResource("/fuse/refuse_dir_fsync.py").toURI());
        Process p = new ProcessBuilder(SYSTEM_PYTHON, script.toString(), backing.toString(), at.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline && p.isAlive()) {
            if (java.nio.file.Files.readString(Path.of("/proc/self/mountinfo")).contains(" " + at + " ")) {
                return p;
            }
            Thread.sleep(50);
        }
        p.destroyForcibly();
        return null;
    }

    public static boolean run(String... command) throws Exception {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        }
    }
}
