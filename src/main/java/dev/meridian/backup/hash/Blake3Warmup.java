package dev.meridian.backup.hash;

import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Makes the SIMD Blake3 kernel hot before hashers use it. The Vector API runs hundreds of times slower than scalar
 * code until C2 has compiled it (interpreted, every vector operation allocates), so a JVM's first 64 MiB took 20x
 * as long as the next. Until {@link #vectorHot()} is true, hashers use the scalar path, which the JIT compiles
 * within a few MiB; meanwhile one background thread hashes a 64 KiB buffer on both paths, over and over, and flips
 * the switch once the SIMD path is the faster of the two three times in a row.
 *
 * <p>Bounded: one daemon thread, at most {@link #MAX_MILLIS} ms of its time (typically 1-3 s), 64 KiB of memory.
 * If the bound is reached first, the SIMD path is switched on anyway (as before this class existed). It is started
 * by the engine at start, and otherwise by the first SIMD hasher; with no SIMD path it does nothing.
 */
public final class Blake3Warmup {
    /** Upper bound of the background warm-up, in milliseconds. */
    static final long MAX_MILLIS = 20_000;
    private static final int DATA_LEN = 64 * 1024;
    private static final int WINS_NEEDED = 3;

    private static final AtomicBoolean STARTED = new AtomicBoolean();
    private static final CountDownLatch DONE = new CountDownLatch(1);
    private static volatile boolean hot = Blake3.LANES == 0 || !Boolean.parseBoolean(System.getProperty("meridian.blake3.warmup", "true"));

    private Blake3Warmup() {}

    /** Starts the warm-up in the background if it has not been started; returns at once. */
    public static void start() {
        if (hot || !STARTED.compareAndSet(false, true)) {
            return;
        }
        Thread t = new Thread(Blake3Warmup::run, "meridian-blake3-warmup");
        t.setDaemon(true);
        t.start();
    }

    /** Whether hashers may use the SIMD path: it is compiled (or there is none, or the warm-up hit its bound). */
    public static boolean vectorHot() {
        return hot;
    }

    /**
     * Waits up to {@code millis} ms for the warm-up to finish (starting it if needed).
     *
     * @return whether the SIMD path is switched on (or absent)
     */
    public static boolean await(long millis) throws InterruptedException {
        start();
        return hot || DONE.await(millis, TimeUnit.MILLISECONDS) && hot;
    }

    private static void run() {
        try {
            byte[] data = new byte[DATA_LEN];
            new SplittableRandom(0x5EED).nextBytes(data);
            Blake3 vector = Blake3.newHasher(true);
            Blake3 scalar = Blake3.newHasher(false);
            byte[] expected = scalar.update(data).digest();
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MAX_MILLIS);
            int wins = 0;
            while (wins < WINS_NEEDED && System.nanoTime() < deadline) {
                long t0 = System.nanoTime();
                byte[] v = vector.reset().update(data).digest();
                long t1 = System.nanoTime();
                scalar.reset().update(data).digest();
                long t2 = System.nanoTime();
                if (!java.util.Arrays.equals(v, expected)) {
                    // Never expected (the paths are tested against each other); the scalar path stays in use.
                    return;
                }
                wins = t1 - t0 < t2 - t1 ? wins + 1 : 0;
            }
            hot = true;
        } finally {
            DONE.countDown();
        }
    }
}
