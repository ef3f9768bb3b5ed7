package dev.meridian.backup.verify;

import dev.meridian.backup.runtime.Blocking;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The verification hashing pool: the threads of {@code meridian.hash-dispatcher}. Its size bounds how many files
 * are hashed at once across all verifications; it counts files in flight (and the peak) for metrics and tests.
 */
public final class HashingPool {
    private final Executor executor;
    private final int size;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger peak = new AtomicInteger();

    public HashingPool(Executor executor, int size) {
        this.executor = executor;
        this.size = size;
    }

    public int size() {
        return size;
    }

    public int inFlight() {
        return inFlight.get();
    }

    /** The most files ever hashed at the same moment. */
    public int peak() {
        return peak.get();
    }

    public void resetPeak() {
        peak.set(inFlight.get());
    }

    public <T> CompletableFuture<T> submit(Callable<T> work) {
        return CompletableFuture.supplyAsync(() -> {
            int now = inFlight.incrementAndGet();
            peak.accumulateAndGet(now, Math::max);
            try {
                return Blocking.call(work);
            } finally {
                inFlight.decrementAndGet();
            }
        }, executor);
    }
}
