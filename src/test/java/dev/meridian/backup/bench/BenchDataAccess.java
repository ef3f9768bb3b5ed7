package dev.meridian.backup.bench;

import java.io.IOException;
import java.nio.file.Path;

/** Opens the package-private benchmark data builders to tests in other packages. */
public final class BenchDataAccess {
    private BenchDataAccess() {}

    public static void generateManySsts(Path dir, long mib, int files) throws IOException {
        BenchData.generateManySsts(dir, mib, files, 1);
    }

    public static int sstCount(Path dir) throws IOException {
        return BenchData.fileCounts(dir)[1];
    }
}
