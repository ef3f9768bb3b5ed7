package dev.meridian.backup.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.model.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/**
 * The workload recorded into the client verbs' class data sharing archive ({@code bin/meridian-backup} runs it once
 * per build with {@code -XX:DumpLoadedClassList}, then dumps a static archive of that list with {@code -Xshare:dump}):
 * it parses every client verb's options and help, sends a GET and a POST over HTTP to a one-shot local responder,
 * reads a --config file (HOCON), and reads and prints JSON, so the archive holds the JDK, picocli, Jackson, Typesafe
 * Config and CLI classes a client verb loads. It never loads the engine. Not a verb: it prints nothing and exits 0.
 */
public final class ClientCdsTraining {
    private static final String PAGE = "{\"backups\":[{\"backup_id\":\"20261126T021948Z-7f3a2c\",\"database\":\"orders\","
            + "\"type\":\"manual\",\"completed_at\":\"2026-11-26T02:19:49.000Z\",\"size_bytes\":1048576,\"stored_bytes\":1024,"
            + "\"file_count\":3,\"verified\":true,\"tags\":[\"a\"],\"description\":null}],\"total_count\":1,\"next_cursor\":null}";

    private ClientCdsTraining() {}

    public static void main(String[] args) throws Exception {
        PrintStream sink = new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
        for (String verb : List.of("create", "list", "show", "verify", "restore", "delete", "stats", "retention")) {
            CommandLine cl = Main.commandLine(verb, "--help");
            cl.setOut(new java.io.PrintWriter(sink));
            cl.getSubcommands().get(verb).getUsageMessage();
        }
        Main.commandLine("--help").getUsageMessage();
        try (ServerSocket server = new ServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
            Thread responder = new Thread(() -> answer(server, 2), "cds-training-responder");
            responder.setDaemon(true);
            responder.start();
            // --config FILE: the HOCON reading of the server's file (Typesafe Config), with a token in it.
            java.nio.file.Path conf = java.nio.file.Files.createTempFile("meridian-cds-", ".conf");
            try {
                java.nio.file.Files.writeString(conf, "meridian { http { host = \"0.0.0.0\", port = " + server.getLocalPort()
                        + " }, auth.tokens = [{ name = t, token = \"training-token-0123456789\", scopes = [admin] }] }\n");
                ServerConfigFile.read(conf, true);
            } finally {
                java.nio.file.Files.deleteIfExists(conf);
            }
            ApiClient api = new ApiClient("http://127.0.0.1:" + server.getLocalPort(), "training-token");
            JsonNode page = api.get("/api/v1/backups" + ApiClient.query(Map.of("limit", 50)));
            api.post("/api/v1/databases/" + ApiClient.segment("orders") + "/retention/apply", Map.of("dry_run", true));
            Output.json(sink, page);
            Output.table(sink, List.of("ID", "SIZE"), List.of(List.of(page.path("total_count").asText(),
                    Output.size(page.path("backups").get(0).get("size_bytes")))));
            responder.join(5_000);
        }
        Json.MAPPER.readTree("{\"error\":{\"code\":\"not_found\",\"message\":\"x\"}}");
    }

    /** Answers {@code n} requests with {@link #PAGE}, reading each request's headers and body first. */
    private static void answer(ServerSocket server, int n) {
        for (int i = 0; i < n; i++) {
            try (Socket s = server.accept()) {
                InputStream in = s.getInputStream();
                ByteArrayOutputStream head = new ByteArrayOutputStream();
                int b;
                while ((b = in.read()) >= 0) {
                    head.write(b);
                    if (head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                        break;
                    }
                }
                for (String line : head.toString(StandardCharsets.ISO_8859_1).split("\r\n")) {
                    if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                        in.readNBytes(Integer.parseInt(line.substring(15).trim()));
                    }
                }
                byte[] body = PAGE.getBytes(StandardCharsets.UTF_8);
                OutputStream out = s.getOutputStream();
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.write(body);
                out.flush();
            } catch (IOException e) {
                return;
            }
        }
    }
}
