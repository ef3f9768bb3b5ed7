package dev.meridian.backup.hash;

import static jdk.incubator.vector.VectorOperators.ROR;
import static jdk.incubator.vector.VectorOperators.XOR;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Hashes several BLAKE3 chunks (or parent nodes) at once, one per vector lane.
 *
 * <p>Only loaded after {@link Blake3} has seen {@code jdk.incubator.vector} in the boot layer.
 *
 * <p>Layout of the caller's work array: the transposed message ({@code (16 * b + j) * L + i} holds word j of block b
 * for lane i), then the 8 chaining-value vectors, then the low and high counter words of each lane.
 */
final class Blake3Vector {
    private static final VectorSpecies<Integer> S = IntVector.SPECIES_PREFERRED;
    static final int L = S.length();

    private static final int H = 16 * 16 * L;
    private static final int LO = H + 8 * L;
    private static final int HI = LO + L;
    /** Length of the work array callers provide. */
    static final int WORK_LEN = HI + L;
    /**
     * Entry 16r + i is the offset, within a block's transposed message, of the vector that round r uses in position i:
     * the message permutation as a table, so the rounds can run as a loop while the message stays in memory rather
     * than in 16 more vector registers.
     */
    private static final int[] SCHEDULE = schedule();

    private Blake3Vector() {
    }

    private static int[] schedule() {
        int[] perm = {2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8};
        int[] words = new int[16];
        for (int i = 0; i < 16; i++) {
            words[i] = i;
        }
        int[] sched = new int[7 * 16];
        for (int r = 0; r < 7; r++) {
            for (int i = 0; i < 16; i++) {
                sched[16 * r + i] = words[i] * L;
            }
            int[] next = new int[16];
            for (int i = 0; i < 16; i++) {
                next[i] = words[perm[i]];
            }
            words = next;
        }
        return sched;
    }

    /**
     * Hashes {@code count} (1..L) whole chunks starting at {@code in[off]} with chunk counters {@code counter, counter + 1, ...}
     * and writes their chaining values to {@code out[outOff + 8 * i]}.
     */
    static void chunks(byte[] in, int off, int count, long counter, int[] key, int flags, int[] work, int[] out,
                       int outOff) {
        // Plain int moves: C2 on JDK 17 intrinsifies gathers only in some compilations, and they are slow on some CPUs.
        for (int i = 0; i < count; i++) {
            int from = off + i * Blake3Compress.CHUNK_LEN;
            for (int w = 0; w < Blake3Compress.CHUNK_LEN / 4; w++) {
                work[w * L + i] = (int) Blake3Compress.LE_INT.get(in, from + 4 * w);
            }
        }
        compress(work, count, 16, key, counter, true, flags, out, outOff);
    }

    /**
     * Computes the chaining value of the complete subtree of {@code chunks} chunks (a power of two, at least L,
     * at most {@code cvs.length / 8}) starting at {@code in[off]} whose first chunk has index {@code counter}.
     */
    static void subtree(byte[] in, int off, int chunks, long counter, int[] key, int flags, int[] work, int[] cvs,
                        int[] out, int outOff) {
        for (int c = 0; c < chunks; c += L) {
            chunks(in, off + c * Blake3Compress.CHUNK_LEN, L, counter + c, key, flags, work, cvs, 8 * c);
        }
        int parentFlags = flags | Blake3Compress.PARENT;
        // Each level halves the CVs in place: parent i reads cvs[16i..16i+16) and writes cvs[8i..8i+8), never ahead of its reads.
        for (int n = chunks >>> 1; n > 0; n >>>= 1) {
            if (n >= L) {
                for (int g = 0; g < n; g += L) {
                    for (int i = 0; i < L; i++) {
                        for (int j = 0; j < 16; j++) {
                            work[j * L + i] = cvs[16 * (g + i) + j];
                        }
                    }
                    compress(work, L, 1, key, 0, false, parentFlags, cvs, 8 * g);
                }
            } else {
                for (int i = 0; i < n; i++) {
                    Blake3Compress.compress(key, 0, cvs, 16 * i, 0, Blake3Compress.BLOCK_LEN, parentFlags, cvs, 8 * i);
                }
            }
        }
        System.arraycopy(cvs, 0, out, outOff, 8);
    }

