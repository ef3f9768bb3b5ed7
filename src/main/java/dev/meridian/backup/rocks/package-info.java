/**
 * Everything that touches RocksDB, and the only package besides {@code bench} and {@code embed} (whose public API
 * takes the host's handles) that imports {@code org.rocksdb}.
 * {@code LiveDatabase} is one open database with all its column families (checkpoints, stats, close), Meridian's own
 * or a host application's ({@code attach}: never closed by Meridian, released and reopened through the host's
 * {@code HostHandOff} for an in-place restore);
 * {@code DatabaseLocation} is where a database really lives (symlinks resolved, mount points detected), so scratch
 * directories land on its filesystem; {@code OptionsFile} reads the OPTIONS file and refuses what RocksDB would
 * silently replace; {@code SstChecksum} checks an SST's block checksums; {@code FileDescriptorBudget} sizes
 * {@code max_open_files} from the process's open-file limit; {@code RocksDbLibrary} loads the native library (the
 * engine does it in the background at start).
 *
 * <p>Layer 3. May import: {@code store}, {@code store.file}, {@code model}, {@code hash}, {@code repository} (same
 * layer, while acyclic), rocksdbjni, the JDK. Never Pekko.
 */
package dev.meridian.backup.rocks;
