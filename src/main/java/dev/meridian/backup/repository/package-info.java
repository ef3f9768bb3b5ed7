/**
 * Content-addressed objects and manifests over a {@code store.BlobStore}. {@code Repository} ingests and reads objects
 * (named by their Blake3, encoded by {@code ObjectCodec} behind an {@code ObjectHeader}, compressed per
 * {@code Compression}), publishes manifests ({@code ManifestCodec}), pins objects in flight and runs garbage collection
 * under one lock. {@code Catalog} is the in-memory index of published backups (list, stats, reference counts).
 * {@code RepositoryFormat} is {@code config.json}; {@code RepositoryLock} keeps one writer per repository. Beside it,
 * the local state of jobs: {@code JobJournal} (work in flight outside the repository, for recovery),
 * {@code FileFingerprints} (unchanged SSTs recognised without reading them), {@code IoThrottle} (the I/O rate cap).
 * Encrypted repositories: {@code SealedBlob} seals manifests and records; the keys, key slots and ciphers live in
 * {@code repository.seal}.
 *
 * <p>Layer 3. May import: {@code store} (and {@code store.file}, {@code store.mem}), {@code model}, {@code hash},
 * Jackson, zstd-jni, SLF4J, the JDK. Never Pekko and never RocksDB.
 */
package dev.meridian.backup.repository;
