package dev.meridian.backup.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.TestEnv;
import dev.meridian.backup.config.Settings;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.Json;
import dev.meridian.backup.server.Server;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.Host;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No web page the operator happens to visit may make the server act or read its answers (issue 7, item 10): every
 * route checks Host (DNS rebinding) and Origin (cross-site requests), state-changing requests must be declared JSON
 * (browsers send text/plain and forms across origins without a preflight), and preflights are answered on purpose.
 * Requests go over a raw socket, since java.net.http will not send a forged Host header.
 */
class WebOriginTest {
    static final String EVIL_ORIGIN = "http://evil.example";
    static final String JSON = "application/json";

    @TempDir
    static Path dir;
    static TestEnv env;
    static String backupId;
    static String rebindHost;

    @BeforeAll
    static void start() throws Exception {
        env = new TestEnv(dir, List.of("orders"), "");
        env.server = Server.start(env.settings(), true, Server::mcpRoutes);
        backupId = env.request("POST", "/api/v1/databases/orders/backups", "{}").json().path("backup_id").asText();
        assertFalse(backupId.isEmpty());
        // Keys written after the backup: a restore of it would remove them.
        env.write("orders", "after-backup-", 50, 16, 7);
        rebindHost = "rebind.evil.example:" + port();
    }

    @AfterAll
    static void stop() throws Exception {
        env.close();
    }

    static int port() {
        return env.server.address().getPort();
    }

    static String local() {
        return "127.0.0.1:" + port();
    }

    /** The live database and the catalog, to show that a refused request changed nothing. */
    record State(Map<String, String> keys, int backups) {}

    static State state() throws Exception {
        return new State(env.snapshot("orders"), env.server.engine().catalog().size());
    }

    // ---- the input ----

    /** The reported input: a cross-origin simple request through a rebound name replaced the live database. */
    @Test
    void crossOriginTextPlainRestoreThroughRebindHostIsRefusedAndTheLiveDatabaseIsUnchanged() throws Exception {
        State before = state();
        assertTrue(before.keys().containsKey("after-backup-00000049"));
        Raw r = send("POST", "/api/v1/backups/" + backupId + "/restore", rebindHost, EVIL_ORIGIN, "text/plain",
                "{\"create_safety_backup\": false}");
        r.assertError(403, "forbidden", rebindHost, "meridian.http.allowed-hosts");
        assertEquals(before, state(), "a refused restore changes nothing");
    }

    /** Each part of that input is refused on its own: a bad Host, a bad Origin, a non-JSON body. */
    @Test
    void eachPartOfTheCrossSiteRestoreIsRefusedOnItsOwn() throws Exception {
        State before = state();
        String path = "/api/v1/backups/" + backupId + "/restore";
        String body = "{\"create_safety_backup\": false}";
        send("POST", path, rebindHost, null, JSON, body).assertError(403, "forbidden", rebindHost, "meridian.http.allowed-hosts");
        send("POST", path, local(), EVIL_ORIGIN, JSON, body).assertError(403, "forbidden", EVIL_ORIGIN, "meridian.http.allowed-origins");
        send("POST", path, local(), "null", JSON, body).assertError(403, "forbidden", "'null'");
        send("POST", path, local(), null, "text/plain", body).assertError(415, "unsupported_media_type", "text/plain", "application/json");
        send("POST", path, local(), null, "text/plain;charset=UTF-8", body).assertError(415, "unsupported_media_type");
        send("POST", path, local(), null, "application/x-www-form-urlencoded", "create_safety_backup=false")
                .assertError(415, "unsupported_media_type", "application/x-www-form-urlencoded");
        send("POST", path, local(), null, "multipart/form-data; boundary=x", "--x--")
                .assertError(415, "unsupported_media_type", "multipart/form-data");
        // A bodiless POST is a simple request too: it must still be declared JSON.
        send("POST", path, local(), null, null, null).assertError(415, "unsupported_media_type", "got none");
        assertEquals(before, state(), "no refused request changed the database or the catalog");
    }

    // ---- every route family ----

    record Call(String method, String path, String body, String accept) {
        @Override
        public String toString() {
            return method + " " + path + (accept == null ? "" : " (" + accept + ")");
        }
    }

