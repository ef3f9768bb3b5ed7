package dev.meridian.backup.cli;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.meridian.backup.bench.BenchReport;
import dev.meridian.backup.bench.Benchmark;
import dev.meridian.backup.bench.CatalogScale;
import dev.meridian.backup.bench.ClientLatency;
import dev.meridian.backup.bench.ColdStart;
import dev.meridian.backup.bench.EncryptionOverhead;
import dev.meridian.backup.bench.HostUnderLoad;
import dev.meridian.backup.bench.ResticComparison;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bench", description = {
        "Benchmark Meridian against RocksDB's BackupEngine and a plain copy, in one run, alternating the contenders.",
        "Prints medians and Meridian/BackupEngine ratios; see docs/performance.md for what each number means."})
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--size-mb", description = "Size of the generated database in MiB (default 1024; 256 with --repository s3).")
    Integer sizeMb;

    @Option(names = "--runs", defaultValue = "3", description = "Rounds; every contender runs once per round (default ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--db", paramLabel = "PATH", description = "Use a copy of this existing database instead of generating one "
            + "(opened read-only to check it, never written; stop its writers or pass a checkpoint of it).")
    Path db;

    @Option(names = "--work-dir", paramLabel = "DIR", description = "Where the databases, backups and restores go "
            + "(default: the temp directory); removed afterwards.")
    Path workDir;

    @Option(names = "--compression", defaultValue = "auto", description = "Meridian's repository compression: auto, off, zstd:<-7..19> (default ${DEFAULT-VALUE}).")
    String compression;

    @Option(names = "--rate-limit", paramLabel = "BYTES", description = "Also run a full backup and restore of each contender "
            + "with this limit in bytes per second (e.g. 50MiB) and report the rate achieved.")
    String rateLimit;

    @Option(names = "--scaling", description = "Also apply the same change to a 4x larger database and compare the "
            + "incremental backups (slow: builds and backs up 4x the data).")
    boolean scaling;

    @Option(names = "--catalog", paramLabel = "N", description = "Instead: build a repository with N backups and time "
            + "list and stats over REST (the catalog's scale; e.g. 10000).")
    Integer catalog;

    @Option(names = "--dataset", defaultValue = "standard", paramLabel = "NAME", description = "standard: SSTs of RocksDB's "
            + "default size; many-ssts: the same bytes in about 2,500 small SSTs, to measure per-file costs (default ${DEFAULT-VALUE}).")
    String dataset;

    @Option(names = "--cold", description = "Instead: time full backup, backup after 1%% new data and restore as the first "
            + "operation in a fresh JVM, for Meridian and BackupEngine, against the same operations warm.")
    boolean cold;

    @Option(names = "--no-recycle", description = "With --cold: do not free memory just before each timed operation, so "
            + "operations also pay what this machine charges for memory not recently used (see docs/performance.md).")
    boolean noRecycle;

    @Option(names = "--cli", arity = "0..1", fallbackValue = "10", paramLabel = "N", description = "Instead: time client verbs "
            + "(list, show, stats, --version, --help, a verb with the server down) N times each through bin/meridian-backup "
            + "against a server this starts (N default 10); median and p90 against the 500 ms target.")
    Integer cli;

    @Option(names = "--launcher", paramLabel = "PATH", description = "The launcher --cli runs (default: bin/meridian-backup "
            + "beside the jar's target/ directory).")
    Path launcher;

    @Option(names = "--encryption-overhead", description = "Instead: full backup and restore over a plaintext and an "
            + "encrypted (aes-256-gcm) local repository, alternating, and the encrypted/plaintext ratios (target 1.15x).")
    boolean encryptionOverhead;

    @Option(names = "--repository", defaultValue = "local", paramLabel = "KIND", description = "local: the comparison with "
            + "BackupEngine (default). s3: instead, Meridian against restic, both encrypted, backing up the same database to "
            + "the same S3 server (S3Proxy started from scripts/s3proxy.sh unless --s3-endpoint); restic must be installed.")
    String repository;

    @Option(names = "--s3-endpoint", paramLabel = "URL", description = "With --repository s3: use this running S3 server "
            + "(path-style, e.g. http://127.0.0.1:9000) and AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY from the environment.")
    String s3Endpoint;

    @Option(names = "--s3-bucket", defaultValue = "meridian-bench", paramLabel = "NAME", description = "With --s3-endpoint: an "
            + "existing bucket; each round writes under its own bench-* prefix and deletes it (default ${DEFAULT-VALUE}).")
    String s3Bucket;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Option(names = "--host-under-load", description = "Instead: a host in this JVM writes to its database from "
            + "--writers threads while no backup runs, while Meridian embedded backs up back to back, and while RocksDB's "
            + "BackupEngine does; its write throughput and p99 write latency per phase and the ratios to no backup "
            + "(--size-mb default 128).")
    boolean hostUnderLoad;

    @Option(names = "--writers", defaultValue = "4", paramLabel = "N", description = "With --host-under-load: writer threads "
            + "(default ${DEFAULT-VALUE}).")
    int writers;

    @Option(names = "--seconds", defaultValue = "10", paramLabel = "S", description = "With --host-under-load: length of "
            + "each phase in seconds (default ${DEFAULT-VALUE}).")
    int seconds;

    private final PrintStream out = System.out;

    @Override
    public Integer call() throws Exception {
        // Per-operation INFO lines from the engine would bury the progress lines; -DMERIDIAN_LOG_LEVEL=INFO brings them back.
        if (System.getProperty("MERIDIAN_LOG_LEVEL") == null && System.getenv("MERIDIAN_LOG_LEVEL") == null) {
            System.setProperty("MERIDIAN_LOG_LEVEL", "WARN");
        }
        if (!repository.equals("local") && !repository.equals("s3")) {
            throw new CliException(CliException.USAGE, "--repository must be local or s3, got '" + repository + "'");
        }
        if (noRecycle && !cold) {
            throw new CliException(CliException.USAGE, "--no-recycle goes with --cold only");
        }
        if (hostUnderLoad) {
            return hostUnderLoad();
        }
        if (sizeMb == null) {
            sizeMb = repository.equals("s3") ? 256 : 1024;
        }
        if (repository.equals("s3")) {
            return resticComparison();
        }
        if (s3Endpoint != null) {
            throw new CliException(CliException.USAGE, "--s3-endpoint applies only with --repository s3");
        }
        if (catalog != null) {
            return catalogScale();
        }
        if (cli != null) {
            return clientLatency();
        }
        if (encryptionOverhead) {
            return encryptionOverhead();
        }
        if (!dataset.equals("standard") && !dataset.equals("many-ssts")) {
            throw new CliException(CliException.USAGE, "--dataset must be standard or many-ssts, got '" + dataset + "'");
        }
        Benchmark.Options options = new Benchmark.Options(sizeMb, runs, db, workDir, compression, bytes(rateLimit),
                scaling, dataset.equals("many-ssts"));
        if (cold) {
            return coldStart(options);
        }
        BenchReport report = Benchmark.run(options, System.err);
        if (json) {
            Output.json(out, report);
        } else {
            print(report);
        }
        return 0;
    }

    /** Sizes as Meridian's configuration writes them (50MiB, 1048576), so the bench accepts what meridian.io.rate-limit does. */
    private static long bytes(String s) {
        if (s == null) {
            return 0;
        }
        try {
            long n = ConfigFactory.empty().withValue("v", ConfigValueFactory.fromAnyRef(s)).getBytes("v");
            if (n <= 0) {
                throw new CliException(CliException.USAGE, "--rate-limit must be a positive size in bytes per second, such as 50MiB");
            }
            return n;
        } catch (ConfigException e) {
            throw new CliException(CliException.USAGE, "--rate-limit '" + s + "' is not a size; use bytes such as 52428800 or 50MiB");
        }
    }

    private int hostUnderLoad() throws Exception {
        if (!repository.equals("local") || catalog != null || cli != null || cold || encryptionOverhead || scaling || db != null
                || rateLimit != null || s3Endpoint != null || !dataset.equals("standard")) {
            throw new CliException(CliException.USAGE, "--host-under-load takes only --size-mb, --runs, --writers, --seconds, "
                    + "--compression, --work-dir and --json");
        }
        HostUnderLoad.Result r = HostUnderLoad.run(new HostUnderLoad.Options(sizeMb == null ? 128 : sizeMb, runs, writers,
                seconds, workDir, compression), System.err);
        if (json) {
            Output.json(out, r);
            return 0;
        }
        out.printf("host under load: %s database, %d writers of %d-byte values, %d s phases, %d round(s), %d CPUs, "
                + "load average %.2f at start, %.2f at end%n", Output.size(r.databaseBytes()), r.writers(), r.valueBytes(),
                r.phaseSeconds(), r.rounds(), r.cpus(), r.loadAverageAtStart(), r.loadAverageAtEnd());
        List<List<String>> rows = new ArrayList<>();
        for (HostUnderLoad.Row o : r.rows()) {
            rows.add(List.of(o.phase(), String.format(Locale.ROOT, "%,d", o.medianWritesPerSecond()),
                    ratio(o.throughputOfBaseline()) + " (" + ratio(o.pairedThroughputOfBaseline()) + ")", o.medianP50Micros() + " µs", o.medianP99Micros() + " µs",
                    ratio(o.p99OfBaseline()) + " (" + ratio(o.pairedP99OfBaseline()) + ")", o.maxMicros().toString(), o.phase().equals(HostUnderLoad.BASELINE) ? "-" : o.backups().toString(),
                    ms(o.medianBackupMs()), o.what()));
        }
        Output.table(out, List.of("phase", "writes/s", "x baseline (per round)", "p50", "p99", "x baseline (per round)", "max per round (µs)", "backups per round",
                "backup time", "what ran"), rows);
        out.println();
        r.notes().forEach(n -> out.println("- " + n));
        return 0;
    }

    private int coldStart(Benchmark.Options options) throws Exception {
        ColdStart.Result r = ColdStart.run(options, !noRecycle, System.err);
        if (json) {
            Output.json(out, r);
            return 0;
        }
        out.printf("cold start: %s in %d SSTs (%s), %d round(s)%n", Output.size(r.databaseBytes()), r.sstFiles(), r.database(),
                r.runs());
        List<List<String>> rows = new ArrayList<>();
        for (ColdStart.Row o : r.rows()) {
            rows.add(List.of(o.operation(), ms(o.meridianColdMedianMs()), ms(o.meridianNextMedianMs()),
                    ratio(o.meridianColdOverNext()), ms(o.meridianWarmMedianMs()), ratio(o.meridianColdOverWarm())
                    + (o.withinTarget() ? " (ok)" : " (over " + r.target() + "x)"), ms(o.backupEngineColdMedianMs()),
                    ms(o.backupEngineNextMedianMs()), ratio(o.backupEngineColdOverNext()),
                    ratio(o.meridianOverBackupEngineCold()), ratio(o.meridianOverBackupEngineWarm()),
                    ms(o.meridianSteadyMedianMs()), ratio(o.meridianColdOverSteady()), ms(o.backupEngineSteadyMedianMs()),
                    ratio(o.backupEngineColdOverSteady())));
        }
        Output.table(out, List.of("operation", "M cold", "M next", "M cold/next", "M warm", "M cold/warm", "BE cold", "BE next",
                "BE cold/next", "M/BE cold", "M/BE warm", "M steady", "M cold/steady", "BE steady",
                "BE cold/steady"), rows);
        out.println();
        out.println("M: Meridian, BE: RocksDB's BackupEngine; the target is M cold/warm");
        out.println();
        r.notes().forEach(n -> out.println("- " + n));
        return 0;
    }

    private int encryptionOverhead() throws Exception {
        if (sizeMb < 1 || runs < 1) {
            throw new CliException(CliException.USAGE, "--size-mb and --runs must be at least 1");
        }
        EncryptionOverhead.Result r = EncryptionOverhead.run(sizeMb, runs, compression, workDir, System.err);
        if (json) {
            Output.json(out, r);
            return 0;
        }
        out.printf("encryption overhead: %s database, %d round(s) alternating, compression %s%n", Output.size(r.databaseBytes()),
                r.rounds(), r.compression());
        List<List<String>> rows = new ArrayList<>();
        for (EncryptionOverhead.Row o : r.rows()) {
            rows.add(List.of(o.operation(), ms(o.plainMedianMs()), ms(o.encryptedMedianMs()), ratio(o.ratio()),
                    ratio(o.pairedRatio()) + (o.withinTarget() ? " (ok)" : " (over " + r.target() + "x)"),
                    o.plainMs() + " / " + o.encryptedMs()));
        }
        Output.table(out, List.of("operation", "plaintext", "aes-256-gcm", "ratio of medians", "median of round ratios",
                "rounds (ms)"), rows);
        return 0;
    }

    private int resticComparison() throws Exception {
        if (catalog != null || cli != null || cold || encryptionOverhead || scaling || db != null || rateLimit != null
                || !dataset.equals("standard")) {
            throw new CliException(CliException.USAGE, "--repository s3 takes only --size-mb, --runs, --compression, "
                    + "--work-dir, --s3-endpoint, --s3-bucket and --json");
        }
        if (sizeMb < 1 || sizeMb > 1 << 20 || runs < 1 || runs > 100) {
            throw new CliException(CliException.USAGE, "--size-mb must be 1..1048576 and --runs 1..100");
        }
        ResticComparison.Result r = ResticComparison.run(new ResticComparison.Options(sizeMb, runs, compression, workDir,
                s3Endpoint, s3Bucket), System.err);
        if (json) {
            Output.json(out, r);
            return 0;
        }
        out.printf("Meridian vs restic on S3: %s database in %d SSTs, 1%% new data = %s, %d round(s) alternating%n",
                Output.size(r.databaseBytes()), r.sstFiles(), Output.size(r.changeBytes()), r.rounds());
        out.printf("S3: %s; %s; Meridian aes-256-gcm, compression %s%n", r.s3(), r.restic(), r.compression());
        List<List<String>> rows = new ArrayList<>();
        for (ResticComparison.Row o : r.rows()) {
            rows.add(List.of(o.operation(), ms(o.resticMedianMs()), ms(o.meridianMedianMs()), ratio(o.ratio()),
                    ratio(o.pairedRatio()) + (o.withinTarget() ? " (ok)" : " (over " + r.target() + "x)"),
                    o.resticMs() + " / " + o.meridianMs()));
        }
        Output.table(out, List.of("operation", "restic", "Meridian", "ratio of medians", "median of round ratios",
                "rounds (ms)"), rows);
        for (ResticComparison.Row o : r.rows()) {
            if (o.unsynced() != null) {
                out.printf("%s against restic without the fsync: restic %s, ratio of medians %s, median of round ratios %s, "
                        + "rounds (ms) %s%n", o.operation(), ms(o.unsynced().resticMedianMs()), ratio(o.unsynced().ratio()),
                        ratio(o.unsynced().pairedRatio()), o.unsynced().resticMs());
            }
        }
        out.printf("repository size after the full backup: restic %s, Meridian %s%n", Output.size(r.resticRepositoryBytes()),
                Output.size(r.meridianRepositoryBytes()));
        out.println();
        r.notes().forEach(n -> out.println("- " + n));
        return 0;
    }

    private int clientLatency() throws Exception {
        ClientLatency.Result r = ClientLatency.run(cli, workDir, launcher, System.err);
        if (json) {
            Output.json(out, r);
            return 0;
        }
        out.printf("client verbs through %s, %d runs each, target %d ms%n", r.launcher(), r.runs(), r.targetMs());
        List<List<String>> rows = new ArrayList<>();
        for (ClientLatency.Case c : r.cases()) {
            rows.add(List.of(c.command(), c.medianMs() + " ms", c.p90Ms() + " ms", c.pass() ? "pass" : "FAIL"));
        }
        Output.table(out, List.of("command", "median", "p90", "< " + r.targetMs() + " ms"), rows);
        out.println();
        r.notes().forEach(n -> out.println("- " + n));
        return 0;
    }

    private int catalogScale() throws Exception {
        if (catalog < 1 || catalog > 1_000_000) {
            throw new CliException(CliException.USAGE, "--catalog must be 1..1000000");
        }
        CatalogScale.Result r = CatalogScale.run(catalog, workDir, System.err);
        if (json) {
            Output.json(out, r);
            return 0;
        }
        out.printf("catalog scale: %d backups of 3 databases; server start (catalog rebuilt from manifests) %s%n",
                r.backups(), Output.duration(r.repositoryOpenMs()));
        out.printf("server start again, warm JVM: catalog cache deleted (rebuilt) %s, catalog cache loaded %s%n",
                Output.duration(r.rebuiltStartMs()), Output.duration(r.cachedStartMs()));
        out.printf("repository open alone (median of 5, alternating): without the catalog cache %s, with it %s%n",
                Output.duration(r.openWithoutCacheMs()), Output.duration(r.openWithCacheMs()));
        List<List<String>> rows = new ArrayList<>();
        for (CatalogScale.Call c : r.calls()) {
            rows.add(List.of(c.request(), String.format(Locale.ROOT, "%.1f ms", c.medianMicros() / 1000.0),
                    String.format(Locale.ROOT, "%.1f ms", c.maxMicros() / 1000.0), Output.size(c.bodyBytes())));
        }
        Output.table(out, List.of("GET (over REST, 30 calls after 5 warm-up)", "median", "max", "answer"), rows);
        return 0;
    }

    private void print(BenchReport r) {
        BenchReport.Machine m = r.machine();
        out.printf("Meridian Backup benchmark, %s%n", r.date());
        out.printf("machine: %d CPUs, %s, %s, max heap %s, jdk.incubator.vector %s, load average %.2f at start, %.2f at end%n",
                m.cpus(), m.os(), m.java(), Output.size(m.maxHeapBytes()), m.vectorModule() ? "on" : "off",
                m.loadAverageAtStart(), m.loadAverageAtEnd());
        out.printf("database: %s in %d files (%d SSTs), %s; 1%% new data = %s%n", Output.size(r.database().bytes()),
                r.database().files(), r.database().sstFiles(), r.database().source(), Output.size(r.database().changeBytes()));
        out.printf("rounds: %d, order %s; Meridian compression %s, parallel files %d (backup) %d (restore), hashing pool %d%n",
                r.setup().rounds(), r.setup().order(), r.setup().compression(), r.setup().backupParallelFiles(),
                r.setup().restoreParallelFiles(), r.setup().hashPoolSize());
        out.println("page cache: " + r.pageCache());
        out.println();

        List<List<String>> rows = new ArrayList<>();
        for (BenchReport.OperationRow o : r.operations()) {
            rows.add(List.of(o.operation(), ms(o.copyMedianMs()),
                    o.backupEngineMedianMs() == null ? "n/a" : ms(o.backupEngineMedianMs()), ms(o.meridianMedianMs()),
                    ratio(o.meridianOverBackupEngine()), o.note()));
        }
        Output.table(out, List.of("operation", "copy", "BackupEngine", "Meridian", "Meridian/BackupEngine", "note"), rows);
        out.printf("verify throughput: %.2f GiB/s (%s checked)%n", r.verify().gibPerSecond(), Output.size(r.verify().bytes()));
        out.println();

        rows = new ArrayList<>();
        for (BenchReport.SizeRow s : r.sizes()) {
            rows.add(List.of(s.what(), Output.size(s.bytes()), String.format(Locale.ROOT, "%.2f", s.ofDatabase())));
        }
        Output.table(out, List.of("size after the full backup", "bytes", "x database"), rows);
        out.println();

        rows = new ArrayList<>();
        for (BenchReport.HashRow h : r.hashing()) {
            rows.add(List.of(h.implementation(), String.format(Locale.ROOT, "%.0f", h.medianMibPerSecond()), ratio(h.ofBouncyCastle())));
        }
        Output.table(out, List.of("Blake3, 1 thread, " + r.hashing().get(0).bufferMib() + " MiB buffer", "MiB/s", "x BouncyCastle"), rows);
        out.println();

        rows = new ArrayList<>();
        for (BenchReport.HeapRow h : r.heap()) {
            rows.add(List.of(h.operation(), Output.size(h.peakUsedBytes()),
                    h.peakLiveBytes() < 0 ? "no GC ran" : Output.size(h.peakLiveBytes())));
        }
        Output.table(out, List.of("JVM heap during Meridian's", "peak used", "peak live after GC"), rows);

        if (r.scaling() != null) {
            out.println();
            rows = new ArrayList<>();
            for (BenchReport.ScalingRow s : r.scaling().rows()) {
                rows.add(List.of(Output.size(s.databaseBytes()), ms(s.backupEngineFullMs()), ms(s.meridianFullMs()),
                        ms(s.backupEngineIncrementalMs()), ms(s.meridianIncrementalMs())));
            }
            Output.table(out, List.of("same change (" + Output.size(r.scaling().changeBytes()) + ") on", "BackupEngine full",
                    "Meridian full", "BackupEngine incremental", "Meridian incremental"), rows);
            out.printf("incremental growth from 1x to 4x the database: Meridian %s, BackupEngine %s (1.00x = cost follows "
                    + "the change, not the size)%n", ratio(r.scaling().meridianIncrementalGrowth()),
                    ratio(r.scaling().backupEngineIncrementalGrowth()));
        }
        if (r.rateLimit() != null) {
            out.println();
            rows = new ArrayList<>();
            for (BenchReport.RateRow rr : r.rateLimit().rows()) {
                rows.add(List.of(rr.contender(), rr.operation(), Output.size(rr.bytes()), ms(rr.ms()),
                        Output.size((long) rr.achievedBytesPerSecond()) + "/s", ratio(rr.ofLimit())));
            }
            Output.table(out, List.of("rate limit " + Output.size(r.rateLimit().limitBytesPerSecond()) + "/s", "operation",
                    "bytes", "time", "achieved", "x limit"), rows);
        }
        out.println();
        r.notes().forEach(n -> out.println("- " + n));
    }

    private static String ms(Long ms) {
        return ms == null ? "-" : Output.duration(ms);
    }

    private static String ratio(Double r) {
        return r == null ? "-" : String.format(Locale.ROOT, "%.2fx", r);
    }
}
