/**
 * The benchmark behind {@code bin/meridian-backup bench} (docs/performance.md). {@code Benchmark} builds or copies a
 * database ({@code BenchData}) and runs the contenders ({@code CopyContender}, the physical limit;
 * {@code BackupEngineContender}, RocksDB's own BackupEngine; {@code MeridianContender}, the whole engine through
 * {@link dev.meridian.backup.engine.Engine} as a user runs it) in rotating {@code Round}s, each {@code Operation}
 * timed, its heap measured ({@code HeapMeter}) and marked in flight recordings ({@code OperationEvent}); the
 * {@code BenchReport} holds the medians and ratios. Beside it: {@code HashThroughput} (Blake3 against BouncyCastle),
 * {@code CatalogScale} (list and stats over REST with many backups), {@code ColdStart} with {@code ColdOperation}
 * (first operation in a fresh JVM), {@code ClientLatency} (client verbs end to end), {@code ProfileBreakdown}
 * (where the time goes, from a recording), {@code EncryptionOverhead}, and {@code ResticComparison} (Meridian against
 * {@code ResticContender} on the S3 server of {@code BenchS3}). {@code Alternation} runs the rotating rounds and
 * computes medians and per-round ratios for all of them.
 *
 * <p>Layer 11 (process wiring, beside {@code server} and {@code cli}; {@code cli} runs it). May import every layer
 * below and {@code server}. Besides {@code rocks}, this is the one package that imports {@code org.rocksdb}: its
 * reference contender is BackupEngine, and it builds the databases it measures (opened as Meridian opens them,
 * through {@code rocks.LiveDatabase}). Meridian's operations are timed only through the engine facade.
 */
package dev.meridian.backup.bench;
