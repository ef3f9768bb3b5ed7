package dev.meridian.backup.bench;

import dev.meridian.backup.hash.Blake3;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.bouncycastle.crypto.digests.Blake3Digest;

/**
 * Single-thread Blake3 throughput on one buffer of random bytes: BouncyCastle's {@code Blake3Digest} against
 * Meridian's {@link Blake3} fed as the engine feeds it (1 MiB slices of a direct buffer) and as plain byte arrays.
 * The implementations alternate within each round, after a warm-up, so a busy machine slows them alike.
 */
final class HashThroughput {
    static final int SLICE = 1 << 20;
    private static final int WARMUP_ROUNDS = 2;

    /** One implementation's rates over the measured rounds. */
    record Result(String implementation, List<Double> mibPerSecond) {}

    private record Contestant(String name, java.util.function.Supplier<byte[]> hash) {}

    private HashThroughput() {}

    /**
     * Hashes a {@code mib}-MiB buffer {@code rounds} times with each implementation. BouncyCastle comes first in the
     * result. Fails if the implementations disagree on the digest, since a fast wrong hash is worth nothing.
     */
    static List<Result> measure(int mib, int rounds) {
        byte[] data = new byte[mib * SLICE];
        new SplittableRandom(7).nextBytes(data);
        ByteBuffer direct = ByteBuffer.allocateDirect(data.length).put(data).flip();
        List<Contestant> contestants = List.of(
                new Contestant("BouncyCastle Blake3Digest (byte[])", () -> {
                    Blake3Digest d = new Blake3Digest(256);
                    for (int off = 0; off < data.length; off += SLICE) {
                        d.update(data, off, Math.min(SLICE, data.length - off));
                    }
                    byte[] out = new byte[Blake3.OUT_LEN];
                    d.doFinal(out, 0);
                    return out;
                }),
                new Contestant("Meridian Blake3 (byte[])", () -> {
                    Blake3 h = Blake3.newHasher();
                    for (int off = 0; off < data.length; off += SLICE) {
                        h.update(data, off, Math.min(SLICE, data.length - off));
                    }
                    return h.digest();
                }),
                new Contestant("Meridian Blake3 (direct ByteBuffer, as the engine)", () -> {
                    Blake3 h = Blake3.newHasher();
                    for (int off = 0; off < data.length; off += SLICE) {
                        h.update(direct.duplicate().position(off).limit(Math.min(data.length, off + SLICE)));
                    }
                    return h.digest();
                }));
        byte[] reference = contestants.get(0).hash().get();
        for (Contestant c : contestants) {
            if (!Arrays.equals(reference, c.hash().get())) {
                throw new IllegalStateException(c.name() + " disagrees with BouncyCastle on the Blake3 digest of a "
                        + mib + " MiB buffer; its throughput would be meaningless");
            }
        }
        List<List<Double>> rates = new ArrayList<>();
        contestants.forEach(c -> rates.add(new ArrayList<>()));
        for (int r = 0; r < WARMUP_ROUNDS + rounds; r++) {
            for (int k = 0; k < contestants.size(); k++) {
                int i = (k + r) % contestants.size();
                long start = System.nanoTime();
                contestants.get(i).hash().get();
                long elapsed = System.nanoTime() - start;
                if (r >= WARMUP_ROUNDS) {
                    rates.get(i).add(mib / (elapsed / 1e9));
                }
            }
        }
        List<Result> results = new ArrayList<>();
        for (int i = 0; i < contestants.size(); i++) {
            results.add(new Result(contestants.get(i).name(), List.copyOf(rates.get(i))));
        }
        return results;
    }
}
