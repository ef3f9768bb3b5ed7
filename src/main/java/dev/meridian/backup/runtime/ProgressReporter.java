package dev.meridian.backup.runtime;

import dev.meridian.backup.model.Progress;
import dev.meridian.backup.model.ProgressUpdate;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Adds up progress from files processed in parallel and forwards it to a listener at most every 250 ms (and at
 * the end). Also carries the cancellation flag: once cancelled, the next progress report from an I/O thread
 * throws, which stops that file's work at a block boundary.
 */
public final class ProgressReporter {
    private static final long INTERVAL_NANOS = 250_000_000L;
    private final ActorRef<ProgressUpdate> listener;
    private final String requestId;
    private final String operation;
    private final String subject;
    private final AtomicLong done = new AtomicLong();
    private final AtomicLong lastSent = new AtomicLong(System.nanoTime());
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private volatile long total;

    public ProgressReporter(ActorRef<ProgressUpdate> listener, String requestId, String operation, String subject) {
        this.listener = listener;
        this.requestId = requestId;
        this.operation = operation;
        this.subject = subject;
    }

    public void total(long bytes) {
        total = bytes;
    }

    public long done() {
        return done.get();
    }

    public void cancel() {
        cancelled.set(true);
    }

    public boolean isCancelled() {
        return cancelled.get();
    }

    /** A per-file view: the codec reports bytes done within the file, this adds the deltas to the total. */
    public Progress forFile() {
        long[] last = {0};
        return (fileDone, fileTotal) -> {
            if (cancelled.get()) {
                throw new CancellationException(operation + " of " + subject + " was cancelled");
            }
            long now = done.addAndGet(fileDone - last[0]);
            last[0] = fileDone;
            long t = System.nanoTime();
            long prev = lastSent.get();
            if (t - prev >= INTERVAL_NANOS && lastSent.compareAndSet(prev, t)) {
                send(now, null);
            }
        };
    }

    /** Sends a step message (e.g. "checkpointed") together with the current numbers. */
    public void step(String message) {
        send(done.get(), message);
    }

    private void send(long now, String message) {
        listener.tell(new ProgressUpdate(requestId, operation, subject, now, total, message));
    }
}
