package dev.meridian.backup.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.backup.store.BlockingGuard;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Invariant 8's detector: a blocking entry point reached from Pekko's default dispatcher is caught (and, in the
 * test suite's strict mode, fails). The engine tests assert that the count stays unchanged across real work.
 */
class BlockingGuardTest {
    static final ActorTestKit testKit = ActorTestKit.create();

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
    }

    @Test
    void blockingWorkOnTheDefaultDispatcherIsDetected() {
        long before = BlockingGuard.violations();
        TestProbe<String> probe = testKit.createTestProbe();
        testKit.spawn(Behaviors.setup(ctx -> {
            try {
                BlockingGuard.check("open database from an actor");
                probe.getRef().tell("not detected");
            } catch (IllegalStateException e) {
                probe.getRef().tell("detected: " + e.getMessage());
            }
            return Behaviors.empty();
        }));
        String outcome = probe.expectMessageClass(String.class, Duration.ofSeconds(5));
        assertTrue(outcome.startsWith("detected") && outcome.contains("default-dispatcher"), outcome);
        assertEquals(before + 1, BlockingGuard.violations());
    }
}
