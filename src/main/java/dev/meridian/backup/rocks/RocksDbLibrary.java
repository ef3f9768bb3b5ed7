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
     */
    public static void load() {
        RocksDB.loadLibrary();
    }
}
