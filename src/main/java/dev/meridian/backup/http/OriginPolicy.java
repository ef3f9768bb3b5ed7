package dev.meridian.backup.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.extractMaterializer;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.mapResponse;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import dev.meridian.backup.config.Settings;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.ErrorCode;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpMethod;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.Host;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * What every HTTP request (REST, /healthz, /metrics, /mcp) passes before a route sees it, so that no web page the
 * operator happens to visit can make the server act or read its answers. In this order:
 * <ol>
 *   <li><b>Host</b> (DNS rebinding): its name, port ignored, must be {@code meridian.http.host} or be listed in
 *   {@code meridian.http.allowed-hosts}; 403 otherwise. A wildcard bind (0.0.0.0, ::) adds no name.</li>
 *   <li><b>Origin</b> (cross-site requests), when present: must match {@code meridian.http.allowed-origins}; 403
 *   otherwise, with no CORS headers. Clients that send no Origin (CLI, curl, services, agents) pass.</li>
 *   <li><b>OPTIONS</b> is answered here, as a CORS preflight: 204 with the methods and headers the API takes.</li>
 *   <li><b>Content type</b>: a POST must declare {@code application/json}, even with an empty body, and a body sent
 *   with DELETE (or PUT, PATCH) must be JSON too; 415 otherwise. Browsers send other types (text/plain, forms) and
 *   bodiless POSTs across origins without a preflight. A DELETE without a body needs no type: browsers always
 *   preflight it.</li>
 * </ol>
 * Answers to an allowed Origin carry {@code Access-Control-Allow-Origin}, so a page from an allowed origin (by
 * default a loopback one) may use the REST API and MCP like any other client.
 */
public final class OriginPolicy {
    static final String METHODS = "GET, POST, DELETE, OPTIONS";
    static final String REQUEST_HEADERS =
            "Content-Type, Accept, Authorization, X-Request-Id, Last-Event-ID, Mcp-Session-Id, MCP-Protocol-Version";
    static final String EXPOSED_HEADERS = "Location, Retry-After, WWW-Authenticate, Mcp-Session-Id";

    private final Set<String> hosts;
    private final List<AllowedOrigin> origins;
    private final List<String> warnings;

    private OriginPolicy(Set<String> hosts, List<AllowedOrigin> origins, List<String> warnings) {
        this.hosts = Set.copyOf(hosts);
        this.origins = List.copyOf(origins);
        this.warnings = List.copyOf(warnings);
    }

    /**
     * Reads {@code meridian.http.allowed-hosts} and {@code meridian.http.allowed-origins}, merged with the deprecated
     * {@code meridian.mcp.allowed-hosts} / {@code allowed-origins} when those are set.
     *
     * @throws BackupException (invalid_argument) naming the key and the entry that is not a host name or an origin
     */
    public static OriginPolicy from(Settings settings) {
        Config c = settings.config();
        List<String> warnings = new ArrayList<>();
        Set<String> hosts = new LinkedHashSet<>();
        List<AllowedOrigin> origins = new ArrayList<>();
        try {
            for (String key : List.of("meridian.http.allowed-hosts", "meridian.mcp.allowed-hosts")) {
                for (String h : list(c, key, warnings)) {
                    hosts.add(hostName(h, key));
                }
            }
            for (String key : List.of("meridian.http.allowed-origins", "meridian.mcp.allowed-origins")) {
                for (String o : list(c, key, warnings)) {
                    origins.add(AllowedOrigin.parse(o, key));
                }
            }
        } catch (ConfigException e) {
            throw BackupException.invalid("configuration is invalid: " + e.getMessage());
        }
        String bound = hostName(settings.httpHost(), "meridian.http.host");
        if (bound.equals("0.0.0.0") || bound.equals("::")) {
            warnings.add("meridian.http.host is " + settings.httpHost() + ": requests are answered only when their Host "
                    + "names one of " + hosts + " (meridian.http.allowed-hosts); add the names clients use to reach this server");
        } else {
            hosts.add(bound);
        }
        return new OriginPolicy(hosts, origins, warnings);
    }

    private static List<String> list(Config c, String key, List<String> warnings) {
        if (!c.hasPath(key)) {
            return List.of();
        }
        List<String> values = c.getStringList(key);
        if (key.startsWith("meridian.mcp.") && !values.isEmpty()) {
            warnings.add(key + " is deprecated: its entries are merged into " + key.replace(".mcp.", ".http.")
                    + ", which applies to every route (REST, /metrics, /mcp); move them there");
        }
        return values;
    }

    /** Things the operator should know at startup (deprecated keys, a wildcard bind). */
    public List<String> warnings() {
        return warnings;
    }

    /** Wraps every route of the server: refusals and preflights are answered here, CORS headers added to the rest. */
    public Route guard(Supplier<Route> inner) {
        return extractRequest(req -> {
            Optional<HttpResponse> refused = refusal(req);
            if (refused.isPresent()) {
                return extractMaterializer(mat -> {
                    req.discardEntityBytes(mat);
                    return complete(refused.get());
                });
            }
            Optional<String> origin = req.getHeader("Origin").map(h -> h.value());
            if (req.method().equals(HttpMethods.OPTIONS)) {
                return complete(preflight(origin));
            }
            return origin.isEmpty() ? inner.get() : mapResponse(r -> withCors(r, origin.get()), inner);
        });
    }