    static List<Call> everyRoute() {
        String id = backupId;
        String initialize = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
                + "\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";
        return List.of(
                new Call("GET", "/api/v1/databases", null, null),
                new Call("GET", "/api/v1/databases/orders/backups", null, null),
                new Call("GET", "/api/v1/backups", null, null),
                new Call("GET", "/api/v1/backups/" + id, null, null),
                new Call("GET", "/api/v1/backups/" + id + "/manifest", null, null),
                new Call("GET", "/api/v1/stats", null, null),
                new Call("GET", "/metrics", null, null),
                new Call("GET", "/healthz", null, null),
                new Call("POST", "/api/v1/databases/orders/backups", "{}", null),
                new Call("POST", "/api/v1/databases/orders/backups", "{}", "text/event-stream"),
                new Call("POST", "/api/v1/backups/" + id + "/verify", "{}", "text/event-stream"),
                new Call("POST", "/api/v1/backups/" + id + "/restore", "{\"create_safety_backup\":false}", null),
                new Call("POST", "/api/v1/databases/orders/retention/apply", "{}", null),
                new Call("DELETE", "/api/v1/backups/" + id, null, null),
                new Call("DELETE", "/api/v1/operations/some-request", null, null),
                new Call("POST", "/mcp", initialize, "application/json, text/event-stream"),
                new Call("DELETE", "/mcp", null, null));
    }

    /** DNS rebinding: a page on a rebound name reaches 127.0.0.1 but neither acts nor reads an answer. */
    @Test
    void everyRouteRefusesAForeignHost() throws Exception {
        State before = state();
        for (Call c : everyRoute()) {
            Raw r = send(c.method(), c.path(), rebindHost, null, c.body() == null ? null : JSON, c.body(), accept(c));
            r.assertError(403, "forbidden", rebindHost, "meridian.http.allowed-hosts");
            assertFalse(r.body().contains(backupId) || r.body().contains(env.dbPath("orders").toString()),
                    c + ": a refused answer reveals nothing: " + r.body());
        }
        assertEquals(before, state());
    }

    /** Cross-site requests: a page from a foreign origin is refused on every route, and gets no CORS headers. */
    @Test
    void everyRouteRefusesAForeignOrigin() throws Exception {
        State before = state();
        for (Call c : everyRoute()) {
            Raw r = send(c.method(), c.path(), local(), EVIL_ORIGIN, c.body() == null ? null : JSON, c.body(), accept(c));
            r.assertError(403, "forbidden", EVIL_ORIGIN, "meridian.http.allowed-origins");
            assertNull(r.header("Access-Control-Allow-Origin"), c + ": no CORS header for a refused origin");
        }
        assertEquals(before, state());
    }

    /** Every state-changing route (REST and MCP, plain and SSE) refuses a body a web page could send across origins. */
    @Test
    void everyStateChangingRouteRefusesANonJsonContentType() throws Exception {
        State before = state();
        for (Call c : everyRoute()) {
            if (c.method().equals("GET")) {
                continue;
            }
            for (String type : List.of("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=b")) {
                Raw r = send(c.method(), c.path(), local(), null, type, c.body() == null ? "x=1" : c.body(), accept(c));
                r.assertError(415, "unsupported_media_type", c.method() + " " + c.path(), "application/json");
            }
        }
        assertEquals(before, state());
    }

    private static String[] accept(Call c) {
        return c.accept() == null ? new String[0] : new String[] {"Accept", c.accept()};
    }

    // ---- what still passes ----

    /** Non-browser clients (no Origin) and the local names pass; a JSON type with a charset is JSON. */
    @Test
    void requestsWithoutOriginAndLocalHostNamesPass() throws Exception {
        for (String host : List.of(local(), "localhost:" + port(), "LOCALHOST", "[::1]:" + port(), "127.0.0.1")) {
            Raw r = send("GET", "/api/v1/backups/" + backupId, host, null, null, null);
            assertEquals(200, r.status(), host + ": " + r.body());
            assertNull(r.header("Access-Control-Allow-Origin"));
        }
        assertEquals(200, send("GET", "/metrics", local(), null, null, null).status());
        Raw created = send("POST", "/api/v1/databases/orders/backups", local(), null, "application/json; charset=utf-8",
                "{\"description\":\"charset\"}");
        assertEquals(201, created.status(), created.body());
        // A DELETE without a body needs no content type (curl -X DELETE, the CLI); it is never a simple request.
        String id = created.json().path("backup_id").asText();
        assertEquals(200, send("DELETE", "/api/v1/backups/" + id, local(), null, null, null).status());
        assertEquals(404, send("DELETE", "/api/v1/operations/none", local(), null, null, null).status(), "no such operation; not refused for its content type");
    }

