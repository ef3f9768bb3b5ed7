/**
 * The embedding API: Meridian Backup inside a JVM application that owns its RocksDB databases
 * (docs/embedding.md). {@code Meridian} starts the engine in the host's JVM and takes the host's open handles;
 * {@code HandOff} lets the host release and reopen a database for an in-place restore; {@code Migration} is a
 * schema migration run with a pre-migration backup and automatic rollback.
 *
 * <p>Layer 11 (wiring, beside {@code server}). May import: {@code server}, {@code engine}, {@code config},
 * {@code model}, {@code runtime}, {@code rocks}, rocksdbjni (its public types are the host's handles), the JDK.
 */
package dev.meridian.backup.embed;
