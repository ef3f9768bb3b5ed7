package dev.meridian.backup.embed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.backup.model.BackupSummary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety in the host (invariants 3 and 4): a host JVM halted in the middle of an embedded backup or of a
 * hand-off restore leaves, at its next start (Meridian first, then the host's own open), the database wholly old or
 * wholly new, no scratch directory, and no backup that is not complete.
 */
class HostCrashTest {

    private static Path config(Path work) throws Exception {
        return HostConfig.write(work, "app", "schedule = off");
    }

    private static List<String> runHost(Path work, String crashAt, String... action) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-XX:TieredStopAtLevel=1", "--add-modules", "jdk.incubator.vector"));
        if (crashAt != null) {
            cmd.add("-Dmeridian.test.crash-at=" + crashAt);
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), CrashingHost.class.getName(),
                work.resolve("meridian.conf").toString(), work.resolve("app").toString()));
        cmd.addAll(List.of(action));
        Path log = work.resolve("host-" + action[0] + "-" + (crashAt == null ? "ok" : crashAt) + ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(90, TimeUnit.SECONDS), "host did not end: " + Files.readString(log));
        List<String> out = Files.readAllLines(log);
        if (crashAt == null) {
            assertEquals(0, p.exitValue(), String.join("\n", out));
        } else {
            assertEquals(137, p.exitValue(), "the host should have halted at " + crashAt + ":\n" + String.join("\n", out));
        }
        return out;
    }

    private static String line(List<String> out, String prefix) {
        return out.stream().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow(() -> new AssertionError(prefix + " in " + out));
    }

    /** Scratch Meridian may leave beside the database or in the repository: none after a restart. */
    private static void assertNoLeftovers(Path work) throws Exception {
        try (Stream<Path> beside = Files.list(work)) {
            List<String> scratch = beside.map(p -> p.getFileName().toString()).filter(n -> n.contains(".meridian-")).toList();
            assertEquals(List.of(), scratch, "scratch directories beside the database");
        }
        Path tmp = work.resolve("repository/tmp");
        if (Files.isDirectory(tmp)) {
            try (Stream<Path> left = Files.list(tmp)) {
                assertEquals(0, left.count(), "repository tmp/ swept");
            }
        }
    }

    @Test
    void aHostHaltedMidRestoreComesBackWithTheOldOrTheNewDatabaseWhole(@TempDir Path work) throws Exception {
        config(work);
        List<String> seed = runHost(work, null, "seed");
        String[] backup = line(seed, "BACKUP ").split(" ");
        String backupDigest = backup[2];
        String oldDigest = line(seed, "DIGEST ").substring(7);
        for (String point : List.of("restore.after-close", "restore.after-swap-out", "restore.after-swap-in")) {
            String before = WritingHost.readIndependently(work.resolve("app")).digest();
            runHost(work, point, "restore", backup[1]);
            // The next start: Meridian first (recovery), then the host opens and registers; read what it sees.
            try (Meridian again = Meridian.start(work.resolve("meridian.conf"))) {
                assertNoLeftovers(work);
                List<BackupSummary> all = again.list("app");
                assertTrue(all.stream().allMatch(b -> b.fileCount() > 0));
            }
            String after = WritingHost.readIndependently(work.resolve("app")).digest();
            String expected = point.equals("restore.after-close") ? before : backupDigest;
            assertEquals(expected, after, "after a halt at " + point + " the database is wholly "
                    + (expected.equals(before) ? "old" : "the backup's"));
            assertTrue(after.equals(before) || after.equals(backupDigest));
        }
        assertTrue(!oldDigest.equals(backupDigest));
    }

    @Test
    void aHostHaltedMidBackupLeavesNoPartialBackupAndNoScratch(@TempDir Path work) throws Exception {
        config(work);
        runHost(work, null, "seed");
        for (String point : List.of("backup.after-checkpoint", "backup.before-publish")) {
            int before;
            try (Meridian m = Meridian.start(work.resolve("meridian.conf"))) {
                before = m.list("app").size();
            }
            runHost(work, point, "backup");
            try (Meridian again = Meridian.start(work.resolve("meridian.conf"))) {
                assertNoLeftovers(work);
                assertEquals(before, again.list("app").size(), "the halted backup left no trace (" + point + ")");
            }
            WritingHost.readIndependently(work.resolve("app")); // the host's database is whole: a consistent prefix per writer
        }
    }
}
