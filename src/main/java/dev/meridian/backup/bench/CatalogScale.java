package dev.meridian.backup.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.meridian.backup.config.Settings;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.FileEntry;
import dev.meridian.backup.model.Manifest;
import dev.meridian.backup.model.Progress;
import dev.meridian.backup.repository.Compression;
import dev.meridian.backup.repository.IoThrottle;
import dev.meridian.backup.repository.ManifestCodec;
import dev.meridian.backup.repository.Repository;
import dev.meridian.backup.server.Server;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * How list and stats scale with the number of backups: builds a repository with N backups of three databases
 * (20 files each, sharing 40 real objects), starts the server on it, and times the REST calls an operator and an
 * agent make most, end to end over a socket. Answers come from the in-memory catalog, loaded at start. The start
 * time is reported three times: the first start (cold JVM, no catalog cache: every manifest is read), then, in the
 * warm JVM, a start with the catalog cache deleted (rebuilt from every manifest) and one with the cache in place.
 */
public final class CatalogScale {
    public record Call(String request, long medianMicros, long maxMicros, int bodyBytes) {}

    /**
     * {@code repositoryOpenMs}: the first server start (cold JVM, no cache); {@code rebuiltStartMs} and
     * {@code cachedStartMs}: server starts in the warm JVM without and with the catalog cache; {@code openWithoutCacheMs}
     * and {@code openWithCacheMs}: the median of {@value #OPEN_ROUNDS} alternating opens of the repository alone.
     */
    public record Result(int backups, long repositoryOpenMs, long rebuiltStartMs, long cachedStartMs,
            long openWithoutCacheMs, long openWithCacheMs, List<Call> calls) {}

    private static final List<String> DATABASES = List.of("orders", "users", "events");
    private static final int ROUNDS = 30;
    private static final int OPEN_ROUNDS = 5;

    private CatalogScale() {}

    public static Result run(int backups, Path workDir, PrintStream progress) throws Exception {
        Path work = Files.createTempDirectory(workDir == null ? Path.of(System.getProperty("java.io.tmpdir")) : workDir,
                "meridian-catalog-");
        try {
            Path repo = work.resolve("repository");
            List<FileEntry> objects = objects(repo, work);
            progress.printf("catalog: writing %d manifests...%n", backups);
            writeManifests(repo, backups, objects);
            Path restoreRoot = Files.createDirectories(work.resolve("restore"));
            List<Map<String, Object>> dbs = new ArrayList<>();
            for (String db : DATABASES) {
                dbs.add(Map.of("name", db, "path", work.resolve("db").resolve(db).toString(), "create-if-missing", true,
                        "seed-keys", 10));
            }
            Path state = work.resolve("state");
            Config c = ConfigFactory.parseMap(Map.of("meridian.http.port", 0, "meridian.repository.path", repo.toString(),
                    "meridian.state-dir", state.toString(), "meridian.restore-roots", List.of(restoreRoot.toString()), "meridian.databases", dbs));
            Settings settings = Settings.from(c.withFallback(Settings.load(Optional.empty())).resolve());
            long t0 = System.nanoTime();
            long openMs;
            List<Call> calls = new ArrayList<>();
            try (Server server = Server.start(settings, true, e -> List.of())) {
                openMs = (System.nanoTime() - t0) / 1_000_000;
                String base = "http://127.0.0.1:" + server.address().getPort();
                HttpClient http = HttpClient.newHttpClient();
                for (String path : List.of("/api/v1/backups?limit=50", "/api/v1/databases/orders/backups?limit=50",
                        "/api/v1/backups?type=scheduled&tag=nightly&limit=50", "/api/v1/stats", "/api/v1/stats?database=users",
                        "/api/v1/databases")) {
                    calls.add(time(http, base + path, path));
                }
            }
            progress.printf("catalog: starting again without, then with, the catalog cache...%n");
            try (var caches = Files.walk(state)) {
                for (Path p : caches.filter(p -> p.getFileName().toString().equals("catalog.cache")).toList()) {
                    Files.delete(p);
                }
            }
            long rebuiltMs = timeStart(settings);
            long cachedMs = timeStart(settings);
            List<Long> without = new ArrayList<>();
            List<Long> with = new ArrayList<>();
            for (int i = 0; i < OPEN_ROUNDS; i++) {
                without.add(timeOpen(repo, null));
                with.add(timeOpen(repo, state));
            }
            return new Result(backups, openMs, rebuiltMs, cachedMs, median(without), median(with), calls);
        } finally {
            BenchData.deleteTrees(work);
        }
    }

