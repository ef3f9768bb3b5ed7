package dev.meridian.backup.hash;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.bouncycastle.crypto.digests.Blake3Digest;

/**
 * A developer's measurement, not a test and not part of the product: single-thread throughput of BouncyCastle's
 * Blake3Digest against {@link Blake3} on its scalar and SIMD paths separately (package-private, hence here beside the
 * tests), plus {@link ParallelFileHash} with one and two threads on a temporary file (served from the page cache).
 * Each measurement round runs every variant once, so load from other processes on a shared machine hits them alike
 * and the ratios stay meaningful. {@code bin/meridian-backup bench} reports the product's own hashing figures
 * ({@code bench/HashThroughput}). Usage, after {@code mvn test-compile}:
 * {@code java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes:<bcprov.jar> dev.meridian.backup.hash.Blake3Throughput [MiB]}
 */
final class Blake3Throughput {
    private static final int WARMUP_ROUNDS = 5;
    private static final long WARMUP_NANOS = 3_000_000_000L;
    private static final int ROUNDS = 9;
    private static final int SLICE = 1 << 20;

    private interface Job {
        byte[] run() throws IOException;
    }

    private static final class Variant {
        final String name;
        final Job job;
        final double[] rates = new double[ROUNDS];

        Variant(String name, Job job) {
            this.name = name;
            this.job = job;
        }

        double median() {
            double[] sorted = rates.clone();
            Arrays.sort(sorted);
            return sorted[ROUNDS / 2];
        }
    }

    private Blake3Throughput() {
    }

    public static void main(String[] args) throws Exception {
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        byte[] data = new byte[mib << 20];
        new SplittableRandom(42).nextBytes(data);
        byte[] expected = Blake3.newHasher(false).update(data).digest();

        Path file = Files.createTempFile("blake3-throughput", ".bin");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (FileChannel ch = FileChannel.open(Files.write(file, data), StandardOpenOption.READ)) {
            List<Variant> variants = new ArrayList<>();
            Variant bc = new Variant("bouncycastle", () -> {
                Blake3Digest d = new Blake3Digest();
                d.update(data, 0, data.length);
                byte[] out = new byte[Blake3.OUT_LEN];
                d.doFinal(out, 0);
                return out;
            });
            Variant scalar = new Variant("blake3 scalar", () -> Blake3.newHasher(false).update(data).digest());
            variants.add(bc);
            variants.add(scalar);
            Variant best = scalar;
            if (Blake3.LANES > 0) {
                best = new Variant("blake3 simd", () -> Blake3.newHasher(true).update(data).digest());
                variants.add(best);
            }
            variants.add(new Variant("blake3 1MiB updates", () -> {
                Blake3 h = Blake3.newHasher();
                for (int off = 0; off < data.length; off += SLICE) {
                    h.update(data, off, Math.min(SLICE, data.length - off));
                }
                return h.digest();
            }));
            variants.add(new Variant("parallel file 1 thread", () -> ParallelFileHash.hash(ch, pool, 1)));
            variants.add(new Variant("parallel file 2 threads", () -> ParallelFileHash.hash(ch, pool, 2)));

            for (Variant v : variants) {
                long warmUntil = System.nanoTime() + WARMUP_NANOS;
                for (int i = 0; i < WARMUP_ROUNDS || System.nanoTime() < warmUntil; i++) {
                    check(v, expected, v.job.run());
                }
            }
            for (int r = 0; r < ROUNDS; r++) {
                for (Variant v : variants) {
                    long t0 = System.nanoTime();
                    byte[] got = v.job.run();
                    v.rates[r] = mib / ((System.nanoTime() - t0) / 1e9);
                    check(v, expected, got);
                }
            }

            System.out.printf("input %d MiB, simd lanes %d, median of %d rounds after warm-up%n", mib, Blake3.LANES, ROUNDS);
            for (Variant v : variants) {
                System.out.printf("%-22s %8.0f MiB/s%n", v.name, v.median());
            }
            System.out.printf("ratio %s / bouncycastle: %.2fx%n", best.name, best.median() / bc.median());
        } finally {
            pool.shutdown();
            Files.delete(file);
        }
    }

    /** Every variant must agree with the scalar path, BouncyCastle included, or the figures mean nothing. */
    private static void check(Variant v, byte[] expected, byte[] got) {
        if (!Arrays.equals(expected, got)) {
            throw new IllegalStateException(v.name + " produced " + Blake3.hex(got) + ", expected " + Blake3.hex(expected));
        }
    }
}
