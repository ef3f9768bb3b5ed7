package dev.meridian.backup.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The host-under-load benchmark's latency buckets: exact below 1,024 ns, within 1/64 above, merged across writers. */
class LatencyHistogramTest {
    @Test
    void percentilesAreExactBelowOneMicrosecondAndWithinOneBucketAbove() {
        LatencyHistogram h = new LatencyHistogram();
        for (long v = 1; v <= 1000; v++) {
            h.record(v);
        }
        assertEquals(500, h.percentileNanos(50));
        assertEquals(990, h.percentileNanos(99));
        assertEquals(1000, h.percentileNanos(100));

        LatencyHistogram wide = new LatencyHistogram();
        for (long us = 1; us <= 10_000; us++) {
            wide.record(us * 1000);
        }
        long p99 = wide.percentileNanos(99);
        assertTrue(p99 >= 9_900_000 && p99 <= 9_900_000 * (1 + 1.0 / 64) + 1, "p99 of 1..10,000 µs: " + p99);
        long max = wide.percentileNanos(100);
        assertTrue(max >= 10_000_000 && max <= 10_000_000 * (1 + 1.0 / 64) + 1, "max: " + max);
    }

    @Test
    void eachValueFallsInABucketWhoseUpperEdgeIsAtLeastItAndWithinOneSixtyFourth() {
        for (long v : new long[] {0, 1, 1023, 1024, 1025, 2047, 2048, 123_456, 9_999_999_999L, 1L << 40}) {
            long edge = LatencyHistogram.upperEdge(LatencyHistogram.index(v));
            assertTrue(edge >= v && edge <= v + Math.max(0, v / 64), v + " -> " + edge);
        }
        long huge = LatencyHistogram.upperEdge(LatencyHistogram.index(Long.MAX_VALUE));
        assertEquals((1L << 41) - 1, huge, "beyond the range counts in the last bucket");
    }

    @Test
    void mergingWritersAddsTheirCounts() {
        LatencyHistogram a = new LatencyHistogram();
        LatencyHistogram b = new LatencyHistogram();
        for (int i = 0; i < 99; i++) {
            a.record(10);
        }
        b.record(5_000_000);
        a.add(b);
        assertEquals(100, a.count());
        assertEquals(10, a.percentileNanos(99));
        assertTrue(a.percentileNanos(100) >= 5_000_000, "the one slow write is the maximum");
        assertEquals(0, new LatencyHistogram().percentileNanos(99), "nothing recorded");
    }
}
