package dev.meridian.backup.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.backup.CheckpointHost;
import dev.meridian.backup.CliRun;
import dev.meridian.backup.TestEnv;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code create --checkpoint DIR [--remove-checkpoint]}: the CLI hands over a checkpoint through the server's REST API. */
class CreateCheckpointCliTest {
    @TempDir
    Path dir;

    static CliRun cli(String... args) {
        return CliRun.of(args);
    }

    @Test
    void createWithCheckpointIngestsTheDirectoryAndRemovesItWhenAsked() throws Exception {
        Path roots = Files.createDirectories(dir.resolve("handover"));
        Path appDb = dir.resolve("db").resolve("svc");
        Files.createDirectories(appDb.getParent());
        try (CheckpointHost host = CheckpointHost.start(appDb, dir.resolve("host.log"));
                TestEnv env = TestEnv.start(dir, List.of(), "meridian.databases = [ { name = \"svc\", path = \"" + appDb
                        + "\", owner = \"application\", checkpoint-roots = [\"" + roots + "\"] } ]\n")) {
            host.write("k", 200);
            Path cp = roots.resolve("cp-cli");
            long seq = host.checkpoint(cp);
            CliRun created = cli("create", "svc", "--checkpoint", cp.toString(), "--remove-checkpoint", "--json",
                    "--server", env.baseUrl());
            assertEquals(0, created.code(), created.err());
            assertTrue(created.out().contains("\"sequence_number\" : " + seq) || created.out().contains("\"sequence_number\":" + seq),
                    created.out());
            assertFalse(Files.exists(cp), "removed after publishing");

            CliRun usage = cli("create", "svc", "--remove-checkpoint", "--server", env.baseUrl());
            assertEquals(CliException.USAGE, usage.code(), usage.err());

            Path kept = roots.resolve("cp-kept");
            host.checkpoint(kept);
            CliRun plain = cli("create", "svc", "--checkpoint", kept.toString(), "--server", env.baseUrl());
            assertEquals(0, plain.code(), plain.err());
            assertTrue(plain.out().contains("Created backup"), plain.out());
            assertTrue(Files.exists(kept.resolve("CURRENT")), "kept without --remove-checkpoint");
        }
    }
}
