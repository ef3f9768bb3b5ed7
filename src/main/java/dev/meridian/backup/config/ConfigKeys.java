package dev.meridian.backup.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.RetentionPolicy;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The keys {@code meridian.*} may hold, and the check that refuses every other one at startup (a misspelt key would
 * otherwise be ignored silently, and its default used). Keys outside {@code meridian} belong to Pekko and are not
 * checked.
 *
 * <p>The known keys are, in one place:
 * <ul>
 *   <li>every key of the embedded {@code conf/application.conf} under {@code meridian} (Settings reads each of those
 *       with no fallback, so a key it reads is there by construction; a new top-level setting needs only its
 *       default there);</li>
 *   <li>{@link #DATABASE}: the keys of one {@code meridian.databases} element, which have no default;</li>
 *   <li>{@link #TOKEN}: the keys of one {@code meridian.auth.tokens} element;</li>
 *   <li>{@link #SWITCHES}: process switches read with {@code System.getProperty} ({@code -Dmeridian.<key>});</li>
 *   <li>any key inside a Pekko dispatcher block ({@code io-dispatcher} and the others: a block of the reference
 *       with {@code type} and {@code executor}), which Pekko reads.</li>
 * </ul>
 */
public final class ConfigKeys {
    private ConfigKeys() {}

    /** What may stand at a key. */
    public sealed interface Shape permits Leaf, Fields, ListOf, Keyed, AnyKeys {}

    /** A value (string, number, list of strings...): its type is checked where it is read. */
    public enum Leaf implements Shape { VALUE }

    /** Any keys at all: a Pekko dispatcher block. */
    public enum AnyKeys implements Shape { ANY }

    /** An object with exactly these keys (each optional). */
    public record Fields(Map<String, Shape> fields) implements Shape {
        public Fields {
            fields = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(fields));
        }
    }

    /** A list of objects, each of {@code element}'s shape. */
    public record ListOf(Shape element) implements Shape {}

    /** An object whose keys come from {@code keys}, each holding a {@code value}. */
    public record Keyed(Set<String> keys, Shape value) implements Shape {
        public Keyed {
            keys = java.util.Collections.unmodifiableSet(new LinkedHashSet<>(keys));
        }
    }

    private static final Leaf V = Leaf.VALUE;

    /** {@code retention { <type> { <rule> = ... } }}: types by their wire name, also with '-' for '_'. */
    static final Shape RETENTION = new Keyed(retentionTypeNames(), fields(RetentionPolicy.RULES));

    /**
     * The keys of one {@code meridian.databases} element, as {@code Settings.database} reads them. A new per-database
     * setting is one more entry here (e.g. {@code "owner", V}).
     */
    public static final Fields DATABASE = new Fields(ordered(
            "name", V,
            "path", V,
            "create-if-missing", V,
            "seed-keys", V,
            "schedule", V,
            "retention", RETENTION,
            "owner", V,
            "checkpoint-roots", V,
            "db-paths", new ListOf(new Fields(ordered("path", V, "target-size", V)))));

    /** The keys of one {@code meridian.auth.tokens} element, as {@code Settings.tokens} reads them. */
    public static final Fields TOKEN = new Fields(ordered("name", V, "token", V, "scopes", V));

    /** The keys of one {@code meridian.repository.replicas} element, as {@code Settings.replicas} reads them. */
    public static final Fields REPLICA = new Fields(ordered(
            "name", V,
            "url", V,
            "s3", new Fields(ordered("endpoint", V, "region", V, "path-style", V, "lock-ttl", V)),
            "encryption", V,
            "password-file", V));

    /** Lists of objects under {@code meridian}, by path, and the shape of their elements. */
    static final Map<String, Shape> LISTS = Map.of("databases", DATABASE, "auth.tokens", TOKEN,
            "repository.replicas", REPLICA);

    /**
     * Process switches read with {@code System.getProperty("meridian.<key>")}, given as {@code -D} flags (they reach
     * the configuration too, because system properties override it).
     */
    public static final Set<String> SWITCHES = Set.of(
            "strict-dispatchers", // store.BlockingGuard: fail on blocking work on a Pekko dispatcher (tests)
            "blake3.vector", // hash.Blake3: false forces the scalar path
            "blake3.warmup", // hash.Blake3Warmup: false turns the scalar-until-SIMD-is-hot warm-up off (measuring)
            "warmup", // engine.EngineWarmup: false turns the start-up warm-up off (measuring)
            "test.crash-at", // runtime.CrashPoints: crash tests
            "jar"); // the shaded jar that the *IT tests launch (set by failsafe)

    private static volatile Fields known;

    /** The whole tree of known keys under {@code meridian}. */
    public static Fields known() {
        Fields k = known;
        if (k == null) {
            Config reference = ConfigFactory.parseResources("application.conf").resolve();
            Map<String, Shape> top = new LinkedHashMap<>(fromReference(reference.getObject("meridian"), "").fields());
            for (String s : SWITCHES) {
                addPath(top, ConfigUtil.splitPath(s));
            }
            k = new Fields(top);
            known = k;
        }
        return k;
    }

    /**
     * Refuses a configuration with any key under {@code meridian} that nothing reads, naming each one with its full
     * path, where it was set (file and line, or -D) and the nearest known key.
     *
     * @throws BackupException (invalid_argument) listing every unknown key
     */
    public static void check(Config config) {
        if (!config.hasPath("meridian")) {
            return;
        }
        List<Unknown> unknown = new ArrayList<>();
        walk(config.getObject("meridian"), known(), "meridian", unknown);
        if (unknown.isEmpty()) {
            return;
        }
        unknown.sort(Comparator.comparing((Unknown u) -> u.origin() == null || u.origin().filename() == null ? "~" : u.origin().filename())
                .thenComparingInt(u -> u.origin() == null ? 0 : u.origin().lineNumber()).thenComparing(Unknown::path));
        StringBuilder m = new StringBuilder();
        m.append(unknown.size() == 1 ? "unknown setting " : unknown.size() + " unknown settings: ");
        for (int i = 0; i < unknown.size(); i++) {
            m.append(i == 0 ? "" : ", ").append(unknown.get(i).describe());
        }
        m.append(unknown.size() == 1 ? "; fix its spelling or remove it" : "; fix their spelling or remove them")
                .append(" (no key under meridian is ignored; conf/application.conf lists the known ones)");
        throw BackupException.invalid(m.toString());
    }

    /**
     * An unknown key: its full path, where it was set, the unknown segment, and the nearest known key at its place
     * (or, when none is near, the keys known there).
     */
    record Unknown(String path, ConfigOrigin origin, String key, String suggestion, List<String> choices) {
        String describe() {
            StringBuilder s = new StringBuilder(path);
            String where = where(origin);
            if (!where.isEmpty()) {
                s.append(' ').append(where);
            }
            if (suggestion != null) {
                s.append(" (did you mean ").append(suggestion).append("?)");
            } else if (!choices.isEmpty()) {
                s.append(" ('").append(key).append("' is none of ").append(String.join(", ", choices)).append(')');
            }
            return s.toString();
        }

        private String where(ConfigOrigin o) {
            if (o == null) {
                return "";
            }
            String line = o.lineNumber() > 0 ? ":" + o.lineNumber() : "";
            if (o.filename() != null) {
                return "at " + o.filename() + line;
            }
            if (o.url() != null) {
                return "at " + o.url() + line;
            }
            if (o.description().contains("system propert")) {
                return "from -D" + path.replaceAll("\\[(\\d+)]", ".$1");
            }
            return "in " + o.description();
        }
    }

    /** Checks {@code value} (at {@code path}, as shown to people) against {@code shape}; collects what is unknown. */
    private static void walk(ConfigValue value, Shape shape, String path, List<Unknown> out) {
        if (shape instanceof ListOf list) {
            if (value instanceof ConfigList elements) {
                for (int i = 0; i < elements.size(); i++) {
                    walk(elements.get(i), list.element(), path + "[" + i + "]", out);
                }
            } else if (value instanceof ConfigObject indexed) { // -Dmeridian.databases.0.name=... gives an object
                for (Map.Entry<String, ConfigValue> e : new TreeMap<>(indexed).entrySet()) {
                    if (e.getKey().matches("[0-9]+")) {
                        walk(e.getValue(), list.element(), path + "[" + e.getKey() + "]", out);
                    } else {
                        out.add(unknown(e.getValue(), path, e.getKey(), List.of(), null));
                    }
                }
            }
        } else if (shape instanceof Fields f && value instanceof ConfigObject o) {
            for (Map.Entry<String, ConfigValue> e : o.entrySet()) {
                Shape child = f.fields().get(e.getKey());
                if (child == null) {
                    out.add(unknown(e.getValue(), path, e.getKey(), List.copyOf(f.fields().keySet()), f));
                } else {
                    walk(e.getValue(), child, path + "." + segment(e.getKey()), out);
                }
            }
        } else if (shape instanceof Keyed k && value instanceof ConfigObject o) {
            for (Map.Entry<String, ConfigValue> e : o.entrySet()) {
                if (k.keys().contains(e.getKey())) {
                    walk(e.getValue(), k.value(), path + "." + segment(e.getKey()), out);
                } else {
                    out.add(unknown(e.getValue(), path, e.getKey(), List.copyOf(k.keys()), null));
                }
            }
        }
        // A Leaf or AnyKeys holds no keys of ours; a value of the wrong type is refused where it is read.
    }

    /**
     * {@code key} under {@code parent} is unknown. When its value is an object, the path goes down to its first leaf
     * ({@code meridian.repositry.path}), and so does the suggestion when that path exists under the nearest key.
     */
    private static Unknown unknown(ConfigValue value, String parent, String key, List<String> choices, Fields siblings) {
        List<String> rest = new ArrayList<>();
        ConfigValue leaf = value;
        while (leaf instanceof ConfigObject o && !o.isEmpty()) {
            String first = new TreeMap<>(o).firstKey();
            rest.add(first);
            leaf = o.get(first);
        }
        String tail = rest.stream().map(k -> "." + segment(k)).collect(java.util.stream.Collectors.joining());
        String nearest = nearest(key, choices);
        String suggestion = null;
        if (nearest != null) {
            suggestion = parent + "." + segment(nearest);
            if (!rest.isEmpty() && siblings != null && has(siblings.fields().get(nearest), rest)) {
                suggestion += tail;
            }
        }
        return new Unknown(parent + "." + segment(key) + tail, leaf.origin(), key, suggestion,
                choices.size() <= 12 ? choices : List.of());
    }

    private static boolean has(Shape shape, List<String> path) {
        Shape s = shape;
        for (String key : path) {
            if (s instanceof Fields f && f.fields().containsKey(key)) {
                s = f.fields().get(key);
            } else if (s instanceof Keyed k && k.keys().contains(key)) {
                s = k.value();
            } else {
                return s instanceof AnyKeys;
            }
        }
        return true;
    }

    /** The known key closest to {@code key} by edit distance (a swap of two letters counts 1), if close enough. */
    static String nearest(String key, List<String> choices) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String c : choices) {
            int d = distance(key.toLowerCase(java.util.Locale.ROOT), c);
            if (d < bestDistance) {
                best = c;
                bestDistance = d;
            }
        }
        return bestDistance <= Math.max(1, Math.min(3, key.length() / 3)) ? best : null;
    }

    /** Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent swaps. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    /** The shape of the reference's object at {@code prefix}: its keys, with the list elements and dispatchers known. */
    private static Fields fromReference(ConfigObject o, String prefix) {
        Map<String, Shape> fields = new LinkedHashMap<>();
        for (String key : new TreeMap<>(o).keySet()) {
            ConfigValue v = o.get(key);
            String path = prefix.isEmpty() ? key : prefix + "." + key;
            if (LISTS.containsKey(path)) {
                fields.put(key, new ListOf(LISTS.get(path)));
            } else if (v.valueType() == ConfigValueType.OBJECT) {
                ConfigObject child = (ConfigObject) v;
                fields.put(key, child.containsKey("type") && child.containsKey("executor") ? AnyKeys.ANY : fromReference(child, path));
            } else {
                fields.put(key, V);
            }
        }
        return new Fields(fields);
    }

    private static void addPath(Map<String, Shape> into, List<String> path) {
        String head = path.get(0);
        if (path.size() == 1) {
            into.putIfAbsent(head, V);
            return;
        }
        Map<String, Shape> child = new LinkedHashMap<>(into.get(head) instanceof Fields f ? f.fields() : Map.of());
        addPath(child, path.subList(1, path.size()));
        into.put(head, new Fields(child));
    }

    private static Fields fields(List<String> leaves) {
        Map<String, Shape> m = new LinkedHashMap<>();
        leaves.forEach(l -> m.put(l, V));
        return new Fields(m);
    }

    private static Map<String, Shape> ordered(Object... keyShape) {
        Map<String, Shape> m = new LinkedHashMap<>();
        for (int i = 0; i < keyShape.length; i += 2) {
            m.put((String) keyShape[i], (Shape) keyShape[i + 1]);
        }
        return m;
    }

    private static Set<String> retentionTypeNames() {
        Set<String> names = new LinkedHashSet<>();
        for (BackupType t : BackupType.values()) {
            names.add(t.wireName());
            names.add(t.wireName().replace('_', '-'));
        }
        return names;
    }

    /** A key as it appears in a path: quoted only when it must be (it holds a dot, a space...). */
    private static String segment(String key) {
        return ConfigUtil.joinPath(key);
    }
}
