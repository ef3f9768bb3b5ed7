package dev.meridian.backup.runtime;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;

/** Runs blocking work on a named dispatcher (never the default one); actors pipe the result back to themselves. */
public final class Blocking {
    private Blocking() {}

    public static Executor executor(ActorSystem<?> system, String dispatcher) {
        return system.dispatchers().lookup(DispatcherSelector.fromConfig(dispatcher));
    }

    public static <T> CompletableFuture<T> supply(ActorSystem<?> system, String dispatcher, Callable<T> work) {
        return CompletableFuture.supplyAsync(() -> call(work), executor(system, dispatcher));
    }

    /** Calls {@code work}, passing checked exceptions on wrapped in a CompletionException (for futures). */
    public static <T> T call(Callable<T> work) {
        try {
            return work.call();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new CompletionException(e);
        }
    }

    /**
     * Waits up to {@code timeoutMillis} ms for {@code stage} (outside actors: a benchmark, the start-up rehearsal),
     * rethrowing its failure's real cause ({@link #cause}) rather than the future's wrapper.
     *
     * @throws java.util.concurrent.TimeoutException when it has not completed in time
     * @throws InterruptedException when the waiting thread is interrupted
     */
    public static <T> T await(CompletionStage<T> stage, long timeoutMillis) throws Exception {
        try {
            return stage.toCompletableFuture().get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = cause(e);
            throw cause instanceof Exception ex ? ex : e;
        }
    }

    /** Unwraps the CompletionException layers futures add, to get at the real cause. */
    public static Throwable cause(Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof java.util.concurrent.ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }
}
