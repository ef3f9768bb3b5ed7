/**
 * Meridian's own BLAKE3 ({@code Blake3}): a scalar compression function ({@code Blake3Compress}), a SIMD path over the
 * incubating Vector API ({@code Blake3Vector}, several chunks per call, one per lane), and the bounded background
 * warm-up that switches the SIMD path on only once C2 has compiled it ({@code Blake3Warmup}). Digests are 32 bytes;
 * {@code model.Hash} is their hex form.
 *
 * <p>Layer 1 (bottom). May import: the JDK and {@code jdk.incubator.vector}; {@code model} (same layer, not used
 * today).
 */
package dev.meridian.backup.hash;
