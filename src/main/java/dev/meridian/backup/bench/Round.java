package dev.meridian.backup.bench;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * One contender's measurements in one round: each operation's wall time and the heap it used, marked in any
 * running flight recording. Also what the contender reports besides times (repository size, bytes moved).
 */
final class Round {
    final String contender;
    final int number;
    final Map<Operation, Long> nanos = new EnumMap<>(Operation.class);
    final Map<Operation, HeapMeter.Reading> heap = new EnumMap<>(Operation.class);
    /** Bytes of database content an operation moved, for throughput reports. */
    final Map<Operation, Long> bytes = new EnumMap<>(Operation.class);
    /** Parts of an operation's time also reported alone, in ms (e.g. restic's restore before the fsync). */
    final Map<Operation, Long> partMs = new EnumMap<>(Operation.class);
    /** Size of the backup directory or repository right after the full backup; -1 if not measured. */
    long repositoryBytes = -1;
    private final HeapMeter heapMeter;
    /** Untimed work just before each timed operation (nothing, unless {@link #beforeEach} set it). */
    private Setup beforeEach = () -> { };

    /** Untimed work that may throw. */
    interface Setup {
        void run() throws Exception;
    }

    Round(String contender, int number, HeapMeter heapMeter) {
        this.contender = contender;
        this.number = number;
        this.heapMeter = heapMeter;
    }

    /** Runs {@code setup}, untimed, right before each operation this round times; returns this round. */
    Round beforeEach(Setup setup) {
        this.beforeEach = setup;
        return this;
    }

    /** Times {@code work} as {@code op}. */
    <T> T time(Operation op, Callable<T> work) throws Exception {
        beforeEach.run();
        OperationEvent event = new OperationEvent();
        event.contender = contender;
        event.operation = op.label;
        event.round = number;
        heapMeter.reset();
        event.begin();
        long start = System.nanoTime();
        T result = work.call();
        long elapsed = System.nanoTime() - start;
        event.commit();
        nanos.put(op, elapsed);
        heap.put(op, heapMeter.read());
        return result;
    }
}
