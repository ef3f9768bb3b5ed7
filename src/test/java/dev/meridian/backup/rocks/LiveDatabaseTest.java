package dev.meridian.backup.rocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.ErrorCode;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Closing a database while work runs on its handle: RocksDB's native handle freed under a running call crashes
 * the JVM (SIGSEGV), so close must wait for that work, and refuse what comes after with a clear error.
 */
class LiveDatabaseTest {
    @TempDir
    Path dir;

    @Test
    void closeWaitsForWorkInProgressAndLaterCallsAreRefusedNotCrashed() throws Exception {
        LiveDatabase db = LiveDatabase.open("ledger", dir.resolve("db"), true);
        db.seedIfEmpty(1000);
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<Long> slow = CompletableFuture.supplyAsync(() -> db.use("slow read", () -> {
            started.countDown();
            sleep(400);
            return db.handle().getLatestSequenceNumber(); // the native handle, after close was asked for
        }));
        assertTrue(started.await(10, TimeUnit.SECONDS));
        long asked = System.nanoTime();
        db.close();
        long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - asked);
        assertEquals(1000L, slow.get(10, TimeUnit.SECONDS), "the work in progress finished on an open handle");
        assertTrue(waitedMs >= 200, "close waited for it: " + waitedMs + " ms");

        BackupException refused = assertThrows(BackupException.class, db::latestSequenceNumber);
        assertEquals(ErrorCode.UNAVAILABLE, refused.code());
        assertTrue(refused.getMessage().contains("database ledger is closed"), refused.getMessage());
        assertThrows(BackupException.class, () -> db.checkpoint(dir.resolve("cp")));
        db.close(); // a second close (shutdown after a restore closed it) does nothing
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
