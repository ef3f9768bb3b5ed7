package dev.meridian.backup.rocks;

import org.rocksdb.RocksDB;

/**
 * RocksDB's native library. Loading it is the largest one-time cost of the first database open in a process:
 * rocksdbjni inflates its shared library (about 60 MB for linux-x86_64) from the jar into a temporary file and
 * links it, 200-350 ms on a 2-core machine. The engine loads it in the background at start ({@code EngineWarmup}),
 * while the repository and the actor system start, so that the first open does not wait for it.
 */
public final class RocksDbLibrary {
    private RocksDbLibrary() {}

    /**
     * Loads the library if this process has not (idempotent and thread-safe: rocksdbjni loads it once per class
     * loader). Blocks while it loads.
     *
     * @throws UnsatisfiedLinkError or another {@link LinkageError} when the platform has no library in the jar
     * @throws IllegalStateException when rocksdbjni cannot unpack it (its "Unable to load the RocksDB shared
     *     library"), with what to do: a writable {@code java.io.tmpdir}, or {@code ROCKSDB_SHAREDLIB_DIR}
     */
    public static void load() {
        try {
            RocksDB.loadLibrary();
        } catch (RuntimeException e) {
            String tmp = System.getProperty("java.io.tmpdir");
            throw new IllegalStateException("RocksDB's native library could not be loaded (" + e.getMessage()
                    + (e.getCause() == null ? "" : ": " + e.getCause().getMessage()) + "); rocksdbjni unpacks it into "
                    + "java.io.tmpdir (" + tmp + "), which must be writable and not mounted noexec: set -Djava.io.tmpdir "
                    + "to such a directory, or ROCKSDB_SHAREDLIB_DIR to a directory holding librocksdbjni", e);
        }
    }
}
