package dev.meridian.backup.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.model.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The CLI's side of the REST API: JSON in and out, server errors turned into one clear line. It speaks HTTP through
 * {@link HttpURLConnection}, not java.net.http.HttpClient: the latter sets up TLS and a selector thread before its first
 * request, which cost a client verb 0.6-0.9 s of its start on a 2-core machine; a plain http:// request here loads no TLS.
 */
final class ApiClient {
    private static final int CONNECT_TIMEOUT_MS = 5_000;

    private final String base;
    private final String token;
    /** Where {@link #base} came from, for error messages ("--server", "env MERIDIAN_SERVER", ...). */
    private final String origin;

    ApiClient(String server, String token) {
        this(server, token, "--server");
    }

    /** {@code origin}: where {@code server} came from, named in errors; the token is never named or printed. */
    ApiClient(String server, String token, String origin) {
        this.base = server.endsWith("/") ? server.substring(0, server.length() - 1) : server;
        this.token = token == null || token.isBlank() ? null : token;
        this.origin = origin;
        try {
            URI u = URI.create(base);
            if (u.getScheme() == null || u.getHost() == null) {
                throw new IllegalArgumentException();
            }
        } catch (IllegalArgumentException e) {
            throw new CliException(CliException.USAGE, "server '" + server + "' (from " + origin
                    + ") is not a URL like http://127.0.0.1:8080");
        }
    }

    static String query(Map<String, Object> params) {
        StringBuilder q = new StringBuilder();
        params.forEach((k, v) -> {
            if (v != null) {
                q.append(q.length() == 0 ? '?' : '&').append(k).append('=')
                        .append(URLEncoder.encode(v.toString(), StandardCharsets.UTF_8));
            }
        });
        return q.toString();
    }

    static String segment(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    JsonNode get(String path) {
        return send("GET", path, null);
    }

    JsonNode delete(String path) {
        return send("DELETE", path, null);
    }

    JsonNode post(String path, Object body) {
        return send("POST", path, body == null ? Map.of() : body);
    }

    /** POSTs and follows the server's progress events; returns the final result. */
    JsonNode postWithProgress(String path, Object body, Consumer<JsonNode> onProgress) {
        return call(() -> {
            HttpURLConnection c = request("POST", path);
            c.setRequestProperty("Accept", "text/event-stream");
            write(c, body);
            int status = c.getResponseCode();
            String contentType = c.getContentType() == null ? "" : c.getContentType();
            if (status >= 400 || !contentType.startsWith("text/event-stream")) {
                return check(status, readAll(c, status));
            }
            String event = null;
            StringBuilder data = new StringBuilder();
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    if (line.startsWith("event:")) {
                        event = line.substring(6).trim();
                    } else if (line.startsWith("data:")) {
                        data.append(line.substring(5).trim());
                    } else if (line.isEmpty() && event != null) {
                        JsonNode node = parse(data.toString());
                        switch (event) {
                            case "progress" -> onProgress.accept(node);
                            case "result" -> {
                                return node;
                            }
                            case "error" -> throw failure(node, status);
                            default -> { }
                        }
                        event = null;
                        data.setLength(0);
                    }
                }
            }
            throw new CliException(CliException.FAILURE, "the server closed the connection before the operation finished; "
                    + "it may still complete: check with 'list'");
        });
    }

    /** A connection for one request, with the headers every request carries. */
    private HttpURLConnection request(String method, String path) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create(base + path).toURL().openConnection();
        c.setRequestMethod(method);
        c.setConnectTimeout(CONNECT_TIMEOUT_MS);
        c.setUseCaches(false);
        c.setRequestProperty("Accept", "application/json");
        if (token != null) {
            c.setRequestProperty("Authorization", "Bearer " + token);
        }
        return c;
    }

    private static void write(HttpURLConnection c, Object body) throws IOException {
        byte[] bytes;
        try {
            bytes = Json.MAPPER.writeValueAsBytes(body == null ? Map.of() : body);
        } catch (IOException e) {
            throw new CliException(CliException.FAILURE, "request could not be encoded: " + e.getMessage());
        }
        c.setRequestProperty("Content-Type", "application/json");
        c.setDoOutput(true);
        c.setFixedLengthStreamingMode(bytes.length);
        try (OutputStream o = c.getOutputStream()) {
            o.write(bytes);
        }
    }

    private JsonNode send(String method, String path, Object body) {
        return call(() -> {
            HttpURLConnection c = request(method, path);
            if (body != null) {
                write(c, body);
            }
            int status = c.getResponseCode();
            return check(status, readAll(c, status));
        });
    }

    /** The response body, from the error stream for an error status. */
    private static String readAll(HttpURLConnection c, int status) throws IOException {
        try (InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
            return in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private interface Call<T> {
        T run() throws IOException;
    }

    private <T> T call(Call<T> c) {
        try {
            return c.run();
        } catch (ConnectException e) {
            throw new CliException(CliException.FAILURE, "cannot reach the server at " + base + " (connection refused; "
                    + "address from " + origin + "); start it with 'bin/meridian-backup serve', or use --repo DIR to work on a repository directly");
        } catch (java.net.SocketTimeoutException e) {
            throw new CliException(CliException.FAILURE, "cannot reach the server at " + base + " (no answer to connect within "
                    + CONNECT_TIMEOUT_MS / 1000 + " s; address from " + origin + "); check it and that the server is running");
        } catch (IOException e) {
            throw new CliException(CliException.FAILURE, "request to " + base + " failed: " + e.getMessage());
        }
    }

    private static JsonNode check(int status, String body) {
        JsonNode node = parse(body);
        if (status >= 400) {
            throw failure(node, status);
        }
        return node;
    }

    private static CliException failure(JsonNode node, int status) {
        JsonNode err = node.path("error");
        String message = err.path("message").asText("server answered HTTP " + status);
        String code = err.path("code").asText("");
        return new CliException(CliException.exitCodeFor(code),
                message + (code.isEmpty() ? "" : " [" + code + "]"));
    }

    private static JsonNode parse(String body) {
        try {
            return body == null || body.isBlank() ? Json.MAPPER.createObjectNode() : Json.MAPPER.readTree(body);
        } catch (IOException e) {
            return Json.MAPPER.valueToTree(Map.of("error", new LinkedHashMap<>(Map.of("message",
                    "unexpected answer from the server: " + body.substring(0, Math.min(200, body.length()))))));
        }
    }
}
