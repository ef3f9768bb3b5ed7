package dev.meridian.backup.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7 item 8: a client verb loads nothing of the engine (no Pekko, RocksDB, hashing, repository, logback), because
 * loading it cost a second per command. Each verb runs in a fresh JVM with -verbose:class, as an operator runs it.
 */
class ClientVerbClassesTest {
    private static final List<String> ENGINE = List.of("org.apache.pekko.", "org.rocksdb.", "dev.meridian.backup.hash.",
            "dev.meridian.backup.repository.", "dev.meridian.backup.runtime.", "dev.meridian.backup.engine.", "dev.meridian.backup.server.", "ch.qos.logback.", "com.typesafe.config.",
            "com.github.luben.zstd.");
    private static final List<String> ENGINE_RUNTIME = List.of("org.apache.pekko.", "org.rocksdb.", "dev.meridian.backup.hash.",
            "ch.qos.logback.", "com.github.luben.zstd.");

    @TempDir
    Path dir;

    @Test
    void clientVerbsAgainstAServerLoadNoEngineClasses() throws Exception {
        String down = "http://127.0.0.1:" + closedPort();
        String id = "20261126T021948Z-7f3a2c";
        List<List<String>> runs = List.of(List.of("--version"), List.of("--help"), List.of("list", "--server", down),
                List.of("show", id, "--server", down), List.of("stats", "--server", down),
                List.of("verify", id, "--server", down), List.of("restore", id, "--yes", "--server", down),
                List.of("create", "orders", "--server", down));
        for (List<String> args : runs) {
            String loaded = loadedClasses(args);
            // Top-level help describes serve, mcp and bench too, so picocli loads their classes, but none of the engine's.
            for (String prefix : args.equals(List.of("--help")) ? ENGINE_RUNTIME : ENGINE) {
                assertTrue(!loaded.contains(" " + prefix), String.join(" ", args) + " loaded " + prefix + "*: "
                        + firstLineWith(loaded, " " + prefix));
            }
        }
    }

    @Test
    void aClientVerbWithConfigLoadsOnlyHoconBesideTheClient() throws Exception {
        // --config FILE reads the server's HOCON file (Typesafe Config), and nothing else of the engine.
        Path conf = java.nio.file.Files.writeString(dir.resolve("client.conf"),
                "meridian.http { host = \"0.0.0.0\", port = " + closedPort() + " }\n");
        String loaded = loadedClasses(List.of("list", "--config", conf.toString()));
        assertTrue(loaded.contains(" com.typesafe.config.ConfigFactory "), "the control: the file was read");
        for (String prefix : ENGINE) {
            if (!prefix.equals("com.typesafe.config.")) {
                assertTrue(!loaded.contains(" " + prefix), "list --config loaded " + prefix + "*: " + firstLineWith(loaded, " " + prefix));
            }
        }
    }

    @Test
    void theRepoPathStillLoadsTheRepository() throws Exception {
        // The control for the test above: -verbose:class does show engine classes when a verb really needs them.
        String loaded = loadedClasses(List.of("list", "--repo", dir.resolve("none").toString()));
        assertTrue(loaded.contains(" dev.meridian.backup.repository.Repository "), "the --repo path opens a repository");
    }

    private static String loadedClasses(List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-verbose:class", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the verb finished");
        assertTrue(out.contains("dev.meridian.backup.cli.Main"), "ran Main: " + out.substring(0, Math.min(300, out.length())));
        return out;
    }

    private static String firstLineWith(String text, String needle) {
        return text.lines().filter(l -> l.contains(needle)).findFirst().orElse("");
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
