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

    public static boolean run(String... command) throws Exception {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        }
    }
}
