package dev.meridian.backup.store;

import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Invariant 8: blocking RocksDB and file I/O never runs on Pekko's default or internal dispatcher. Every blocking
 * entry point calls {@link #check}; a violation is logged and counted, and in strict mode (the test suite sets
 * {@code -Dmeridian.strict-dispatchers=true}) it throws, so a test that routes I/O onto the wrong thread fails.
 */
public final class BlockingGuard {
    private static final Logger log = LoggerFactory.getLogger(BlockingGuard.class);
    private static final AtomicLong violations = new AtomicLong();
    private static final boolean STRICT = Boolean.getBoolean("meridian.strict-dispatchers");

    private BlockingGuard() {}

    public static void check(String operation) {
        String thread = Thread.currentThread().getName();
        if (thread.contains("default-dispatcher") || thread.contains("internal-dispatcher")) {
            violations.incrementAndGet();
            String msg = "blocking operation '" + operation + "' ran on dispatcher thread " + thread
                    + "; it must run on meridian.io-dispatcher or meridian.rocksdb-dispatcher";
            log.error(msg);
            if (STRICT) {
                throw new IllegalStateException(msg);
            }
        }
    }

    public static long violations() {
        return violations.get();
    }
}