    /**
     * Runs {@code blocks} chained compressions over the transposed message in {@code work}, in every lane; chunks get
     * counter + i and the chunk start/end flags. Writes the chaining value of lane i ({@code i < lanes}; the other
     * lanes hashed leftovers) to {@code out[outOff + 8 * i]}.
     *
     * <p>The vector work is kept in {@link #block}, a method small enough that C2 always has the inlining budget to
     * intrinsify every vector operation in it: in a larger method some were left as calls that allocate per round.
     */
    private static void compress(int[] work, int lanes, int blocks, int[] key, long counter, boolean chunk, int flags,
                                 int[] out, int outOff) {
        for (int i = 0; i < L; i++) {
            long c = chunk ? counter + i : counter;
            work[LO + i] = (int) c;
            work[HI + i] = (int) (c >>> 32);
            for (int w = 0; w < 8; w++) {
                work[H + w * L + i] = key[w];
            }
        }
        for (int b = 0; b < blocks; b++) {
            int f = flags;
            if (chunk) {
                f |= (b == 0 ? Blake3Compress.CHUNK_START : 0) | (b == blocks - 1 ? Blake3Compress.CHUNK_END : 0);
            }
            block(work, 16 * L * b, f);
        }
        for (int i = 0; i < lanes; i++) {
            for (int w = 0; w < 8; w++) {
                out[outOff + 8 * i + w] = work[H + w * L + i];
            }
        }
    }

