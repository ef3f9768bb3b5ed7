package dev.meridian.backup.operation;

import dev.meridian.backup.config.Settings.Scope;
import dev.meridian.backup.engine.Engine;
import dev.meridian.backup.model.ProgressUpdate;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * One operation of the service, as both gateways bind to it: its name, the token scope it needs, and the Engine
 * call that turns its validated argument record {@code A} into its result view {@code R} (what the gateway encodes
 * as JSON). The table of all operations is {@link Operations}.
 */
public record Operation<A, R>(String name, Scope scope, Invocation<A, R> invocation) {

    /** The Engine call behind an operation. It may throw a {@code BackupException}; {@link #run} turns that into a failed stage. */
    @FunctionalInterface
    public interface Invocation<A, R> {
        CompletionStage<R> run(Engine engine, A arguments, Call call);
    }

    /**
     * What a call carries besides its arguments.
     *
     * @param requestId the engine request id (cancel names it); REST takes X-Request-Id, MCP makes one per call
     * @param progress  where the engine sends progress updates, or null
     * @param notes     receives lines worth telling the caller while the call runs (MCP sends them as log messages)
     */
    public record Call(String requestId, ActorRef<ProgressUpdate> progress, Consumer<String> notes) {
        public Call {
            notes = notes == null ? note -> { } : notes;
        }

        /** A call with no progress listener and nowhere to send notes. */
        public static Call of(String requestId) {
            return new Call(requestId, null, null);
        }
    }

    /** Runs the operation; a failure, also one thrown while validating, completes the stage exceptionally. */
    public CompletionStage<R> run(Engine engine, A arguments, Call call) {
        try {
            return invocation.run(engine, arguments, call);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
