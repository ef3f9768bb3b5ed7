package dev.meridian.backup.database;

import dev.meridian.backup.model.ProgressUpdate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;

/**
 * The bounded line of operations waiting for one database: the operations themselves in a {@link StashBuffer}, in
 * arrival order, the {@link Ticket} admission wrote for each, and the request ids cancelled while they wait.
 */
final class OperationQueue {

    /**
     * What admission knows of an operation: its kind and description (for messages and the status), when it
     * arrived (its queue time), where its place in line is told (null: nowhere), and its arrival number.
     */
    record Ticket(DatabaseActor.Operation<?> operation, OperationKind kind, String description, Instant receivedAt,
            ActorRef<ProgressUpdate> positions, String progressSubject, long number) {}

    private final StashBuffer<DatabaseActor.Command> stash;
    /** Keyed by the message itself: two requests may be equal records and still be two requests. */
    private final Map<DatabaseActor.Operation<?>, Ticket> waiting = new IdentityHashMap<>();
    private final Set<String> cancelled = new HashSet<>();
    private long arrivals;

    OperationQueue(StashBuffer<DatabaseActor.Command> stash) {
        this.stash = stash;
    }

    /** The next arrival number, for a new ticket. */
    long nextNumber() {
        return ++arrivals;
    }

    int size() {
        return stash.size();
    }

    int capacity() {
        return stash.capacity();
    }

    boolean isFull() {
        return stash.isFull();
    }

    /** The ticket of an operation that waits here (also while it is being handed back by {@link #unstashAll}). */
    Optional<Ticket> ticketOf(DatabaseActor.Operation<?> operation) {
        return Optional.ofNullable(waiting.get(operation));
    }

    /** Puts an operation at the end of the line (again, when it is handed back and still has to wait). */
    void add(Ticket ticket) {
        stash.stash(ticket.operation());
        waiting.put(ticket.operation(), ticket);
    }

    /** The operation leaves the line (it starts or is refused). */
    void remove(Ticket ticket) {
        waiting.remove(ticket.operation());
    }

    /** The waiting operations, first in line first. */
    List<Ticket> inOrder() {
        List<Ticket> all = new ArrayList<>(waiting.values());
        all.sort(Comparator.comparingLong(Ticket::number));
        return all;
    }

    /** Marks a waiting operation cancelled; it is refused when its turn comes. False if none waits with that id. */
    boolean cancel(String requestId) {
        boolean found = waiting.values().stream().anyMatch(t -> requestId.equals(t.operation().requestId()));
        if (found) {
            // Remembered only while the operation waits here, so the set never outgrows the queue.
            cancelled.add(requestId);
        }
        return found;
    }

    /** True once for an operation that was cancelled while it waited. */
    boolean takeCancelled(Ticket ticket) {
        String id = ticket.operation().requestId();
        return id != null && cancelled.remove(id);
    }

    /** Hands every waiting operation to {@code behavior}, in order; those that must wait longer are added back. */
    Behavior<DatabaseActor.Command> unstashAll(Behavior<DatabaseActor.Command> behavior) {
        return stash.unstashAll(behavior);
    }
}
