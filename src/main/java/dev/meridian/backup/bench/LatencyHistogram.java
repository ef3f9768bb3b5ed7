package dev.meridian.backup.bench;

/**
 * Latencies in nanoseconds counted in fixed logarithmic buckets, the way HdrHistogram does with two significant
 * digits: exact below 1,024 ns, then 64 buckets per power of two (each at most 1/64, about 1.6%, wide), up to about
 * 2^40 ns (18 minutes; longer values count in the last bucket). Recording is one array increment, so a writer thread
 * keeps its own and the phase merges them afterwards. Not thread-safe.
 */
final class LatencyHistogram {
    private static final int LINEAR = 1024;
    private static final int SUB_BITS = 6;
    private static final int SUB = 1 << SUB_BITS;
    private static final int LOWEST_EXPONENT = 10; // 2^10 = LINEAR
    private static final int HIGHEST_EXPONENT = 40;
    private static final int BUCKETS = LINEAR + (HIGHEST_EXPONENT - LOWEST_EXPONENT + 1) * SUB;

    private final long[] counts = new long[BUCKETS];
    private long total;

    /** Counts one latency of {@code nanos} (negative counts as 0). */
    void record(long nanos) {
        counts[index(Math.max(0, nanos))]++;
        total++;
    }

    /** Adds {@code other}'s counts to this one's. */
    void add(LatencyHistogram other) {
        for (int i = 0; i < BUCKETS; i++) {
            counts[i] += other.counts[i];
        }
        total += other.total;
    }

    long count() {
        return total;
    }

    /**
     * The latency in nanoseconds at or below which {@code percentile} percent (0 &lt; percentile &le; 100) of the
     * recorded ones fall: the upper edge of the bucket holding that rank, so it overstates by at most one bucket's
     * width. 0 when nothing was recorded.
     */
    long percentileNanos(double percentile) {
        if (total == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(total * percentile / 100.0));
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return upperEdge(i);
            }
        }
        return upperEdge(BUCKETS - 1);
    }

    static int index(long nanos) {
        if (nanos < LINEAR) {
            return (int) nanos;
        }
        int exponent = 63 - Long.numberOfLeadingZeros(nanos);
        if (exponent > HIGHEST_EXPONENT) {
            return BUCKETS - 1;
        }
        int sub = (int) ((nanos >>> (exponent - SUB_BITS)) & (SUB - 1));
        return LINEAR + (exponent - LOWEST_EXPONENT) * SUB + sub;
    }

    /** The largest value that falls in bucket {@code i}. */
    static long upperEdge(int i) {
        if (i < LINEAR) {
            return i;
        }
        int exponent = LOWEST_EXPONENT + (i - LINEAR) / SUB;
        long sub = (i - LINEAR) % SUB;
        long width = 1L << (exponent - SUB_BITS);
        return (1L << exponent) + (sub + 1) * width - 1;
    }
}
