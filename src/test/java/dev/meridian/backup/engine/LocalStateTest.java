package dev.meridian.backup.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.backup.TestEnv;
import dev.meridian.backup.model.Json;
import dev.meridian.backup.repository.JobJournal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job journal and the fingerprint cache live in {@code meridian.state-dir}, under the repository's id, never in
 * the repository; a repository written by an older version (journal in {@code locks/}, fingerprints in
 * {@code cache/fingerprints/}) has its pending journal entries recovered and its old state moved at start.
 */
class LocalStateTest {
    @TempDir
    Path dir;

    private static List<String> names(Path p) throws Exception {
        try (Stream<Path> s = Files.list(p)) {
            return s.map(x -> x.getFileName().toString()).sorted().toList();
        }
    }

    private static boolean emptyDirectory(Path p) {
        try (Stream<Path> s = Files.list(p)) {
            return s.findAny().isEmpty();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void backup(TestEnv env, String db) throws Exception {
        TestEnv.Reply r = env.request("POST", "/api/v1/databases/" + db + "/backups", "{}");
        assertEquals(200, r.status() / 100 * 100, r.raw().body());
    }

    @Test
    void theJournalAndTheFingerprintsLandInTheStateDirectoryNotInTheRepository() throws Exception {
        try (TestEnv env = TestEnv.start(dir, List.of("orders"), "")) {
            backup(env, "orders");
            Path state = env.repositoryState();
            assertTrue(state.startsWith(env.stateDir));
            assertTrue(Files.isRegularFile(state.resolve("fingerprints").resolve("orders.json")), "fingerprints saved");
            assertTrue(Files.isDirectory(state.resolve("journal")));
            assertTrue(TestEnv.eventually(() -> emptyDirectory(state.resolve("journal"))),
                    "the journal is here, and empty once the job has ended");
            assertFalse(Files.exists(env.repository.resolve("cache")), "no cache in the repository");
            assertEquals(List.of("repository.lock"), names(env.repository.resolve("locks")));
        }
    }

    @Test
    void anUpgradedServerRecoversTheOldJournalAndMovesTheOldState() throws Exception {
        TestEnv env = TestEnv.start(dir, List.of("orders"), "");
        backup(env, "orders");
        env.stopServer();
        Path state = env.repositoryState();
        // The layout of the previous version: a journal entry left by a crash, and the fingerprint cache, in the repository.
        Path oldFingerprints = Files.createDirectories(env.repository.resolve("cache").resolve("fingerprints"));
        Files.move(state.resolve("fingerprints").resolve("orders.json"), oldFingerprints.resolve("orders.json"));
        Path scratch = Files.createDirectories(dir.resolve("interrupted-checkpoint"));
        Files.writeString(scratch.resolve("000007.sst"), "x");
        JobJournal.Entry entry = new JobJournal.Entry("legacy", "backup", "orders", "b1", null, null, null, null,
                List.of(scratch.toString()));
        Files.write(env.repository.resolve("locks").resolve("job-legacy.json"), Json.MAPPER.writeValueAsBytes(entry));

        env.startServer();
        try {
            assertFalse(Files.exists(scratch), "the old journal entry was recovered: " + env.server.recovered());
            assertTrue(env.server.recovered().stream().anyMatch(l -> l.contains("legacy") && l.contains("interrupted")),
                    env.server.recovered().toString());
            assertTrue(env.server.recovered().stream().anyMatch(l -> l.contains("job-legacy.json") && l.contains("moved")),
                    env.server.recovered().toString());
            assertEquals(List.of("repository.lock"), names(env.repository.resolve("locks")), "the old journal is gone");
            assertFalse(Files.exists(env.repository.resolve("cache")), "the old cache directory is gone");
            assertEquals(List.of("orders.json"), names(state.resolve("fingerprints")), "the fingerprints moved");
            assertEquals(List.of(), names(state.resolve("journal")));
            backup(env, "orders"); // and the server works on
        } finally {
            env.close();
        }
    }
}