    /** A page from an allowed origin (a local dashboard) may call the API and read answers, errors included. */
    @Test
    void anAllowedOriginPassesAndGetsCorsHeaders() throws Exception {
        String origin = "http://localhost:" + port();
        Raw list = send("GET", "/api/v1/backups", local(), origin, null, null);
        assertEquals(200, list.status(), list.body());
        assertEquals(origin, list.header("Access-Control-Allow-Origin"));
        assertEquals("Origin", list.header("Vary"));
        Raw verify = send("POST", "/api/v1/backups/" + backupId + "/verify", local(), "http://127.0.0.1:5173", JSON, "{}");
        assertEquals(200, verify.status(), verify.body());
        assertTrue(verify.json().path("valid").asBoolean());
        assertEquals("http://127.0.0.1:5173", verify.header("Access-Control-Allow-Origin"));
        Raw missing = send("GET", "/api/v1/backups/20200101T000000000Z-000000", local(), origin, null, null);
        assertEquals(404, missing.status(), missing.body());
        assertEquals(origin, missing.header("Access-Control-Allow-Origin"), "a page may read why its call failed");
        Raw mcp = send("POST", "/mcp", local(), origin, JSON, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\","
                + "\"params\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}");
        assertEquals(200, mcp.status(), mcp.body());
        assertTrue(mcp.header("Access-Control-Expose-Headers").contains("Mcp-Session-Id"));
    }

    /** Preflights: explicit CORS answer for an allowed origin, 403 without CORS headers for any other. */
    @Test
    void preflightsAreAnsweredOnPurpose() throws Exception {
        for (String path : List.of("/api/v1/backups/" + backupId + "/restore", "/api/v1/backups/" + backupId, "/mcp")) {
            Raw ok = send("OPTIONS", path, local(), "http://localhost:3000", null, null,
                    "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type,authorization");
            assertEquals(204, ok.status(), path + ": " + ok.body());
            assertEquals("http://localhost:3000", ok.header("Access-Control-Allow-Origin"));
            assertTrue(ok.header("Access-Control-Allow-Methods").contains("POST"));
            assertTrue(ok.header("Access-Control-Allow-Methods").contains("DELETE"));
            assertTrue(ok.header("Access-Control-Allow-Headers").contains("Content-Type"));
            assertTrue(ok.header("Access-Control-Allow-Headers").contains("Authorization"));
            Raw evil = send("OPTIONS", path, local(), EVIL_ORIGIN, null, null, "Access-Control-Request-Method", "POST");
            evil.assertError(403, "forbidden", EVIL_ORIGIN);
            assertNull(evil.header("Access-Control-Allow-Origin"));
            assertNull(evil.header("Access-Control-Allow-Methods"));
            send("OPTIONS", path, rebindHost, "http://localhost:3000", null, null, "Access-Control-Request-Method", "POST")
                    .assertError(403, "forbidden", rebindHost);
        }
    }

    // ---- configuration ----

    /** A wildcard bind names no host: only the listed names are served, and the operator is told so. */
    @Test
    void aWildcardBindServesOnlyTheListedNames() throws Exception {
        OriginPolicy p = policy("meridian.http { host = \"0.0.0.0\", allowed-hosts = [\"backup.internal\"] }");
        assertTrue(p.refusal(get("backup.internal:8080")).isEmpty());
        assertTrue(p.refusal(get("Backup.Internal.")).isEmpty());
        assertTrue(p.refusal(get("0.0.0.0:8080")).isPresent(), "0.0.0.0 is no name of the server");
        assertTrue(p.refusal(get("127.0.0.1")).isPresent(), "the listed names replace the defaults");
        assertTrue(p.warnings().stream().anyMatch(w -> w.contains("0.0.0.0") && w.contains("allowed-hosts")), p.warnings().toString());
        OriginPolicy named = policy("meridian.http { host = \"10.0.0.5\", allowed-hosts = [] }");
        assertTrue(named.refusal(get("10.0.0.5:8080")).isEmpty(), "the bound address is always a name of the server");
        assertTrue(named.refusal(get("localhost")).isPresent());
    }

