package dev.meridian.backup.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.meridian.backup.model.ProgressUpdate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The spec's rule for progress: the value MUST increase with each notification, also when no byte moved. */
class CallNotifierTest {
    static CallNotifier notifier(String operation, List<ObjectNode> sent) {
        return new CallNotifier(new McpSession(null, "2025-11-25", null), TextNode.valueOf("t"), sent::add,
                "backup_restore", operation, Duration.ofSeconds(5), null);
    }

    static List<Double> values(List<ObjectNode> sent) {
        return sent.stream().map(m -> m.path("params").path("progress").asDouble()).toList();
    }

    /**
     * A backup stuck on one byte count for a thousand steps (heartbeats for 40 minutes at the default interval)
     * still sends rising values: below the next byte at a gigabyte, and within two bytes at a terabyte, where
     * double precision runs out and each value is the next representable one.
     */
    @Test
    void stepsWithoutNewBytesStillIncrease() {
        for (long bytes : new long[] {0, 1L << 30, 1L << 40}) {
            List<ObjectNode> sent = new ArrayList<>();
            CallNotifier n = notifier("backup", sent);
            for (int i = 0; i < 1000; i++) {
                n.progress(new ProgressUpdate("r", "backup", "alpha", bytes, 2 * bytes + 1, "step " + i));
            }
            n.progress(new ProgressUpdate("r", "backup", "alpha", bytes + 3, 2 * bytes + 1, null));
            List<Double> v = values(sent);
            assertEquals(1001, v.size());
            for (int i = 1; i < v.size(); i++) {
                assertTrue(v.get(i) > v.get(i - 1), bytes + ", value " + i + ": " + v.get(i - 1) + " then " + v.get(i));
            }
            assertTrue(v.get(999) < bytes + (bytes < (1L << 35) ? 1 : 2), bytes + ": " + v.get(999));
            assertEquals(bytes + 3, v.get(1000), "a new byte count is sent as is");
        }
    }

    /** A restore's safety backup restarts its byte count at 0: added to the restore's bytes, the series still rises. */
    @Test
    void aRestoresSafetyBackupContinuesTheRestoresSeries() {
        List<ObjectNode> sent = new ArrayList<>();
        CallNotifier n = notifier("restore", sent);
        n.progress(new ProgressUpdate("r", "restore", "b1", 1000, 1000, "staged"));
        n.progress(new ProgressUpdate("r", "backup", "alpha", 0, 5000, "checkpointed"));
        n.progress(new ProgressUpdate("r", "backup", "alpha", 2500, 5000, null));
        n.progress(new ProgressUpdate("r", "backup", "alpha", 5000, 5000, "published"));
        n.progress(new ProgressUpdate("r", "restore", "b1", 1000, 1000, "swapping"));
        n.progress(new ProgressUpdate("r", "verify", "x", 99_999, 99_999, null)); // not this call's: ignored
        List<Double> v = values(sent);
        assertEquals(List.of(1000.0, 1000.5, 3500.0, 6000.0, 6000.5), v);
        assertEquals(6000, sent.get(3).path("params").path("total").asLong(), "restore bytes plus safety-backup bytes");
        assertEquals("restore: safety backup of alpha: 2500 of 5000 bytes", sent.get(2).path("params").path("message").asText());
        assertFalse(sent.get(4).path("params").has("total"), "never a value above the total it is sent with");
        n.finish();
        n.progress(new ProgressUpdate("r", "restore", "b1", 1000, 1000, "restored"));
        assertEquals(5, sent.size(), "nothing after the result");
    }
}
