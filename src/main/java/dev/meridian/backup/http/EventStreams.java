package dev.meridian.backup.http;

import static org.apache.pekko.http.javadsl.server.Directives.completeOK;
import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.meridian.backup.engine.Engine;
import dev.meridian.backup.model.Json;
import dev.meridian.backup.model.ProgressUpdate;
import dev.meridian.backup.operation.Failures;
import dev.meridian.backup.operation.ProgressStream;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Long REST operations answer with plain JSON, or, when the client sends {@code Accept: text/event-stream}, with
 * a stream of {@code progress} events followed by one {@code result} (or {@code error}) event. The CLI uses the
 * stream to show progress. A client that disconnects does not cancel the operation.
 */
public final class EventStreams {
    private static final int BUFFER = 256;
    private final Engine engine;

    public EventStreams(Engine engine) {
        this.engine = engine;
    }

    public static boolean wantsEventStream(HttpRequest req) {
        return req.getHeader("Accept").map(h -> h.value().contains("text/event-stream")).orElse(false);
    }

    public <T> Route respond(HttpRequest req, Function<ActorRef<ProgressUpdate>, CompletionStage<T>> operation,
            Function<T, HttpResponse> plain) {
        if (!wantsEventStream(req)) {
            return completeWithFuture(operation.apply(null).thenApply(plain).exceptionally(Responses::error));
        }
        Pair<BoundedSourceQueue<ServerSentEvent>, Source<ServerSentEvent, NotUsed>> pair =
                Source.<ServerSentEvent>queue(BUFFER).preMaterialize(engine.system());
        BoundedSourceQueue<ServerSentEvent> queue = pair.first();
        // A slow reader loses progress events, never the result: progress may fill only half the buffer.
        // The result goes out only after every progress update sent before it.
        ProgressStream.run(engine, u -> {
            if (queue.size() < BUFFER / 2) {
                queue.offer(ServerSentEvent.create(json(u), "progress"));
            }
        }, operation).whenComplete((result, err) -> {
            if (err == null) {
                queue.offer(ServerSentEvent.create(json(result), "result"));
            } else {
                queue.offer(ServerSentEvent.create(json(Failures.body(Failures.of(err, "request"))), "error"));
            }
            queue.complete();
        });
        return completeOK(pair.second().keepAlive(Duration.ofSeconds(15), ServerSentEvent::heartbeat),
                EventStreamMarshalling.toEventStream());
    }

    static String json(Object o) {
        try {
            return Json.MAPPER.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("event could not be encoded", e);
        }
    }
}
