package dev.meridian.backup.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.meridian.backup.Mounts;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `serve` with a repository it cannot create or write says so, naming the path and the real cause (issue 7,
 * item 5: it printed only "error: Invalid argument", or a bare path).
 */
class ServeRepositoryErrorTest {
    @TempDir
    Path dir;

    private String serve(Path repository) throws Exception {
        return serve(repository, 0, "[]");
    }

    private String serve(Path repository, int port, String databases) throws Exception {
        Path conf = dir.resolve("meridian.conf");
        Files.writeString(conf, "meridian {\n  http { host = \"127.0.0.1\", port = " + port + " }\n  repository.path = \""
                + repository + "\"\n  state-dir = \"" + dir.resolve("state") + "\"\n  restore-roots = [\""
                + dir.resolve("restore") + "\"]\n  databases = " + databases + "\n}\n");
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = Main.run("serve", "--config", conf.toString());
        } finally {
            System.setErr(oldErr);
        }
        String printed = err.toString(StandardCharsets.UTF_8);
        assertEquals(CliException.FAILURE, code, printed);
        assertFalse(printed.contains("Exception") || printed.contains("\tat "), "no stack trace: " + printed);
        return printed;
    }

    @Test
    void aRepositoryPathUnderARegularFileIsNamedWithTheReason() throws Exception {
        Path file = Files.writeString(dir.resolve("not-a-dir"), "x");
        String printed = serve(file.resolve("repo"));
        assertTrue(printed.contains("error: cannot open the repository at " + file.resolve("repo")), printed);
        assertTrue(printed.contains(file.toString()) && printed.contains("meridian.repository.path"), printed);
    }

    /**
     * A port another process listens on is refused before anything exists: before, the demo database was created and
     * seeded, the repository initialized, and then Pekko's bind failure printed a stack trace.
     */
    @Test
    void aBusyPortIsRefusedInOneLineBeforeAnythingIsCreated() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
            Path db = dir.resolve("db");
            Path repo = dir.resolve("repo");
            String printed = serve(repo, taken.getLocalPort(), "[{ name = demo, path = \"" + db + "\", create-if-missing = true }]");
            assertTrue(printed.contains("error: cannot listen on 127.0.0.1:" + taken.getLocalPort())
                    && printed.contains("Set meridian.http.port to a free port"), printed);
            assertEquals(1, printed.strip().lines().filter(l -> l.startsWith("error:")).count(), printed);
            assertFalse(Files.exists(db), "no database created");
            assertFalse(Files.exists(repo), "no repository created");
            assertFalse(Files.exists(dir.resolve("state")), "no state directory created");
        }
    }

    @Test
    void aRepositoryOnAReadOnlyFilesystemSaysReadOnly() throws Exception {
        Path ro = Files.createDirectories(dir.resolve("ro"));
        assumeTrue(Mounts.tmpfs(ro, "1m"), "mounting needs root; run as root to test a read-only filesystem");
        try {
            assumeTrue(Mounts.remountReadOnly(ro));
            String printed = serve(ro.resolve("repo"));
            assertTrue(printed.contains("cannot open the repository at " + ro.resolve("repo"))
                    && printed.contains("Read-only file system") && printed.contains("mounted read-only"), printed);
        } finally {
            Mounts.unmount(ro);
        }
    }
}
