package dev.meridian.backup.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.CliRun;
import dev.meridian.backup.TestEnv;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7 review findings for the client verbs: one way to name a database in every verb (--database DB, the plain
 * argument kept for scripts, two different names refused), and --config FILE, the file serve reads, as the source
 * of the server's address and token (precedence --server, --config, MERIDIAN_SERVER, default). Against a real
 * server that requires a bearer token, over real sockets.
 */
class ClientNamingTest {
    private static final String TOKEN = "client-naming-admin-token-7f3a2c";
    private static final String READ_TOKEN = "client-naming-read-token-0b1d9e";

    @TempDir
    static Path dir;
    static TestEnv env;

    @BeforeAll
    static void start() throws Exception {
        env = TestEnv.start(dir, List.of("shop", "other"), "meridian.auth.tokens = ["
                + "{ name = reader, token = \"" + READ_TOKEN + "\", scopes = [read] },"
                + "{ name = ops, token = \"" + TOKEN + "\", scopes = [admin] }]");
    }

    @AfterAll
    static void stop() throws Exception {
        env.close();
    }

    private static CliRun cli(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        if (!all.contains("--config") && !all.contains("--server")) {
            all.addAll(List.of("--server", env.baseUrl(), "--token", TOKEN));
        }
        return CliRun.of(all.toArray(String[]::new));
    }

    private static int backups(String db) throws Exception {
        return cli("list", "--database", db, "--json").json().path("total_count").asInt();
    }

    @Test
    void everyVerbThatTakesADatabaseTakesBothSpellingsAndRefusesTwoDifferentNames() throws Exception {
        int shop = backups("shop");
        CliRun byOption = cli("create", "--database", "other", "--json");
        assertEquals(0, byOption.code(), byOption.err());
        assertEquals("other", byOption.json().path("database").asText());
        CliRun byArgument = cli("create", "other", "--json");
        assertEquals("other", byArgument.json().path("database").asText(), byArgument.err());
        assertEquals(0, cli("create", "other", "--database", "other").code(), "the same name twice is one name");

        assertEquals(3, backups("other"));
        assertEquals(cli("list", "other", "--json").json().path("total_count").asInt(), backups("other"));
        JsonNode stats = cli("stats", "--database", "other", "--json").json();
        assertEquals(3, stats.path("total").path("backups").asInt(), stats.toString());
        assertEquals(stats, cli("stats", "other", "--json").json(), "stats takes the plain argument too");
        CliRun retention = cli("retention", "--database", "other", "--dry-run", "--json");
        assertEquals(0, retention.code(), retention.err());
        assertEquals(3, retention.json().path("kept").size(), retention.out());
        assertEquals(0, cli("retention", "other", "--dry-run").code());

        for (List<String> args : List.of(List.of("create", "shop", "--database", "other"), List.of("list", "shop", "--database", "other"),
                List.of("stats", "shop", "--database", "other"), List.of("retention", "shop", "--database", "other", "--yes"),
                List.of("list", "shop", "--database", "other", "--repo", env.repository.toString()))) {
            CliRun r = cli(args.toArray(String[]::new));
            assertEquals(CliException.USAGE, r.code(), args + ": " + r.out() + r.err());
            assertTrue(r.err().contains("two databases given: 'shop' as an argument and 'other' with --database"), r.err());
        }
        assertEquals(3, backups("other"), "a refused create or retention changed nothing");
        CliRun unnamed = cli("create");
        assertEquals(CliException.USAGE, unnamed.code());
        assertTrue(unnamed.err().contains("several databases are configured (other, shop); name one with --database DB"), unnamed.err());
        assertEquals(shop, backups("shop"));
        // One spelling in the help of every such verb; copy (whose arguments are backup ids) has it too.
        for (String verb : List.of("create", "list", "stats", "retention", "copy")) {
            assertTrue(CliRun.of(verb, "--help").out().contains("--database=DB"), verb);
        }
    }

    @Test
    void configFileGivesTheServerAndItsWidestTokenNeverPrinted() throws Exception {
        Path file = clientConfig("0.0.0.0", env.server.address().getPort());
        CliRun created = cli("create", "--database", "shop", "--config", file.toString(), "--json");
        assertEquals(0, created.code(), created.err()); // create needs backup scope: the admin token, not the reader's
        CliRun list = cli("list", "--config", file.toString());
        assertEquals(0, list.code(), list.err());
        assertTrue(list.out().contains(created.json().path("backup_id").asText()), list.out());
        for (CliRun r : List.of(created, list)) {
            assertFalse((r.out() + r.err()).contains(TOKEN) || (r.out() + r.err()).contains(READ_TOKEN), "a token was printed");
        }
        // A file that sets only the port: the host is the embedded default's (127.0.0.1), as serve would bind.
        Path portOnly = Files.writeString(dir.resolve("port-only.conf"), "meridian.http.port = " + env.server.address().getPort()
                + "\nmeridian.auth.tokens = [{ name = ops, token = \"" + TOKEN + "\", scopes = [read, admin] }]\n");
        CliRun byPort = cli("list", "--config", portOnly.toString(), "--json");
        assertEquals(0, byPort.code(), byPort.err());
        // --token still wins over the file's: the read token may list but not create.
        CliRun readOnly = cli("create", "shop", "--config", file.toString(), "--token", READ_TOKEN);
        assertEquals(CliException.FAILURE, readOnly.code(), readOnly.err());
        assertFalse(readOnly.err().contains(READ_TOKEN), readOnly.err());
        // --server wins over --config.
        String down = "http://127.0.0.1:" + closedPort();
        CliRun explicit = cli("list", "--config", file.toString(), "--server", down);
        assertEquals(CliException.FAILURE, explicit.code());
        assertTrue(explicit.err().contains("cannot reach the server at " + down) && explicit.err().contains("from --server"),
                explicit.err());
        // A file whose server is not running: the error says where the address came from.
        Path stale = clientConfig("127.0.0.1", closedPort());
        CliRun notRunning = cli("list", "--config", stale.toString());
        assertEquals(CliException.FAILURE, notRunning.code());
        assertTrue(notRunning.err().contains("meridian.http.host/port in --config " + stale), notRunning.err());
    }

