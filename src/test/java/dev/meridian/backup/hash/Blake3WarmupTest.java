package dev.meridian.backup.hash;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Issue 7 item 8: hashers use the scalar path while the SIMD kernel is cold, and switching paths changes no digest. */
class Blake3WarmupTest {
    @Test
    void aHasherThatSwitchesFromScalarToSimdMidStreamGivesTheSameDigest() throws Exception {
        byte[] data = new byte[24 << 20];
        new SplittableRandom(11).nextBytes(data);
        byte[] expected = Blake3.newHasher(false).update(data).digest();
        // Pieces of odd sizes while the warm-up runs: the switch can land at any chunk alignment.
        Blake3 h = Blake3.newHasher();
        Blake3Warmup.start();
        int off = 0;
        int piece = 3 * 1024 + 17;
        while (off < data.length) {
            int n = Math.min(piece, data.length - off);
            h.update(data, off, n);
            off += n;
            piece = piece * 2 > (1 << 20) ? 3 * 1024 + 17 : piece * 2;
        }
        assertArrayEquals(expected, h.digest());
        assertTrue(Blake3Warmup.await(Blake3Warmup.MAX_MILLIS + 5_000), "the warm-up ends within its bound");
        assertArrayEquals(expected, Blake3.newHasher().update(data).digest(), "after the switch");
    }
}
