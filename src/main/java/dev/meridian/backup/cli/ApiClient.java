package dev.meridian.backup.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.model.Json;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/** The CLI's side of the REST API: JSON in and out, server errors turned into one clear line. */
final class ApiClient {
    private final String base;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    ApiClient(String server, String token) {
        this.base = server.endsWith("/") ? server.substring(0, server.length() - 1) : server;
        this.token = token == null || token.isBlank() ? null : token;
        try {
            URI u = URI.create(base);
            if (u.getScheme() == null || u.getHost() == null) {
                throw new IllegalArgumentException();
            }
        } catch (IllegalArgumentException e) {
            throw new CliException(CliException.USAGE, "--server '" + server + "' is not a URL like http://127.0.0.1:8080");
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
        return send(request(path).GET().build());
    }

    JsonNode delete(String path) {
        return send(request(path).DELETE().build());
    }

    JsonNode post(String path, Object body) {
        return send(request(path).header("Content-Type", "application/json").POST(bodyOf(body)).build());
    }

    /** POSTs and follows the server's progress events; returns the final result. */
    JsonNode postWithProgress(String path, Object body, Consumer<JsonNode> onProgress) {
        HttpRequest req = request(path).header("Content-Type", "application/json").header("Accept", "text/event-stream")
                .POST(bodyOf(body)).build();
        HttpResponse<Stream<String>> resp = call(() -> http.send(req, HttpResponse.BodyHandlers.ofLines()));
        if (resp.statusCode() >= 400 || !resp.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream")) {
            String text = String.join("\n", (Iterable<String>) resp.body()::iterator);
            return check(resp.statusCode(), text);
        }
        String event = null;
        StringBuilder data = new StringBuilder();
        Iterator<String> lines = resp.body().iterator();
        while (lines.hasNext()) {
            String line = lines.next();
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
                    case "error" -> throw failure(node, resp.statusCode());
                    default -> { }
                }
                event = null;
                data.setLength(0);
            }
        }
        throw new CliException(CliException.FAILURE, "the server closed the connection before the operation finished; "
                + "it may still complete: check with 'list'");
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).header("Accept", "application/json");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    private static HttpRequest.BodyPublisher bodyOf(Object body) {
        try {
            return HttpRequest.BodyPublishers.ofByteArray(Json.MAPPER.writeValueAsBytes(body == null ? Map.of() : body));
        } catch (IOException e) {
            throw new CliException(CliException.FAILURE, "request could not be encoded: " + e.getMessage());
        }
    }

    private JsonNode send(HttpRequest req) {
        HttpResponse<String> resp = call(() -> http.send(req, HttpResponse.BodyHandlers.ofString()));
        return check(resp.statusCode(), resp.body());
    }

    private interface Call<T> {
        T run() throws IOException, InterruptedException;
    }

    private <T> T call(Call<T> c) {
        try {
            return c.run();
        } catch (ConnectException e) {
            throw new CliException(CliException.FAILURE, "cannot reach the server at " + base + " (connection refused); "
                    + "start it with 'bin/meridian-backup serve', or use --repo DIR to work on a repository directly");
        } catch (IOException e) {
            throw new CliException(CliException.FAILURE, "request to " + base + " failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(CliException.FAILURE, "interrupted");
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
        int exit = switch (code) {
            case "invalid_argument" -> CliException.USAGE;
            case "verification_failed" -> CliException.VERIFICATION_FAILED;
            default -> CliException.FAILURE;
        };
        return new CliException(exit,
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
