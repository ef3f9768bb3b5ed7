package dev.meridian.backup.operation;

import dev.meridian.backup.engine.Engine;
import dev.meridian.backup.model.ProgressUpdate;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Runs an operation while its progress updates go to a consumer (REST's event stream, MCP's progress
 * notifications). The stage it returns completes, with the operation's result or failure, only after every update
 * sent before the result has reached the consumer, so a gateway that answers then never lets progress trail the
 * result. A client that goes away does not cancel the operation.
 */
public final class ProgressStream {
    private ProgressStream() {}

    /**
     * @param sink      receives each update, on the listener's thread; null when no one listens (no listener is made)
     * @param operation starts the operation given where to send progress (null when {@code sink} is null); an
     *                  exception it throws fails the returned stage
     */
    public static <T> CompletionStage<T> run(Engine engine, Consumer<ProgressUpdate> sink,
            Function<ActorRef<ProgressUpdate>, CompletionStage<T>> operation) {
        ActorRef<ProgressUpdate> listener = sink == null ? null : engine.progressListener(sink);
        CompletionStage<T> stage;
        try {
            stage = operation.apply(listener);
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e);
        }
        CompletableFuture<T> done = new CompletableFuture<>();
        stage.whenComplete((result, err) -> engine.stopListener(listener).thenRun(() -> {
            if (err == null) {
                done.complete(result);
            } else {
                done.completeExceptionally(err);
            }
        }));
        return done;
    }
}
