package dev.meridian.backup.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.backup.TestEnv;
import dev.meridian.backup.engine.EngineWarmup;
import dev.meridian.backup.model.DatabaseStatus;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7 item 8: a first operation right after start found its database still opening (RocksDB's native library
 * load and the open fell inside it) and the warm-up still running beside it. {@code Server.start} now returns once
 * the warm-up has ended and every database Meridian opens itself is open.
 */
class StartReadinessTest {
    @TempDir
    Path dir;

    @Test
    void startReturnsWithEveryDatabaseOpenAndTheWarmUpEnded() throws Exception {
        try (TestEnv env = TestEnv.start(dir, List.of("orders", "users"), "")) {
            List<DatabaseStatus> all = env.server.engine().databases().toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertEquals(2, all.size());
            for (DatabaseStatus d : all) {
                assertEquals("ready", d.state(), d.name() + " is open when start returns: " + d);
            }
            assertTrue(EngineWarmup.await(0), "the warm-up has ended when start returns");
        }
    }
}
