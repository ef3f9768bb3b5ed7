package dev.meridian.backup.repository;

/**
 * Caps backup and restore I/O at a byte rate so a backup does not starve the live database. A token bucket that
 * starts empty and holds at most 100 ms of allowance, so the limit holds from the first block; callers on I/O
 * threads sleep when it is empty. Rate 0 means unlimited.
 */
public final class IoThrottle {
    public static final IoThrottle UNLIMITED = new IoThrottle(0);
    private final long bytesPerSecond;
    private double tokens;
    private long lastRefillNanos;

    public IoThrottle(long bytesPerSecond) {
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException("rate limit must be >= 0 bytes per second, got " + bytesPerSecond);
        }
        this.bytesPerSecond = bytesPerSecond;
        this.tokens = 0;
        this.lastRefillNanos = System.nanoTime();
    }

    public long bytesPerSecond() {
        return bytesPerSecond;
    }

    /** Blocks until {@code bytes} may pass. Only ever called on an I/O dispatcher thread. */
    public void acquire(long bytes) {
        if (bytesPerSecond == 0 || bytes <= 0) {
            return;
        }
        long sleepNanos;
        synchronized (this) {
            long now = System.nanoTime();
            tokens = Math.min(bytesPerSecond / 10.0, tokens + (now - lastRefillNanos) * (bytesPerSecond / 1e9));
            lastRefillNanos = now;
            tokens -= bytes;
            sleepNanos = tokens >= 0 ? 0 : (long) (-tokens / bytesPerSecond * 1e9);
        }
        if (sleepNanos > 0) {
            try {
                Thread.sleep(sleepNanos / 1_000_000, (int) (sleepNanos % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
