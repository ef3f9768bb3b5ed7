package dev.meridian.backup.rocks;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many files one open database may keep open ({@code max_open_files}), derived from the process's soft
 * open-file limit (RLIMIT_NOFILE, {@code ulimit -n}). RocksDB's default, -1, keeps every SST open, so a database
 * of more SSTs than the limit cannot even be opened.
 *
 * <p>Formula: reserve {@code max(limit / 4, min(256, limit / 2))} descriptors for the JVM, the repository, HTTP
 * sockets and read-only checkpoint opens; split the rest evenly among the databases open side by side ({@link #share});
 * never below 20
 * (RocksDB's own minimum). With {@code ulimit -n 1024} and one database that is 768; with 65536, 49152.
 */
public final class FileDescriptorBudget {
    /** Used when the platform does not report its limit (not a Unix JVM). */
    static final int UNKNOWN_LIMIT_BUDGET = 1000;
    private static final int ROCKSDB_MINIMUM = 20;
    /** Databases opened side by side in this process, over every engine in it (the server's and, at start, the warm-up's). */
    private static final AtomicInteger DATABASES = new AtomicInteger();

    private FileDescriptorBudget() {}

    /**
     * Adds an engine's {@code configuredDatabases} to the databases this process opens side by side, which share the
     * process's one limit; the returned action gives the share back (once; later calls do nothing) when that engine
     * stops. Two engines in one process (the warm-up's scratch engine beside the server's, at start) therefore split
     * the limit between them instead of each sizing its databases as if it were alone.
     */
    public static Runnable share(int configuredDatabases) {
        int n = Math.max(0, configuredDatabases);
        DATABASES.addAndGet(n);
        AtomicBoolean released = new AtomicBoolean();
        return () -> {
            if (released.compareAndSet(false, true)) {
                DATABASES.addAndGet(-n);
            }
        };
    }

    /** How many databases currently share the limit (at least 1). */
    static int databasesSharing() {
        return Math.max(1, DATABASES.get());
    }

    /** The process's soft open-file limit, or -1 when the platform does not report it. */
    public static long processLimit() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.UnixOperatingSystemMXBean unix ? unix.getMaxFileDescriptorCount() : -1;
    }

    /** {@code max_open_files} for one database under the current process limit. */
    public static int perDatabase() {
        return perDatabase(processLimit(), databasesSharing());
    }

    static int perDatabase(long limit, int databases) {
        if (limit <= 0) {
            return UNKNOWN_LIMIT_BUDGET;
        }
        long reserve = Math.max(limit / 4, Math.min(256, limit / 2));
        long share = (limit - reserve) / Math.max(1, databases);
        return (int) Math.max(ROCKSDB_MINIMUM, Math.min(Integer.MAX_VALUE, share));
    }

    /**
     * The {@code max_open_files} to open with: the owner's value when it is bounded and fits the budget; the owner's
     * -1 ("keep every SST open") while the database's {@code sstFiles} take at most half the budget, so the OPTIONS
     * file RocksDB writes on open stays the owner's; else the budget. A Meridian-owned database grows only through
     * a restore, which reopens it and decides again.
     */
    static int maxOpenFiles(int ownerValue, long sstFiles) {
        int budget = perDatabase();
        if (ownerValue < 0 && sstFiles <= budget / 2) {
            return ownerValue;
        }
        return ownerValue > 0 && ownerValue <= budget ? ownerValue : budget;
    }
}
