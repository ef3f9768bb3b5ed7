package dev.meridian.backup.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * What a client verb takes from the HOCON file {@code serve --config FILE} reads ({@code --config FILE}): the
 * server's address, {@code http://<meridian.http.host>:<meridian.http.port>}, and a bearer token from
 * {@code meridian.auth.tokens} when the file configures any.
 *
 * <p>The file is read as {@code serve} reads it (config.Settings.load): system properties (-Dkey=value) over the
 * file over the embedded {@code application.conf}, substitutions resolved (so {@code ${?PORT}} and includes work
 * the same). Only this class loads Typesafe Config, and only when {@code --config} is given: a client verb without
 * it loads none of it (ClientVerbClassesTest). A wildcard bind host (0.0.0.0, ::, empty) is the server listening on
 * every interface, which this host reaches through loopback: 127.0.0.1, or [::1] for ::.
 *
 * <p>The token chosen is the first with the widest scopes (admin, then backup, then read), so every verb the file's
 * owner may run works. It is never printed: {@link Endpoint#toString} leaves it out, and no message here quotes it.
 */
final class ServerConfigFile {
    private ServerConfigFile() {}

    /**
     * The server's base URL ({@code http://host:port}; null when it was not asked for) and a bearer token (null when
     * the file configures none).
     */
    record Endpoint(String url, String token) {
        @Override
        public String toString() {
            return "Endpoint[url=" + url + ", token=" + (token == null ? "none" : "(set)") + "]";
        }
    }

    /**
     * Reads {@code file}: the address only when {@code address} (without it, when --server names the server, only
     * the token is taken, and the file's http section is not looked at).
     *
     * @throws CliException USAGE (exit 2) naming the file and what to do when it does not exist, cannot be read, is
     *         not valid HOCON, or (with {@code address}) has no {@code meridian.http} section or no usable host or port
     */
    static Endpoint read(Path file, boolean address) {
        String where = "config file " + file;
        String instead = "; pass the file 'serve --config' reads, or give the server with --server URL";
        if (Files.isDirectory(file)) {
            throw new CliException(CliException.USAGE, where + " is a directory, not a file" + instead);
        }
        if (!Files.exists(file)) {
            throw new CliException(CliException.USAGE, where + " does not exist" + instead);
        }
        try (InputStream probe = Files.newInputStream(file)) {
            probe.read(); // the same check serve's start would fail on, with the reason the OS gives
        } catch (AccessDeniedException e) {
            throw new CliException(CliException.USAGE, where + " cannot be read (permission denied); run as a user that"
                    + " may read it (as the server does), or give the server with --server URL");
        } catch (IOException e) {
            throw new CliException(CliException.USAGE, where + " cannot be read: " + e.getMessage() + instead);
        }
        Config own;
        Config all;
        try {
            Config parsed = ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
            own = ConfigFactory.systemProperties().withFallback(parsed);
            all = alone(own);
            if (all == null) { // the embedded defaults are parsed only when the file leans on them (no host or port)
                all = own.withFallback(ConfigFactory.parseResources("application.conf")).resolve();
                own = own.resolveWith(all);
            } else {
                own = all;
            }
        } catch (ConfigException e) {
            String why = e.getMessage().startsWith(file + ": ") ? e.getMessage().substring(file.toString().length() + 2) : e.getMessage();
            throw new CliException(CliException.USAGE, where + " is not valid HOCON: " + why
                    + "; fix it (serve refuses it too), or give the server with --server URL");
        }
        if (!address) {
            return new Endpoint(null, token(all, where));
        }
        if (!own.hasPath("meridian.http")) {
            throw new CliException(CliException.USAGE, where + " has no meridian.http section, so it does not say where"
                    + " the server listens; pass the file the server runs with, add meridian.http { host = ..., port = ... }"
                    + " to it, or give the server with --server URL");
        }
        return new Endpoint(url(all, where), token(all, where));
    }

    /**
     * {@code own} resolved by itself when that gives both meridian.http.host and port, as it does with the defaults
     * under it (values in the file win, and its substitutions find what they name in it); else null.
     */
    private static Config alone(Config own) {
        try {
            Config c = own.resolve();
            return c.hasPath("meridian.http.host") && c.hasPath("meridian.http.port") ? c : null;
        } catch (ConfigException.UnresolvedSubstitution e) {
            return null;
        }
    }

    private static String url(Config c, String where) {
        String host;
        int port;
        try {
            host = c.getString("meridian.http.host").trim();
            port = c.getInt("meridian.http.port");
        } catch (ConfigException e) {
            throw new CliException(CliException.USAGE, where + ": " + e.getMessage() + "; meridian.http.host must be a"
                    + " host name or address and meridian.http.port a number, as serve needs them; fix it, or give the server with"
                    + " --server URL");
        }
        if (port == 0) {
            throw new CliException(CliException.USAGE, where + " sets meridian.http.port = 0 (a port the server picks"
                    + " at start), so the client cannot know it; give the server with --server URL");
        }
        if (port < 0 || port > 65_535) {
            throw new CliException(CliException.USAGE, where + " sets meridian.http.port = " + port + ", not a port"
                    + " (1..65535); fix it, or give the server with --server URL");
        }
        return "http://" + clientHost(host) + ":" + port;
    }

    /**
     * The host a client on this machine uses for a server bound to {@code bind}: loopback for a wildcard (0.0.0.0,
     * the empty string, or :: in any spelling), an IPv6 literal in brackets, anything else as it is.
     */
    static String clientHost(String bind) {
        String h = bind.startsWith("[") && bind.endsWith("]") ? bind.substring(1, bind.length() - 1) : bind;
        if (h.isEmpty() || h.equals("0.0.0.0") || h.equals("*")) {
            return "127.0.0.1";
        }
        if (h.contains(":")) {
            return h.replace("0", "").replace(":", "").isEmpty() ? "[::1]" : "[" + h + "]";
        }
        return h;
    }

    /** The first token with the widest scopes, or null when the file configures none. */
    private static String token(Config c, String where) {
        if (!c.hasPath("meridian.auth.tokens")) {
            return null;
        }
        List<? extends Config> tokens;
        try {
            tokens = c.getConfigList("meridian.auth.tokens");
        } catch (ConfigException e) {
            throw new CliException(CliException.USAGE, where + ": meridian.auth.tokens is not a list of"
                    + " { name, token, scopes }; fix it as serve needs it, or pass --token");
        }
        String best = null;
        int bestRank = -1;
        for (Config t : tokens) {
            if (!t.hasPath("token") || t.getValue("token").unwrapped() == null) {
                continue;
            }
            int rank = 0;
            if (t.hasPath("scopes")) {
                for (Object s : t.getList("scopes").unwrapped()) {
                    rank = Math.max(rank, switch (String.valueOf(s).toLowerCase(Locale.ROOT)) {
                        case "admin" -> 3;
                        case "backup" -> 2;
                        case "read" -> 1;
                        default -> 0;
                    });
                }
            }
            if (rank > bestRank) {
                best = String.valueOf(t.getValue("token").unwrapped());
                bestRank = rank;
            }
        }
        return best;
    }
}
