package dev.meridian.backup.hash;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Scalar BLAKE3 compression function.
 *
 * <p>The seven rounds are unrolled and the message permutation is applied when the code is written,
 * so the JIT sees straight-line code over 32 local ints with no table look-ups or allocation.
 */
final class Blake3Compress {
    static final int IV0 = 0x6A09E667;
    static final int IV1 = 0xBB67AE85;
    static final int IV2 = 0x3C6EF372;
    static final int IV3 = 0xA54FF53A;
    static final int IV4 = 0x510E527F;
    static final int IV5 = 0x9B05688C;
    static final int IV6 = 0x1F83D9AB;
    static final int IV7 = 0x5BE0CD19;

    static final int CHUNK_START = 1;
    static final int CHUNK_END = 2;
    static final int PARENT = 4;
    static final int ROOT = 8;
    static final int KEYED_HASH = 16;
    static final int DERIVE_KEY_CONTEXT = 32;
    static final int DERIVE_KEY_MATERIAL = 64;

    static final int BLOCK_LEN = 64;
    static final int CHUNK_LEN = 1024;

    /** Reads little-endian ints straight out of byte arrays (one bounds-checked load each, no copying). */
    static final VarHandle LE_INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private Blake3Compress() {
    }

    /**
     * Compresses the 64-byte block at {@code block[blockOff]} into the chaining value {@code cv[cvOff..+8]}
     * and writes the 8-word result to {@code out[outOff..+8]} (which may alias the input chaining value).
     */
    static void compress(int[] cv, int cvOff, byte[] block, int blockOff, long counter, int blockLen, int flags,
                         int[] out, int outOff) {
        int m0 = (int) LE_INT.get(block, blockOff);
        int m1 = (int) LE_INT.get(block, blockOff + 4);
        int m2 = (int) LE_INT.get(block, blockOff + 8);
        int m3 = (int) LE_INT.get(block, blockOff + 12);
        int m4 = (int) LE_INT.get(block, blockOff + 16);
        int m5 = (int) LE_INT.get(block, blockOff + 20);
        int m6 = (int) LE_INT.get(block, blockOff + 24);
        int m7 = (int) LE_INT.get(block, blockOff + 28);
        int m8 = (int) LE_INT.get(block, blockOff + 32);
        int m9 = (int) LE_INT.get(block, blockOff + 36);
        int m10 = (int) LE_INT.get(block, blockOff + 40);
        int m11 = (int) LE_INT.get(block, blockOff + 44);
        int m12 = (int) LE_INT.get(block, blockOff + 48);
        int m13 = (int) LE_INT.get(block, blockOff + 52);
        int m14 = (int) LE_INT.get(block, blockOff + 56);
        int m15 = (int) LE_INT.get(block, blockOff + 60);
        rounds(cv, cvOff, m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, counter, blockLen, flags,
                out, outOff);
    }

    /**
     * Same as {@link #compress(int[], int, byte[], int, long, int, int, int[], int)} with the message given as
     * 16 words at {@code words[wordsOff]}; all inputs are read before {@code out} is written, so it may alias them.
     */
    static void compress(int[] cv, int cvOff, int[] words, int wordsOff, long counter, int blockLen, int flags,
                         int[] out, int outOff) {
        int m0 = words[wordsOff];
        int m1 = words[wordsOff + 1];
        int m2 = words[wordsOff + 2];
        int m3 = words[wordsOff + 3];
        int m4 = words[wordsOff + 4];
        int m5 = words[wordsOff + 5];
        int m6 = words[wordsOff + 6];
        int m7 = words[wordsOff + 7];
        int m8 = words[wordsOff + 8];
        int m9 = words[wordsOff + 9];
        int m10 = words[wordsOff + 10];
        int m11 = words[wordsOff + 11];
        int m12 = words[wordsOff + 12];
        int m13 = words[wordsOff + 13];
        int m14 = words[wordsOff + 14];
        int m15 = words[wordsOff + 15];
        rounds(cv, cvOff, m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, counter, blockLen, flags,
                out, outOff);
    }

