/**
 * The benchmark behind {@code bin/meridian-backup bench} (docs/performance.md). Besides {@code rocks/}, this is the
 * one package that imports {@code org.rocksdb}: its reference contender is RocksDB's own BackupEngine, and it builds
 * the databases it measures. It only calls the engine through {@link dev.meridian.backup.engine.Engine}, as a user would.
 */
package dev.meridian.backup.bench;