    /** One compression in every lane: chaining values from and to {@code work[H..]}, message at {@code work[m..]}. */
    private static void block(int[] work, int m, int flags) {
        int[] sched = SCHEDULE;
        IntVector v0 = IntVector.fromArray(S, work, H);
        IntVector v1 = IntVector.fromArray(S, work, H + L);
        IntVector v2 = IntVector.fromArray(S, work, H + 2 * L);
        IntVector v3 = IntVector.fromArray(S, work, H + 3 * L);
        IntVector v4 = IntVector.fromArray(S, work, H + 4 * L);
        IntVector v5 = IntVector.fromArray(S, work, H + 5 * L);
        IntVector v6 = IntVector.fromArray(S, work, H + 6 * L);
        IntVector v7 = IntVector.fromArray(S, work, H + 7 * L);
        IntVector v8 = IntVector.broadcast(S, Blake3Compress.IV0);
        IntVector v9 = IntVector.broadcast(S, Blake3Compress.IV1);
        IntVector v10 = IntVector.broadcast(S, Blake3Compress.IV2);
        IntVector v11 = IntVector.broadcast(S, Blake3Compress.IV3);
        IntVector v12 = IntVector.fromArray(S, work, LO);
        IntVector v13 = IntVector.fromArray(S, work, HI);
        IntVector v14 = IntVector.broadcast(S, Blake3Compress.BLOCK_LEN);
        IntVector v15 = IntVector.broadcast(S, flags);
        for (int k = 0; k < 7 * 16; k += 16) {
            v0 = v0.add(v4).add(IntVector.fromArray(S, work, m + sched[k]));
            v1 = v1.add(v5).add(IntVector.fromArray(S, work, m + sched[k + 2]));
            v2 = v2.add(v6).add(IntVector.fromArray(S, work, m + sched[k + 4]));
            v3 = v3.add(v7).add(IntVector.fromArray(S, work, m + sched[k + 6]));
            v12 = v12.lanewise(XOR, v0).lanewise(ROR, 16);
            v13 = v13.lanewise(XOR, v1).lanewise(ROR, 16);
            v14 = v14.lanewise(XOR, v2).lanewise(ROR, 16);
            v15 = v15.lanewise(XOR, v3).lanewise(ROR, 16);
            v8 = v8.add(v12);
            v9 = v9.add(v13);
            v10 = v10.add(v14);
            v11 = v11.add(v15);
            v4 = v4.lanewise(XOR, v8).lanewise(ROR, 12);
            v5 = v5.lanewise(XOR, v9).lanewise(ROR, 12);
            v6 = v6.lanewise(XOR, v10).lanewise(ROR, 12);
            v7 = v7.lanewise(XOR, v11).lanewise(ROR, 12);
            v0 = v0.add(v4).add(IntVector.fromArray(S, work, m + sched[k + 1]));
            v1 = v1.add(v5).add(IntVector.fromArray(S, work, m + sched[k + 3]));
            v2 = v2.add(v6).add(IntVector.fromArray(S, work, m + sched[k + 5]));
            v3 = v3.add(v7).add(IntVector.fromArray(S, work, m + sched[k + 7]));
            v12 = v12.lanewise(XOR, v0).lanewise(ROR, 8);
            v13 = v13.lanewise(XOR, v1).lanewise(ROR, 8);
            v14 = v14.lanewise(XOR, v2).lanewise(ROR, 8);
            v15 = v15.lanewise(XOR, v3).lanewise(ROR, 8);
            v8 = v8.add(v12);
            v9 = v9.add(v13);
            v10 = v10.add(v14);
            v11 = v11.add(v15);
            v4 = v4.lanewise(XOR, v8).lanewise(ROR, 7);
            v5 = v5.lanewise(XOR, v9).lanewise(ROR, 7);
            v6 = v6.lanewise(XOR, v10).lanewise(ROR, 7);
            v7 = v7.lanewise(XOR, v11).lanewise(ROR, 7);
            v0 = v0.add(v5).add(IntVector.fromArray(S, work, m + sched[k + 8]));
            v1 = v1.add(v6).add(IntVector.fromArray(S, work, m + sched[k + 10]));
            v2 = v2.add(v7).add(IntVector.fromArray(S, work, m + sched[k + 12]));
            v3 = v3.add(v4).add(IntVector.fromArray(S, work, m + sched[k + 14]));
            v15 = v15.lanewise(XOR, v0).lanewise(ROR, 16);
            v12 = v12.lanewise(XOR, v1).lanewise(ROR, 16);
            v13 = v13.lanewise(XOR, v2).lanewise(ROR, 16);
            v14 = v14.lanewise(XOR, v3).lanewise(ROR, 16);
            v10 = v10.add(v15);
            v11 = v11.add(v12);
            v8 = v8.add(v13);
            v9 = v9.add(v14);
            v5 = v5.lanewise(XOR, v10).lanewise(ROR, 12);
            v6 = v6.lanewise(XOR, v11).lanewise(ROR, 12);
            v7 = v7.lanewise(XOR, v8).lanewise(ROR, 12);
            v4 = v4.lanewise(XOR, v9).lanewise(ROR, 12);
            v0 = v0.add(v5).add(IntVector.fromArray(S, work, m + sched[k + 9]));
            v1 = v1.add(v6).add(IntVector.fromArray(S, work, m + sched[k + 11]));
            v2 = v2.add(v7).add(IntVector.fromArray(S, work, m + sched[k + 13]));
            v3 = v3.add(v4).add(IntVector.fromArray(S, work, m + sched[k + 15]));
            v15 = v15.lanewise(XOR, v0).lanewise(ROR, 8);
            v12 = v12.lanewise(XOR, v1).lanewise(ROR, 8);
            v13 = v13.lanewise(XOR, v2).lanewise(ROR, 8);
            v14 = v14.lanewise(XOR, v3).lanewise(ROR, 8);
            v10 = v10.add(v15);
            v11 = v11.add(v12);
            v8 = v8.add(v13);
            v9 = v9.add(v14);
            v5 = v5.lanewise(XOR, v10).lanewise(ROR, 7);
            v6 = v6.lanewise(XOR, v11).lanewise(ROR, 7);
            v7 = v7.lanewise(XOR, v8).lanewise(ROR, 7);
            v4 = v4.lanewise(XOR, v9).lanewise(ROR, 7);
        }
        v0.lanewise(XOR, v8).intoArray(work, H);
        v1.lanewise(XOR, v9).intoArray(work, H + L);
        v2.lanewise(XOR, v10).intoArray(work, H + 2 * L);
        v3.lanewise(XOR, v11).intoArray(work, H + 3 * L);
        v4.lanewise(XOR, v12).intoArray(work, H + 4 * L);
        v5.lanewise(XOR, v13).intoArray(work, H + 5 * L);
        v6.lanewise(XOR, v14).intoArray(work, H + 6 * L);
        v7.lanewise(XOR, v15).intoArray(work, H + 7 * L);
    }
}
