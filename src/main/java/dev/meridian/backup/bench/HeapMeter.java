package dev.meridian.backup.bench;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * Heap use of the whole JVM over one measured operation. Two numbers, because a collector with room to spare lets
 * garbage pile up: {@code peakUsed} (the sum of the heap pools' peaks, an upper bound on what was ever occupied) and
 * {@code peakLive} (the most heap still in use right after a collection, i.e. what the work needed; -1 if no
 * collection ran during the operation).
 */
final class HeapMeter implements AutoCloseable {
    record Reading(long peakUsedBytes, long peakLiveBytes) {}

    private final List<MemoryPoolMXBean> heapPools = new ArrayList<>();
    private final List<NotificationEmitter> emitters = new ArrayList<>();
    private final AtomicLong peakLive = new AtomicLong(-1);
    private final NotificationListener listener = this::onGc;

    HeapMeter() {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.isValid()) {
                heapPools.add(pool);
            }
        }
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter emitter) {
                emitter.addNotificationListener(listener, null, null);
                emitters.add(emitter);
            }
        }
    }

    static long maxHeapBytes() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getMax();
    }

    /** Starts a new measurement window. */
    void reset() {
        heapPools.forEach(MemoryPoolMXBean::resetPeakUsage);
        peakLive.set(-1);
    }

    Reading read() {
        long used = 0;
        for (MemoryPoolMXBean pool : heapPools) {
            used += pool.getPeakUsage().getUsed();
        }
        return new Reading(used, peakLive.get());
    }

    private void onGc(Notification n, Object handback) {
        if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
            return;
        }
        var info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData()).getGcInfo();
        long live = 0;
        for (MemoryPoolMXBean pool : heapPools) {
            MemoryUsage after = info.getMemoryUsageAfterGc().get(pool.getName());
            if (after != null) {
                live += after.getUsed();
            }
        }
        peakLive.accumulateAndGet(live, Math::max);
    }

    @Override
    public void close() {
        for (NotificationEmitter e : emitters) {
            try {
                e.removeNotificationListener(listener);
            } catch (javax.management.ListenerNotFoundException ignored) {
                // already gone: nothing to remove
            }
        }
    }
}