    /** Old configs keep working: meridian.mcp.allowed-* are merged into the transport-wide lists, with a warning. */
    @Test
    void theDeprecatedMcpKeysAreMergedIntoTheHttpLists() throws Exception {
        OriginPolicy p = policy("meridian.mcp { allowed-hosts = [\"agents.internal\"], allowed-origins = [\"https://agent.example\"] }");
        assertTrue(p.refusal(get("agents.internal")).isEmpty());
        assertTrue(p.refusal(get("localhost")).isEmpty(), "the http defaults stay");
        assertTrue(p.refusal(get("localhost").addHeader(RawHeader.create("Origin", "https://agent.example"))).isEmpty());
        assertTrue(p.refusal(get("localhost").addHeader(RawHeader.create("Origin", "http://agent.example"))).isPresent());
        assertEquals(2, p.warnings().stream().filter(w -> w.contains("deprecated")).count(), p.warnings().toString());
        assertTrue(policy("").warnings().isEmpty(), "the defaults warn about nothing");
    }

    @Test
    void aMalformedAllowListEntryIsRefusedAtStartNamingTheKey() throws Exception {
        BackupException e = assertThrows(BackupException.class, () -> policy("meridian.http.allowed-origins = [\"localhost:3000\"]"));
        assertTrue(e.getMessage().contains("meridian.http.allowed-origins") && e.getMessage().contains("localhost:3000"), e.getMessage());
        e = assertThrows(BackupException.class, () -> policy("meridian.mcp.allowed-hosts = [\"http://x/\"]"));
        assertTrue(e.getMessage().contains("meridian.mcp.allowed-hosts"), e.getMessage());
    }

    private static int configs;

    private static OriginPolicy policy(String extra) throws Exception {
        Path root = Files.createDirectories(dir.resolve("config-" + (++configs)));
        Settings s = new TestEnv(root, List.of("x"), extra).settings();
        return OriginPolicy.from(s);
    }

    private static HttpRequest get(String host) {
        return HttpRequest.GET("/api/v1/backups").addHeader(Host.create(host.replaceAll(":\\d+$", ""),
                host.matches(".*:\\d+$") ? Integer.parseInt(host.replaceAll(".*:", "")) : 0));
    }

    // ---- raw HTTP/1.1 ----

    record Raw(int status, Map<String, String> headers, String body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        JsonNode json() {
            try {
                return Json.MAPPER.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }

        /** The answer is the API's JSON error with this status and code, and its message names each fragment. */
        void assertError(int expected, String code, String... fragments) {
            assertEquals(expected, status, body);
            assertTrue(header("Content-Type").startsWith(JSON), body);
            JsonNode error = json().path("error");
            assertEquals(code, error.path("code").asText(), body);
            for (String f : fragments) {
                assertTrue(error.path("message").asText().contains(f), "'" + error.path("message").asText() + "' should name '" + f + "'");
            }
        }
    }

    /** Sends one request over a fresh connection, with exactly the Host, Origin and Content-Type given (null: none). */
    static Raw send(String method, String path, String host, String origin, String contentType, String body, String... headers)
            throws IOException {
        byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        StringBuilder head = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\n");
        if (origin != null) {
            head.append("Origin: ").append(origin).append("\r\n");
        }
        if (contentType != null) {
            head.append("Content-Type: ").append(contentType).append("\r\n");
        }
        for (int i = 0; i < headers.length; i += 2) {
            head.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
        }
        if (body != null || !method.equals("GET") && !method.equals("OPTIONS") && !method.equals("DELETE")) {
            head.append("Content-Length: ").append(bytes.length).append("\r\n");
        }
        head.append("Connection: close\r\n\r\n");
        try (Socket s = new Socket("127.0.0.1", port())) {
            s.setSoTimeout(120_000);
            OutputStream out = s.getOutputStream();
            out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
            out.write(bytes);
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            return parse(all.toByteArray());
        }
    }

    private static Raw parse(byte[] response) {
        String text = new String(response, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        String[] lines = text.substring(0, end).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.putIfAbsent(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
        }
        String rest = text.substring(end + 4);
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            List<String> chunks = new ArrayList<>();
            int i = 0;
            while (true) {
                int eol = rest.indexOf("\r\n", i);
                int size = Integer.parseInt(rest.substring(i, eol).trim(), 16);
                if (size == 0) {
                    break;
                }
                chunks.add(rest.substring(eol + 2, eol + 2 + size));
                i = eol + 2 + size + 2;
            }
            rest = String.join("", chunks);
        }
        return new Raw(status, headers, new String(rest.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8));
    }
}
