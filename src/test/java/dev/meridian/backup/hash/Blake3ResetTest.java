package dev.meridian.backup.hash;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A hasher is reused across files on one I/O thread, including after a read that failed half-way. BouncyCastle
 * 1.87's Blake3Digest.reset() keeps state after a partial multi-chunk update (found by RepositoryTest); ours
 * must not.
 */
class Blake3ResetTest {
    @Test
    void resetAfterAPartialUpdateGivesTheSameHashAsAFreshHasher() {
        byte[] content = new byte[100_000];
        byte[] junk = new byte[199_984];
        new SplittableRandom(1).nextBytes(content);
        new SplittableRandom(2).nextBytes(junk);
        byte[] fresh = Blake3.hash(content);
        Blake3 reused = Blake3.newHasher();
        for (int partial : new int[] {1, 1023, 1024, 1025, 65_536, 199_984}) {
            reused.reset().update(junk, 0, partial);
            byte[] again = reused.reset().update(ByteBuffer.wrap(content)).digest();
            assertArrayEquals(fresh, again, "after a partial update of " + partial + " bytes");
        }
    }
}