    /** Empty if the request may reach the routes; otherwise the 403 or 415 to send. */
    Optional<HttpResponse> refusal(HttpRequest req) {
        Optional<Host> header = req.getHeader(Host.class);
        String name = normalizedHost(header.map(h -> h.host().address()).orElse(req.getUri().host().address()));
        if (!hosts.contains(name)) {
            String sent = req.getHeader("Host").map(h -> h.value()).orElse(name);
            return Optional.of(Responses.error(ErrorCode.FORBIDDEN, "Host '" + sent + "' is not a name of this server "
                    + "(DNS-rebinding protection); if clients reach it by that name, add '" + name
                    + "' to meridian.http.allowed-hosts"));
        }
        Optional<String> origin = req.getHeader("Origin").map(h -> h.value());
        if (origin.isPresent() && origins.stream().noneMatch(a -> a.matches(origin.get()))) {
            return Optional.of(Responses.error(ErrorCode.FORBIDDEN, "Origin '" + origin.get() + "' may not call this "
                    + "server (cross-site request protection); to let pages from it call the API, add it to "
                    + "meridian.http.allowed-origins"));
        }
        return unsupportedMediaType(req);
    }

    private static Optional<HttpResponse> unsupportedMediaType(HttpRequest req) {
        HttpMethod m = req.method();
        ContentType type = req.entity().getContentType();
        boolean declared = !type.equals(ContentTypes.NO_CONTENT_TYPE);
        boolean safe = m.equals(HttpMethods.GET) || m.equals(HttpMethods.HEAD) || m.equals(HttpMethods.OPTIONS);
        // A bodiless POST is a simple request too; other methods with no body are never sent without a preflight.
        boolean needsJson = m.equals(HttpMethods.POST) || !safe && (declared || !req.entity().isKnownEmpty());
        if (!needsJson) {
            return Optional.empty();
        }
        if (type.mediaType().toString().equals("application/json")) {
            return Optional.empty();
        }
        String got = declared ? type.mediaType().toString() : "none";
        return Optional.of(Responses.error(ErrorCode.UNSUPPORTED_MEDIA_TYPE, m.name() + " " + req.getUri().path()
                + " needs Content-Type: application/json (got " + got + "), even with an empty body; other types are "
                + "refused because web pages can send them across origins"));
    }

    private static HttpResponse preflight(Optional<String> origin) {
        HttpResponse r = HttpResponse.create().withStatus(204)
                .addHeader(RawHeader.create("Allow", METHODS))
                .addHeader(RawHeader.create("Access-Control-Allow-Methods", METHODS))
                .addHeader(RawHeader.create("Access-Control-Allow-Headers", REQUEST_HEADERS))
                .addHeader(RawHeader.create("Access-Control-Max-Age", "600"));
        return origin.map(o -> withCors(r, o)).orElse(r);
    }

    /** Called only for an Origin already on the allow-list. */
    private static HttpResponse withCors(HttpResponse r, String origin) {
        return r.addHeader(RawHeader.create("Access-Control-Allow-Origin", origin))
                .addHeader(RawHeader.create("Vary", "Origin"))
                .addHeader(RawHeader.create("Access-Control-Expose-Headers", EXPOSED_HEADERS));
    }

    /** Host names are compared lower case, without port, IPv6 brackets or a trailing dot. */
    private static String normalizedHost(String raw) {
        String h = raw.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    private static String hostName(String raw, String key) {
        String h = normalizedHost(raw);
        if (h.isEmpty() || h.contains("/") || h.contains(" ")) {
            throw BackupException.invalid(key + ": '" + raw + "' is not a host name; write e.g. backup.internal");
        }
        return h;
    }

    /** An allow-list entry: scheme and host must match; the port too when the entry names one. */
    private record AllowedOrigin(String scheme, String host, int port) {
        static AllowedOrigin parse(String raw, String key) {
            try {
                URI u = new URI(raw);
                if (u.getScheme() == null || u.getHost() == null || (u.getPath() != null && !u.getPath().isEmpty())) {
                    throw new URISyntaxException(raw, "not scheme://host[:port]");
                }
                return new AllowedOrigin(u.getScheme().toLowerCase(Locale.ROOT), normalizedHost(u.getHost()), u.getPort());
            } catch (URISyntaxException e) {
                throw BackupException.invalid(key + ": '" + raw
                        + "' is not an origin; write scheme://host or scheme://host:port, e.g. https://dashboard.example.com");
            }
        }

        boolean matches(String origin) {
            try {
                URI u = new URI(origin);
                if (u.getScheme() == null || u.getHost() == null) {
                    return false;
                }
                int p = u.getPort() != -1 ? u.getPort() : ("https".equalsIgnoreCase(u.getScheme()) ? 443 : 80);
                return u.getScheme().equalsIgnoreCase(scheme) && normalizedHost(u.getHost()).equals(host)
                        && (port == -1 || port == p);
            } catch (URISyntaxException e) {
                return false;
            }
        }
    }
}
