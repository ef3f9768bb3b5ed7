package dev.meridian.backup;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.config.Settings;
import dev.meridian.backup.model.Json;
import dev.meridian.backup.server.Server;
import dev.meridian.backup.store.file.DurableFiles;
import dev.meridian.backup.store.file.FileBlobStore;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.rocksdb.FlushOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * A whole Meridian instance in temp directories: a config with N databases, a repository and a restore root,
 * the server started in-process (HTTP on 127.0.0.1, port 0), and helpers to write and read real RocksDB data.
 */
public final class TestEnv implements AutoCloseable {
    public final Path root;
    public final Path repository;
    /** {@code meridian.state-dir}; the repository's own state is in {@link #repositoryState()}. */
    public final Path stateDir;
    public final Path restoreRoot;
    public final Path configFile;
    public Server server;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public TestEnv(Path root, List<String> databases, String extraConfig) throws IOException {
        this.root = root;
        this.repository = root.resolve("repo");
        this.stateDir = root.resolve("state");
        this.restoreRoot = root.resolve("restore");
        Files.createDirectories(restoreRoot);
        StringBuilder dbs = new StringBuilder();
        for (String db : databases) {
            dbs.append("    { name = \"").append(db).append("\", path = \"").append(dbPath(db))
                    .append("\", create-if-missing = true, seed-keys = 200, schedule = off }\n");
        }
        String conf = "meridian {\n"
                + "  http { host = \"127.0.0.1\", port = 0 }\n"
                + "  repository.path = \"" + repository + "\"\n"
                + "  state-dir = \"" + stateDir + "\"\n"
                + "  restore-roots = [\"" + restoreRoot + "\"]\n"
                + "  databases = [\n" + dbs + "  ]\n"
                + "}\n" + extraConfig + "\n";
        this.configFile = root.resolve("meridian.conf");
        Files.writeString(configFile, conf);
    }

    public static TestEnv start(Path root, List<String> databases, String extraConfig) throws Exception {
        TestEnv env = new TestEnv(root, databases, extraConfig);
        env.startServer();
        return env;
    }

    public Path dbPath(String db) {
        return root.resolve("db").resolve(db);
    }

    public Settings settings() {
        return Settings.from(Settings.load(Optional.of(configFile)));
    }

    public void startServer() throws Exception {
        server = Server.start(settings(), true, e -> List.of());
    }

    public void stopServer() throws Exception {
        if (server != null) {
            server.close();
            server = null;
        }
    }

    @Override
    public void close() throws Exception {
        stopServer();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.address().getPort();
    }

    /**
     * Waits up to 20 s for a condition, polling, and says whether it came true: for what happens after the call
     * that causes it (a collection after a delete, an idle sweep, notifications the MCP SDK delivers on its own
     * threads just after the call returns).
     */
    public static boolean eventually(java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    public static <T> T await(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(120, TimeUnit.SECONDS);
    }

    // ---- HTTP ----

    public record Reply(int status, JsonNode json, HttpResponse<String> raw) {}

    public Reply request(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl() + path)).timeout(Duration.ofSeconds(120));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null || method.equals("POST")) { // as the CLI does: the server refuses a POST not declared JSON
            b.header("Content-Type", "application/json");
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json = r.body().isBlank() ? null : parseOrNull(r.body());
        return new Reply(r.statusCode(), json, r);
    }

    private static JsonNode parseOrNull(String s) {
        try {
            return Json.MAPPER.readTree(s);
        } catch (IOException e) {
            return null;
        }
    }

    // ---- RocksDB data ----

    /** Writes {@code count} keys with a prefix through the running engine (serialized with backups). */
    public void write(String db, String prefix, int count, int valueSize, long seed) throws Exception {
        await(server.engine().withDatabase(db, live -> {
            writeTo(live.handle(), prefix, count, valueSize, seed);
            return null;
        }));
    }

    public static void writeTo(RocksDB rdb, String prefix, int count, int valueSize, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        try (WriteOptions wo = new WriteOptions(); FlushOptions fo = new FlushOptions().setWaitForFlush(true)) {
            WriteBatch batch = new WriteBatch();
            for (int i = 0; i < count; i++) {
                byte[] v = new byte[valueSize];
                r.nextBytes(v);
                batch.put((prefix + String.format("%08d", i)).getBytes(StandardCharsets.UTF_8), v);
                if (batch.count() >= 1000) {
                    rdb.write(wo, batch);
                    batch.close();
                    batch = new WriteBatch();
                }
            }
            rdb.write(wo, batch);
            batch.close();
            rdb.flush(fo);
        } catch (org.rocksdb.RocksDBException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every key and value of the database, read through the running engine. */
    public Map<String, String> snapshot(String db) throws Exception {
        return await(server.engine().withDatabase(db, live -> readAll(live.handle())));
    }

    public static Map<String, String> readAll(RocksDB rdb) {
        return read(rdb, v -> java.util.HexFormat.of().formatHex(v));
    }

    /** Every key and value of the default column family as UTF-8 text (for databases written with text values). */
    public static Map<String, String> readText(RocksDB rdb) {
        return read(rdb, v -> new String(v, StandardCharsets.UTF_8));
    }

    private static Map<String, String> read(RocksDB rdb, java.util.function.Function<byte[], String> value) {
        Map<String, String> all = new TreeMap<>();
        try (RocksIterator it = rdb.newIterator()) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                all.put(new String(it.key(), StandardCharsets.UTF_8), value.apply(it.value()));
            }
        }
        return all;
    }

    /** Opens a database directory directly (server stopped) and reads everything, after a full checksum pass. */
    /** Inverts the byte at {@code offset} of {@code file}: real on-disk corruption for checksum tests. */
    public static void flip(Path file, long offset) throws IOException {
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            int b = f.read();
            f.seek(offset);
            f.write(b ^ 0xff);
        }
    }

    public static Map<String, String> readDirectory(Path dir) throws Exception {
        RocksDB.loadLibrary();
        try (Options o = new Options(); RocksDB rdb = RocksDB.openReadOnly(o, dir.toString())) {
            rdb.verifyChecksum();
            return readAll(rdb);
        }
    }

    // ---- repository inspection ----

    /** How many objects the repository holds now (for polling with {@link #eventually}). */
    public int objectCount() {
        try {
            return objectFiles().size();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public List<Path> objectFiles() throws IOException {
        List<Path> out = new ArrayList<>();
        Path objects = repository.resolve("objects");
        if (Files.isDirectory(objects)) {
            try (var walk = Files.walk(objects)) {
                walk.filter(Files::isRegularFile).forEach(out::add);
            }
        }
        return out;
    }

    /** This repository's local state directory: {@code <state-dir>/<repository id from config.json>}. */
    public Path repositoryState() {
        try {
            String id = Json.MAPPER.readTree(repository.resolve("config.json").toFile()).path("repository_id").asText();
            return stateDir.resolve(id);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public Path objectFile(String hash) {
        return repository.resolve("objects").resolve(hash.substring(0, 2)).resolve(hash);
    }

    public static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    public static String json(Object o) throws IOException {
        return Json.MAPPER.writeValueAsString(o);
    }

    public static void deleteTree(Path p) throws IOException {
        DurableFiles.deleteTree(p);
    }
}