    /** Milliseconds for the server to start (HTTP bound); it is then stopped. */
    private static long timeStart(Settings settings) throws Exception {
        long t0 = System.nanoTime();
        try (Server server = Server.start(settings, true, e -> List.of())) {
            return (System.nanoTime() - t0) / 1_000_000;
        }
    }

    /** Milliseconds to open the repository (with its catalog) alone; {@code state} null: without the catalog cache. */
    private static long timeOpen(Path repo, Path state) throws Exception {
        long t0 = System.nanoTime();
        Repository r = Repository.openFile(repo, Compression.parse("off"), IoThrottle.UNLIMITED, state);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        r.close();
        return ms;
    }

    private static long median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    /** 40 small real objects; every manifest lists 20 of them, as backups of slowly changing databases would. */
    private static List<FileEntry> objects(Path repo, Path work) throws Exception {
        List<FileEntry> out = new ArrayList<>();
        Path src = Files.createDirectories(work.resolve("src"));
        try (Repository r = Repository.openFile(repo, Compression.parse("off"), IoThrottle.UNLIMITED);
                Repository.Ingest ingest = r.beginIngest("catalog-scale")) {
            SplittableRandom random = new SplittableRandom(1);
            for (int i = 0; i < 40; i++) {
                byte[] b = new byte[4096];
                random.nextBytes(b);
                Path f = src.resolve(String.format("%06d.sst", i));
                Files.write(f, b);
                out.add(ingest.store(f, f.getFileName().toString(), Progress.NONE, 0, b.length).entry());
            }
        }
        return out;
    }

    /** Manifests written straight to disk (no fsync: this is test data, not a backup), one per backup. */
    private static void writeManifests(Path repo, int backups, List<FileEntry> objects) throws Exception {
        SplittableRandom random = new SplittableRandom(2);
        Instant start = Instant.parse("2025-01-01T00:00:00Z");
        BackupType[] types = BackupType.values();
        for (int i = 0; i < backups; i++) {
            Instant at = start.plus(Duration.ofMinutes(30L * i)).truncatedTo(ChronoUnit.MILLIS);
            String db = DATABASES.get(i % DATABASES.size());
            List<FileEntry> files = new ArrayList<>(objects);
            Collections.rotate(files, i % 20);
            files = files.subList(0, 20);
            BackupType type = types[i % types.length];
            Manifest m = ManifestCodec.seal(new Manifest(Manifest.FORMAT, BackupId.generate(at, random), db, type,
                    "backup " + i, i % 3 == 0 ? List.of("nightly") : List.of(), at, at.plusSeconds(2), 0, 2000, i,
                    type == BackupType.PRE_MIGRATION ? "v" + i : null, null, 20L * 4096, 4096, files, null));
            Path p = repo.resolve(ManifestCodec.key(db, m.id()));
            Files.createDirectories(p.getParent());
            Files.write(p, ManifestCodec.encode(m));
        }
    }

    private static Call time(HttpClient http, String url, String label) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(url)).GET().build();
        List<Long> micros = new ArrayList<>();
        int size = 0;
        for (int i = 0; i < ROUNDS + 5; i++) {
            long t = System.nanoTime();
            HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
            long us = (System.nanoTime() - t) / 1000;
            if (r.statusCode() != 200) {
                throw new IllegalStateException(label + " answered " + r.statusCode() + ": " + r.body());
            }
            size = r.body().length();
            if (i >= 5) {
                micros.add(us);
            }
        }
        Collections.sort(micros);
        return new Call(label, micros.get(micros.size() / 2), micros.get(micros.size() - 1), size);
    }
}
