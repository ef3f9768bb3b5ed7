/**
 * {@code MemBlobStore}: blobs in memory with the file store's visibility rules (nothing is seen before commit). It
 * backs the engine's warm-up and the tests; one contract test covers it and the file store alike.
 *
 * <p>Layer 2. May import: {@code store}, {@code model}, {@code hash}, the JDK.
 */
package dev.meridian.backup.store.mem;