    /** The seven rounds and the output feed-forward, on message words already in locals (one copy of the unrolled code). */
    private static void rounds(int[] cv, int cvOff, int m0, int m1, int m2, int m3, int m4, int m5, int m6, int m7,
                               int m8, int m9, int m10, int m11, int m12, int m13, int m14, int m15, long counter,
                               int blockLen, int flags, int[] out, int outOff) {
        int s0 = cv[cvOff];
        int s1 = cv[cvOff + 1];
        int s2 = cv[cvOff + 2];
        int s3 = cv[cvOff + 3];
        int s4 = cv[cvOff + 4];
        int s5 = cv[cvOff + 5];
        int s6 = cv[cvOff + 6];
        int s7 = cv[cvOff + 7];
        int s8 = IV0;
        int s9 = IV1;
        int s10 = IV2;
        int s11 = IV3;
        int s12 = (int) counter;
        int s13 = (int) (counter >>> 32);
        int s14 = blockLen;
        int s15 = flags;
        s0 += s4 + m0; s12 = Integer.rotateRight(s12 ^ s0, 16); s8 += s12; s4 = Integer.rotateRight(s4 ^ s8, 12);
        s0 += s4 + m1; s12 = Integer.rotateRight(s12 ^ s0, 8); s8 += s12; s4 = Integer.rotateRight(s4 ^ s8, 7);
        s1 += s5 + m2; s13 = Integer.rotateRight(s13 ^ s1, 16); s9 += s13; s5 = Integer.rotateRight(s5 ^ s9, 12);
        s1 += s5 + m3; s13 = Integer.rotateRight(s13 ^ s1, 8); s9 += s13; s5 = Integer.rotateRight(s5 ^ s9, 7);
        s2 += s6 + m4; s14 = Integer.rotateRight(s14 ^ s2, 16); s10 += s14; s6 = Integer.rotateRight(s6 ^ s10, 12);
        s2 += s6 + m5; s14 = Integer.rotateRight(s14 ^ s2, 8); s10 += s14; s6 = Integer.rotateRight(s6 ^ s10, 7);
        s3 += s7 + m6; s15 = Integer.rotateRight(s15 ^ s3, 16); s11 += s15; s7 = Integer.rotateRight(s7 ^ s11, 12);
        s3 += s7 + m7; s15 = Integer.rotateRight(s15 ^ s3, 8); s11 += s15; s7 = Integer.rotateRight(s7 ^ s11, 7);
        s0 += s5 + m8; s15 = Integer.rotateRight(s15 ^ s0, 16); s10 += s15; s5 = Integer.rotateRight(s5 ^ s10, 12);
        s0 += s5 + m9; s15 = Integer.rotateRight(s15 ^ s0, 8); s10 += s15; s5 = Integer.rotateRight(s5 ^ s10, 7);
        s1 += s6 + m10; s12 = Integer.rotateRight(s12 ^ s1, 16); s11 += s12; s6 = Integer.rotateRight(s6 ^ s11, 12);
        s1 += s6 + m11; s12 = Integer.rotateRight(s12 ^ s1, 8); s11 += s12; s6 = Integer.rotateRight(s6 ^ s11, 7);
        s2 += s7 + m12; s13 = Integer.rotateRight(s13 ^ s2, 16); s8 += s13; s7 = Integer.rotateRight(s7 ^ s8, 12);
        s2 += s7 + m13; s13 = Integer.rotateRight(s13 ^ s2, 8); s8 += s13; s7 = Integer.rotateRight(s7 ^ s8, 7);
        s3 += s4 + m14; s14 = Integer.rotateRight(s14 ^ s3, 16); s9 += s14; s4 = Integer.rotateRight(s4 ^ s9, 12);
        s3 += s4 + m15; s14 = Integer.rotateRight(s14 ^ s3, 8); s9 += s14; s4 = Integer.rotateRight(s4 ^ s9, 7);
        s0 += s4 + m2; s12 = Integer.rotateRight(s12 ^ s0, 16); s8 += s12; s4 = Integer.rotateRight(s4 ^ s8, 12);
        s0 += s4 + m6; s12 = Integer.rotateRight(s12 ^ s0, 8); s8 += s12; s4 = Integer.rotateRight(s4 ^ s8, 7);
        s1 += s5 + m3; s13 = Integer.rotateRight(s13 ^ s1, 16); s9 += s13; s5 = Integer.rotateRight(s5 ^ s9, 12);
        s1 += s5 + m10; s13 = Integer.rotateRight(s13 ^ s1, 8); s9 += s13; s5 = Integer.rotateRight(s5 ^ s9, 7);
        s2 += s6 + m7; s14 = Integer.rotateRight(s14 ^ s2, 16); s10 += s14; s6 = Integer.rotateRight(s6 ^ s10, 12);
        s2 += s6 + m0; s14 = Integer.rotateRight(s14 ^ s2, 8); s10 += s14; s6 = Integer.rotateRight(s6 ^ s10, 7);
        s3 += s7 + m4; s15 = Integer.rotateRight(s15 ^ s3, 16); s11 += s15; s7 = Integer.rotateRight(s7 ^ s11, 12);
        s3 += s7 + m13; s15 = Integer.rotateRight(s15 ^ s3, 8); s11 += s15; s7 = Integer.rotateRight(s7 ^ s11, 7);
        s0 += s5 + m1; s15 = Integer.rotateRight(s15 ^ s0, 16); s10 += s15; s5 = Integer.rotateRight(s5 ^ s10, 12);
        s0 += s5 + m11; s15 = Integer.rotateRight(s15 ^ s0, 8); s10 += s15; s5 = Integer.rotateRight(s5 ^ s10, 7);
        s1 += s6 + m12; s12 = Integer.rotateRight(s12 ^ s1, 16); s11 += s12; s6 = Integer.rotateRight(s6 ^ s11, 12);
        s1 += s6 + m5; s12 = Integer.rotateRight(s12 ^ s1, 8); s11 += s12; s6 = Integer.rotateRight(s6 ^ s11, 7);
        s2 += s7 + m9; s13 = Integer.rotateRight(s13 ^ s2, 16); s8 += s13; s7 = Integer.rotateRight(s7 ^ s8, 12);
        s2 += s7 + m14; s13 = Integer.rotateRight(s13 ^ s2, 8); s8 += s13; s7 = Integer.rotateRight(s7 ^ s8, 7);
        s3 += s4 + m15; s14 = Integer.rotateRight(s14 ^ s3, 16); s9 += s14; s4 = Integer.rotateRight(s4 ^ s9, 12);
        s3 += s4 + m8; s14 = Integer.rotateRight(s14 ^ s3, 8); s9 += s14; s4 = Integer.rotateRight(s4 ^ s9, 7);
        s0 += s4 + m3; s12 = Integer.rotateRight(s12 ^ s0, 16); s8 += s12; s4 = Integer.rotateRight(s4 ^ s8, 12);
        s0 += s4 + m4; s12 = Integer.rotateRight(s12 ^ s0, 8); s8 += s12; s4 = Integer.rotateRight(s4 ^ s8, 7);
        s1 += s5 + m10; s13 = Integer.rotateRight(s13 ^ s1, 16); s9 += s13; s5 = Integer.rotateRight(s5 ^ s9, 12);
        s1 += s5 + m12; s13 = Integer.rotateRight(s13 ^ s1, 8); s9 += s13; s5 = Integer.rotateRight(s5 ^ s9, 7);
        s2 += s6 + m13; s14 = Integer.rotateRight(s14 ^ s2, 16); s10 += s14; s6 = Integer.rotateRight(s6 ^ s10, 12);
        s2 += s6 + m2; s14 = Integer.rotateRight(s14 ^ s2, 8); s10 += s14; s6 = Integer.rotateRight(s6 ^ s10, 7);
        s3 += s7 + m7; s15 = Integer.rotateRight(s15 ^ s3, 16); s11 += s15; s7 = Integer.rotateRight(s7 ^ s11, 12);
        s3 += s7 + m14; s15 = Integer.rotateRight(s15 ^ s3, 8); s11 += s15; s7 = Integer.rotateRight(s7 ^ s11, 7);
        s0 += s5 + m6; s15 = Integer.rotateRight(s15 ^ s0, 16); s10 += s15; s5 = Integer.rotateRight(s5 ^ s10, 12);
        s0 += s5 + m5; s15 = Integer.rotateRight(s15 ^ s0, 8); s10 += s15; s5 = Integer.rotateRight(s5 ^ s10, 7);
        s1 += s6 + m9; s12 = Integer.rotateRight(s12 ^ s1, 16); s11 += s12; s6 = Integer.rotateRight(s6 ^ s11, 12);
        s1 += s6 + m0; s12 = Integer.rotateRight(s12 ^ s1, 8); s11 += s12; s6 = Integer.rotateRight(s6 ^ s11, 7);
        s2 += s7 + m11; s13 = Integer.rotateRight(s13 ^ s2, 16); s8 += s13; s7 = Integer.rotateRight(s7 ^ s8, 12);
        s2 += s7 + m15; s13 = Integer.rotateRight(s13 ^ s2, 8); s8 += s13; s7 = Integer.rotateRight(s7 ^ s8, 7);
        s3 += s4 + m8; s14 = Integer.rotateRight(s14 ^ s3, 16); s9 += s14; s4 = Integer.rotateRight(s4 ^ s9, 12);
        s3 += s4 + m1; s14 = Integer.rotateRight(s14 ^ s3, 8); s9 += s14; s4 = Integer.rotateRight(s4 ^ s9, 7);
        s0 += s4 + m10; s12 = Integer.rotateRight(s12 ^ s0, 16); s8 += s12; s4 = Integer.rotateRight(s4 ^ s8, 12);
        s0 += s4 + m7; s12 = Integer.rotateRight(s12 ^ s0, 8); s8 += s12; s4 = Integer.rotateRight(s4 ^ s8, 7);
        s1 += s5 + m12; s13 = Integer.rotateRight(s13 ^ s1, 16); s9 += s13; s5 = Integer.rotateRight(s5 ^ s9, 12);
        s1 += s5 + m9; s13 = Integer.rotateRight(s13 ^ s1, 8); s9 += s13; s5 = Integer.rotateRight(s5 ^ s9, 7);
        s2 += s6 + m14; s14 = Integer.rotateRight(s14 ^ s2, 16); s10 += s14; s6 = Integer.rotateRight(s6 ^ s10, 12);
        s2 += s6 + m3; s14 = Integer.rotateRight(s14 ^ s2, 8); s10 += s14; s6 = Integer.rotateRight(s6 ^ s10, 7);
        s3 += s7 + m13; s15 = Integer.rotateRight(s15 ^ s3, 16); s11 += s15; s7 = Integer.rotateRight(s7 ^ s11, 12);
        s3 += s7 + m15; s15 = Integer.rotateRight(s15 ^ s3, 8); s11 += s15; s7 = Integer.rotateRight(s7 ^ s11, 7);
        s0 += s5 + m4; s15 = Integer.rotateRight(s15 ^ s0, 16); s10 += s15; s5 = Integer.rotateRight(s5 ^ s10, 12);
        s0 += s5 + m0; s15 = Integer.rotateRight(s15 ^ s0, 8); s10 += s15; s5 = Integer.rotateRight(s5 ^ s10, 7);
        s1 += s6 + m11; s12 = Integer.rotateRight(s12 ^ s1, 16); s11 += s12; s6 = Integer.rotateRight(s6 ^ s11, 12);
        s1 += s6 + m2; s12 = Integer.rotateRight(s12 ^ s1, 8); s11 += s12; s6 = Integer.rotateRight(s6 ^ s11, 7);
        s2 += s7 + m5; s13 = Integer.rotateRight(s13 ^ s2, 16); s8 += s13; s7 = Integer.rotateRight(s7 ^ s8, 12);
        s2 += s7 + m8; s13 = Integer.rotateRight(s13 ^ s2, 8); s8 += s13; s7 = Integer.rotateRight(s7 ^ s8, 7);
        s3 += s4 + m1; s14 = Integer.rotateRight(s14 ^ s3, 16); s9 += s14; s4 = Integer.rotateRight(s4 ^ s9, 12);
        s3 += s4 + m6; s14 = Integer.rotateRight(s14 ^ s3, 8); s9 += s14; s4 = Integer.rotateRight(s4 ^ s9, 7);
        s0 += s4 + m12; s12 = Integer.rotateRight(s12 ^ s0, 16); s8 += s12; s4 = Integer.rotateRight(s4 ^ s8, 12);
        s0 += s4 + m13; s12 = Integer.rotateRight(s12 ^ s0, 8); s8 += s12; s4 = Integer.rotateRight(s4 ^ s8, 7);
        s1 += s5 + m9; s13 = Integer.rotateRight(s13 ^ s1, 16); s9 += s13; s5 = Integer.rotateRight(s5 ^ s9, 12);
        s1 += s5 + m11; s13 = Integer.rotateRight(s13 ^ s1, 8); s9 += s13; s5 = Integer.rotateRight(s5 ^ s9, 7);
        s2 += s6 + m15; s14 = Integer.rotateRight(s14 ^ s2, 16); s10 += s14; s6 = Integer.rotateRight(s6 ^ s10, 12);
        s2 += s6 + m10; s14 = Integer.rotateRight(s14 ^ s2, 8); s10 += s14; s6 = Integer.rotateRight(s6 ^ s10, 7);
        s3 += s7 + m14; s15 = Integer.rotateRight(s15 ^ s3, 16); s11 += s15; s7 = Integer.rotateRight(s7 ^ s11, 12);
        s3 += s7 + m8; s15 = Integer.rotateRight(s15 ^ s3, 8); s11 += s15; s7 = Integer.rotateRight(s7 ^ s11, 7);
        s0 += s5 + m7; s15 = Integer.rotateRight(s15 ^ s0, 16); s10 += s15; s5 = Integer.rotateRight(s5 ^ s10, 12);
        s0 += s5 + m2; s15 = Integer.rotateRight(s15 ^ s0, 8); s10 += s15; s5 = Integer.rotateRight(s5 ^ s10, 7);
        s1 += s6 + m5; s12 = Integer.rotateRight(s12 ^ s1, 16); s11 += s12; s6 = Integer.rotateRight(s6 ^ s11, 12);
        s1 += s6 + m3; s12 = Integer.rotateRight(s12 ^ s1, 8); s11 += s12; s6 = Integer.rotateRight(s6 ^ s11, 7);
        s2 += s7 + m0; s13 = Integer.rotateRight(s13 ^ s2, 16); s8 += s13; s7 = Integer.rotateRight(s7 ^ s8, 12);
        s2 += s7 + m1; s13 = Integer.rotateRight(s13 ^ s2, 8); s8 += s13; s7 = Integer.rotateRight(s7 ^ s8, 7);
        s3 += s4 + m6; s14 = Integer.rotateRight(s14 ^ s3, 16); s9 += s14; s4 = Integer.rotateRight(s4 ^ s9, 12);
        s3 += s4 + m4; s14 = Integer.rotateRight(s14 ^ s3, 8); s9 += s14; s4 = Integer.rotateRight(s4 ^ s9, 7);
        s0 += s4 + m9; s12 = Integer.rotateRight(s12 ^ s0, 16); s8 += s12; s4 = Integer.rotateRight(s4 ^ s8, 12);
        s0 += s4 + m14; s12 = Integer.rotateRight(s12 ^ s0, 8); s8 += s12; s4 = Integer.rotateRight(s4 ^ s8, 7);
        s1 += s5 + m11; s13 = Integer.rotateRight(s13 ^ s1, 16); s9 += s13; s5 = Integer.rotateRight(s5 ^ s9, 12);
        s1 += s5 + m5; s13 = Integer.rotateRight(s13 ^ s1, 8); s9 += s13; s5 = Integer.rotateRight(s5 ^ s9, 7);
        s2 += s6 + m8; s14 = Integer.rotateRight(s14 ^ s2, 16); s10 += s14; s6 = Integer.rotateRight(s6 ^ s10, 12);
        s2 += s6 + m12; s14 = Integer.rotateRight(s14 ^ s2, 8); s10 += s14; s6 = Integer.rotateRight(s6 ^ s10, 7);
        s3 += s7 + m15; s15 = Integer.rotateRight(s15 ^ s3, 16); s11 += s15; s7 = Integer.rotateRight(s7 ^ s11, 12);
        s3 += s7 + m1; s15 = Integer.rotateRight(s15 ^ s3, 8); s11 += s15; s7 = Integer.rotateRight(s7 ^ s11, 7);
        s0 += s5 + m13; s15 = Integer.rotateRight(s15 ^ s0, 16); s10 += s15; s5 = Integer.rotateRight(s5 ^ s10, 12);
        s0 += s5 + m3; s15 = Integer.rotateRight(s15 ^ s0, 8); s10 += s15; s5 = Integer.rotateRight(s5 ^ s10, 7);
        s1 += s6 + m0; s12 = Integer.rotateRight(s12 ^ s1, 16); s11 += s12; s6 = Integer.rotateRight(s6 ^ s11, 12);
        s1 += s6 + m10; s12 = Integer.rotateRight(s12 ^ s1, 8); s11 += s12; s6 = Integer.rotateRight(s6 ^ s11, 7);
        s2 += s7 + m2; s13 = Integer.rotateRight(s13 ^ s2, 16); s8 += s13; s7 = Integer.rotateRight(s7 ^ s8, 12);
        s2 += s7 + m6; s13 = Integer.rotateRight(s13 ^ s2, 8); s8 += s13; s7 = Integer.rotateRight(s7 ^ s8, 7);
        s3 += s4 + m4; s14 = Integer.rotateRight(s14 ^ s3, 16); s9 += s14; s4 = Integer.rotateRight(s4 ^ s9, 12);
        s3 += s4 + m7; s14 = Integer.rotateRight(s14 ^ s3, 8); s9 += s14; s4 = Integer.rotateRight(s4 ^ s9, 7);
        s0 += s4 + m11; s12 = Integer.rotateRight(s12 ^ s0, 16); s8 += s12; s4 = Integer.rotateRight(s4 ^ s8, 12);
        s0 += s4 + m15; s12 = Integer.rotateRight(s12 ^ s0, 8); s8 += s12; s4 = Integer.rotateRight(s4 ^ s8, 7);
        s1 += s5 + m5; s13 = Integer.rotateRight(s13 ^ s1, 16); s9 += s13; s5 = Integer.rotateRight(s5 ^ s9, 12);
        s1 += s5 + m0; s13 = Integer.rotateRight(s13 ^ s1, 8); s9 += s13; s5 = Integer.rotateRight(s5 ^ s9, 7);
        s2 += s6 + m1; s14 = Integer.rotateRight(s14 ^ s2, 16); s10 += s14; s6 = Integer.rotateRight(s6 ^ s10, 12);
        s2 += s6 + m9; s14 = Integer.rotateRight(s14 ^ s2, 8); s10 += s14; s6 = Integer.rotateRight(s6 ^ s10, 7);
        s3 += s7 + m8; s15 = Integer.rotateRight(s15 ^ s3, 16); s11 += s15; s7 = Integer.rotateRight(s7 ^ s11, 12);
        s3 += s7 + m6; s15 = Integer.rotateRight(s15 ^ s3, 8); s11 += s15; s7 = Integer.rotateRight(s7 ^ s11, 7);
        s0 += s5 + m14; s15 = Integer.rotateRight(s15 ^ s0, 16); s10 += s15; s5 = Integer.rotateRight(s5 ^ s10, 12);
        s0 += s5 + m10; s15 = Integer.rotateRight(s15 ^ s0, 8); s10 += s15; s5 = Integer.rotateRight(s5 ^ s10, 7);
        s1 += s6 + m2; s12 = Integer.rotateRight(s12 ^ s1, 16); s11 += s12; s6 = Integer.rotateRight(s6 ^ s11, 12);
        s1 += s6 + m12; s12 = Integer.rotateRight(s12 ^ s1, 8); s11 += s12; s6 = Integer.rotateRight(s6 ^ s11, 7);
        s2 += s7 + m3; s13 = Integer.rotateRight(s13 ^ s2, 16); s8 += s13; s7 = Integer.rotateRight(s7 ^ s8, 12);
        s2 += s7 + m4; s13 = Integer.rotateRight(s13 ^ s2, 8); s8 += s13; s7 = Integer.rotateRight(s7 ^ s8, 7);
        s3 += s4 + m7; s14 = Integer.rotateRight(s14 ^ s3, 16); s9 += s14; s4 = Integer.rotateRight(s4 ^ s9, 12);
        s3 += s4 + m13; s14 = Integer.rotateRight(s14 ^ s3, 8); s9 += s14; s4 = Integer.rotateRight(s4 ^ s9, 7);
        out[outOff] = s0 ^ s8;
        out[outOff + 1] = s1 ^ s9;
        out[outOff + 2] = s2 ^ s10;
        out[outOff + 3] = s3 ^ s11;
        out[outOff + 4] = s4 ^ s12;
        out[outOff + 5] = s5 ^ s13;
        out[outOff + 6] = s6 ^ s14;
        out[outOff + 7] = s7 ^ s15;
    }

    /** Hashes one whole 1 KiB chunk at {@code in[off]} and writes its (non-root) chaining value to {@code out[outOff..+8]}. */
    static void chunk(int[] key, byte[] in, int off, long counter, int flags, int[] out, int outOff) {
        compress(key, 0, in, off, counter, BLOCK_LEN, flags | CHUNK_START, out, outOff);
        for (int b = 1; b < 15; b++) {
            compress(out, outOff, in, off + b * BLOCK_LEN, counter, BLOCK_LEN, flags, out, outOff);
        }
        compress(out, outOff, in, off + 15 * BLOCK_LEN, counter, BLOCK_LEN, flags | CHUNK_END, out, outOff);
    }
}
