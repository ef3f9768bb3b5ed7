package dev.meridian.backup.rocks;

import dev.meridian.backup.store.file.DurableFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A database's latest OPTIONS-NNNNNN file, read as text. RocksDB's own loader ({@code OptionsUtil.loadLatestOptions})
 * silently replaces a comparator or merge operator it cannot construct with the default (bytewise, none), and
 * opening with that substitute drops every merge record in the WAL. So Meridian reads the names itself first and
 * refuses what it cannot construct ({@link #unconstructible()}).
 */
public final class OptionsFile {
    private static final Pattern OPTIONS_NAME = Pattern.compile("OPTIONS-(\\d+)");
    private static final Pattern WAL_DIR = Pattern.compile("\\s*wal_dir\\s*=\\s*\\S.*");
    private static final Pattern SECTION = Pattern.compile("\\[([\\w/]+)(?:\\s+\"(.*)\")?\\]");
    private static final Pattern ID = Pattern.compile("\\{?\\s*id=([^;}]*)");
    private static final Pattern PREFIX = Pattern.compile("rocksdb\\.(FixedPrefix|CappedPrefix)\\.\\d+");

    /**
     * The objects a column family's options name, with the names RocksDB writes for the built-ins that
     * {@code loadLatestOptions} constructs (each checked by a test). Anything else is the owner's own code.
     */
    private static final Map<String, Set<String>> BUILT_IN = Map.of(
            "comparator", Set.of("leveldb.BytewiseComparator", "rocksdb.ReverseBytewiseComparator"),
            "merge_operator", Set.of("nullptr", "PutOperator", "MaxOperator", "UInt64AddOperator", "StringAppendOperator",
                    "StringAppendTESTOperator", "BytesXOR"),
            "compaction_filter", Set.of("nullptr", "RemoveEmptyValueCompactionFilter"),
            "compaction_filter_factory", Set.of("nullptr"),
            "prefix_extractor", Set.of("nullptr"),
            "memtable_insert_with_hint_prefix_extractor", Set.of("nullptr"),
            "sst_partitioner_factory", Set.of("nullptr"),
            "table_factory", Set.of("BlockBasedTable", "PlainTable"));

    /** An option naming code Meridian does not have. */
    record Unconstructible(String columnFamily, String option, String value) {}

    private final Path file;
    private final Map<String, Map<String, String>> columnFamilies;

    private OptionsFile(Path file, Map<String, Map<String, String>> columnFamilies) {
        this.file = file;
        this.columnFamilies = columnFamilies;
    }

    /** The newest OPTIONS file in {@code dir} (highest file number), or empty if the database has none. */
    static Optional<OptionsFile> latest(Path dir) throws IOException {
        Path newest = null;
        long newestNumber = -1;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Matcher m = OPTIONS_NAME.matcher(f.getFileName().toString());
                if (m.matches() && Long.parseLong(m.group(1)) > newestNumber) {
                    newestNumber = Long.parseLong(m.group(1));
                    newest = f;
                }
            }
        }
        return newest == null ? Optional.empty() : Optional.of(read(newest));
    }

    /**
     * The {@code wal_dir} of the latest OPTIONS file in {@code dir} (empty when it names none or there is no
     * OPTIONS file): for a handle its application opened, whose DBOptions Meridian does not hold.
     */
    static String walDirOf(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            Path newest = null;
            long newestNumber = -1;
            for (Path f : (Iterable<Path>) files::iterator) {
                Matcher m = OPTIONS_NAME.matcher(f.getFileName().toString());
                if (m.matches() && Long.parseLong(m.group(1)) > newestNumber) {
                    newestNumber = Long.parseLong(m.group(1));
                    newest = f;
                }
            }
            if (newest == null) {
                return "";
            }
            for (String line : Files.readAllLines(newest, StandardCharsets.UTF_8)) {
                if (WAL_DIR.matcher(line).matches()) {
                    return line.substring(line.indexOf('=') + 1).trim();
                }
            }
            return "";
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read the OPTIONS file of " + dir, e);
        }
    }

    /**
     * Takes {@code wal_dir} out of every OPTIONS file in {@code dir}, a restored copy whose WAL files RocksDB's
     * checkpoint placed in the copy's own directory. Left in, it names the live database's WAL directory: an
     * application opening the copy with its latest OPTIONS would replay and delete the live database's WAL files,
     * and write its own there. Each changed file is rewritten through a temporary file, fsynced and renamed; the
     * caller fsyncs {@code dir}. OPTIONS syntax: RocksDB's {@code options_parser.cc} (one {@code name=value} a line).
     *
     * @return the names of the files changed (empty when none names a wal_dir)
     * @throws IOException if a file cannot be read or rewritten
     */
    public static List<String> detachWalDir(Path dir) throws IOException {
        List<String> changed = new ArrayList<>();
        List<Path> optionsFiles;
        try (Stream<Path> files = Files.list(dir)) {
            optionsFiles = files.filter(f -> OPTIONS_NAME.matcher(f.getFileName().toString()).matches()).sorted().toList();
        }
        for (Path f : optionsFiles) {
            List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
            List<String> kept = lines.stream().filter(l -> !WAL_DIR.matcher(l).matches()).toList();
            if (kept.size() == lines.size()) {
                continue;
            }
            DurableFiles.write(f, (String.join("\n", kept) + "\n").getBytes(StandardCharsets.UTF_8), true);
            changed.add(f.getFileName().toString());
        }
        return changed;
    }

    static OptionsFile read(Path file) throws IOException {
        Map<String, Map<String, String>> cfs = new LinkedHashMap<>();
        Map<String, String> current = null;
        for (String raw : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            Matcher s = SECTION.matcher(line);
            if (s.matches()) {
                // Only column family options name objects to construct; Version, DBOptions, TableOptions/... do not.
                current = s.group(1).equals("CFOptions") ? cfs.computeIfAbsent(s.group(2), k -> new LinkedHashMap<>()) : null;
                continue;
            }
            int eq = line.indexOf('=');
            if (current != null && eq > 0) {
                current.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip());
            }
        }
        return new OptionsFile(file, cfs);
    }

    Path file() {
        return file;
    }

    /** Every option, in every column family, that names an object RocksDB's loader would replace by a default. */
    List<Unconstructible> unconstructible() {
        List<Unconstructible> found = new ArrayList<>();
        columnFamilies.forEach((cf, options) -> BUILT_IN.forEach((option, builtIn) -> {
            String value = options.get(option);
            if (value != null && !isBuiltIn(option, idOf(value), builtIn)) {
                found.add(new Unconstructible(cf, option, value));
            }
        }));
        return found;
    }

    private static boolean isBuiltIn(String option, String id, Set<String> builtIn) {
        return builtIn.contains(id) || (option.endsWith("prefix_extractor") && PREFIX.matcher(id).matches());
    }

    /** "{id=StringAppendOperator;delimiter=,;}" names StringAppendOperator; a plain value names itself. */
    private static String idOf(String value) {
        Matcher m = ID.matcher(value);
        return value.startsWith("{") && m.find() ? m.group(1).strip() : value;
    }
}
