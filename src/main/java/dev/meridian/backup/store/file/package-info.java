/**
 * The local-disk blob store ({@code FileBlobStore}: write to {@code tmp/}, fsync, rename, fsync the directory) and
 * {@code DurableFiles}, the one way any layer writes a file that must survive a crash whole or not at all: atomic
 * write, rename, directory fsync (tolerating filesystems that refuse it), durable directory creation, tree deletion.
 * The job journal, the fingerprint cache, OPTIONS rewrites, restore's staging and swap, startup recovery and the
 * benchmark all use {@code DurableFiles} rather than their own copy of the sequence.
 *
 * <p>Layer 2. May import: {@code store}, {@code model}, {@code hash}, the JDK.
 */
package dev.meridian.backup.store.file;