    @Test
    void configFileWinsOverTheEnvironmentInAFreshProcess() throws Exception {
        Path file = clientConfig("::", env.server.address().getPort()); // :: is [::1]; the test server is on 127.0.0.1
        Path v4 = clientConfig("0.0.0.0", env.server.address().getPort());
        String down = "http://127.0.0.1:" + closedPort();
        Process p = java(Map.of("MERIDIAN_SERVER", down, "MERIDIAN_TOKEN", READ_TOKEN), "create", "shop", "--config", v4.toString());
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "--config over MERIDIAN_SERVER and MERIDIAN_TOKEN: " + out);
        Process env6 = java(Map.of("MERIDIAN_SERVER", down), "list", "--config", file.toString());
        String out6 = new String(env6.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(env6.waitFor(60, TimeUnit.SECONDS));
        assertTrue(out6.contains("[::1]:" + env.server.address().getPort()) || env6.exitValue() == 0, out6);
        assertFalse(out6.contains(down), "MERIDIAN_SERVER is not used when --config is given: " + out6);
    }

    @Test
    void aConfigFileThatCannotGiveTheServerIsAUsageErrorNamingTheFile() throws Exception {
        Path missing = dir.resolve("no-such.conf");
        Path noHttp = Files.writeString(dir.resolve("no-http.conf"), "meridian.repository.path = \"/srv/backups\"\n");
        Path broken = Files.writeString(dir.resolve("broken.conf"), "meridian.http {\n  port = \n");
        Path ephemeral = Files.writeString(dir.resolve("port0.conf"), "meridian.http { host = \"127.0.0.1\", port = 0 }\n");
        Path badPort = Files.writeString(dir.resolve("port-text.conf"), "meridian.http.port = eighty\n");
        Map<Path, String> cases = Map.of(missing, "does not exist", dir, "is a directory",
                Path.of("/proc/self/mem"), "cannot be read", noHttp, "has no meridian.http section",
                broken, "is not valid HOCON", ephemeral, "meridian.http.port = 0", badPort, "meridian.http.port");
        for (var c : cases.entrySet()) {
            for (String verb : List.of("list", "create")) {
                CliRun r = CliRun.of(verb, "--config", c.getKey().toString());
                assertEquals(CliException.USAGE, r.code(), c.getKey() + ": " + r.err());
                assertTrue(r.err().startsWith("error: config file " + c.getKey()) && r.err().contains(c.getValue())
                        && r.err().contains("--server URL"), r.err());
                assertFalse(r.err().contains("Exception"), r.err());
            }
        }
        // With --server the file only gives the token: an address it cannot give is no error.
        for (Path file : List.of(noHttp, ephemeral)) {
            CliRun served = CliRun.of("list", "--config", file.toString(), "--server", env.baseUrl(), "--token", TOKEN, "--json");
            assertEquals(0, served.code(), file + ": " + served.err());
        }
        CliRun withRepo = CliRun.of("list", "--config", noHttp.toString(), "--repo", env.repository.toString());
        assertEquals(CliException.USAGE, withRepo.code());
        assertTrue(withRepo.err().contains("drop one of them"), withRepo.err());
    }

    @Test
    void aWildcardBindHostIsReachedThroughLoopback() {
        assertEquals("127.0.0.1", ServerConfigFile.clientHost("0.0.0.0"));
        assertEquals("127.0.0.1", ServerConfigFile.clientHost(""));
        assertEquals("[::1]", ServerConfigFile.clientHost("::"));
        assertEquals("[::1]", ServerConfigFile.clientHost("[::]"));
        assertEquals("[::1]", ServerConfigFile.clientHost("0:0:0:0:0:0:0:0"));
        assertEquals("[::1]", ServerConfigFile.clientHost("::1"));
        assertEquals("[fd00::5]", ServerConfigFile.clientHost("fd00::5"));
        assertEquals("10.0.0.7", ServerConfigFile.clientHost("10.0.0.7"));
        assertEquals("backup.internal", ServerConfigFile.clientHost("backup.internal"));
        assertFalse(new ServerConfigFile.Endpoint("http://x:1", TOKEN).toString().contains(TOKEN));
    }

    /** A client config as an operator has it: the server's own file (included), with the address set. */
    private static Path clientConfig(String host, int port) throws IOException {
        return Files.writeString(Files.createTempFile(dir, "client-", ".conf"), "include file(\"" + env.configFile + "\")\n"
                + "meridian.http { host = \"" + host + "\", port = " + port + " }\n");
    }

    private static Process java(Map<String, String> environment, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(environment);
        Process p = pb.start();
        p.getOutputStream().close();
        return p;
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
