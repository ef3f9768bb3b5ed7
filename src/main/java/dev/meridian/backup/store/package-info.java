/**
 * Where the repository keeps its bytes. A {@code BlobStore} holds blobs under keys ({@code BlobKeys}: relative,
 * '/'-separated, never leaving the store); a blob is written through a {@code PendingBlob} and becomes visible, and
 * durable, only when committed. {@code BlockingGuard} is invariant 8: every blocking entry point calls it, and it
 * counts (or, in strict mode, throws on) blocking work on a Pekko default or internal dispatcher thread.
 * Implementations: {@code store.file} (local disk) and {@code store.mem} (tests).
 *
 * <p>Layer 2. May import: {@code model}, {@code hash}, SLF4J, the JDK.
 */
package dev.meridian.backup.store;
