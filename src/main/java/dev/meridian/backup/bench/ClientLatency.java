package dev.meridian.backup.bench;

import com.typesafe.config.ConfigFactory;
import dev.meridian.backup.config.Settings;
import dev.meridian.backup.engine.Engine;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupRequest;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.server.Server;
import dev.meridian.backup.store.file.DurableFiles;
import dev.meridian.backup.store.file.FileBlobStore;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code bench --cli}: the wall time of client verbs as an operator runs them, through {@code bin/meridian-backup}
 * (launcher, JVM start, the verb, its HTTP call, exit), against a server this benchmark starts, plus --version,
 * --help and a verb against a server that is not running. Each command runs once untimed (the launcher makes its
 * class data sharing archive on first use), then {@code runs} times.
 */
public final class ClientLatency {
    /** The target for a client verb, in milliseconds. */
    public static final long TARGET_MS = 500;

    /** One command's times in ms, median and 90th percentile, and whether the median meets {@link #TARGET_MS}. */
    public record Case(String command, List<Long> ms, long medianMs, long p90Ms, boolean pass) {}

    public record Result(String launcher, int runs, long targetMs, List<Case> cases, List<String> notes) {}

    private ClientLatency() {}

    /** Runs the client verbs {@code runs} times each; {@code launcher} null: bin/meridian-backup beside the jar. */
    public static Result run(int runs, Path workDir, Path launcher, PrintStream log) throws Exception {
        if (runs < 1 || runs > 1000) {
            throw BackupException.invalid("--cli runs must be 1..1000, got " + runs);
        }
        Path bin = launcher != null ? launcher : defaultLauncher();
        if (!Files.isExecutable(bin)) {
            throw BackupException.invalid("no launcher at " + bin + "; pass --launcher PATH/bin/meridian-backup");
        }
        Path parent = workDir != null ? workDir : Path.of(System.getProperty("java.io.tmpdir"));
        Files.createDirectories(parent);
        Path work = Files.createTempDirectory(parent.toAbsolutePath(), "meridian-bench-cli-");
        try {
            Path db = work.resolve("db");
            BenchData.generate(db, 4, 1);
            Path restoreRoot = work.resolve("restore");
            Files.createDirectories(restoreRoot);
            Settings base = MeridianContender.settings(db, work.resolve("repository"), restoreRoot, "auto", 0);
            Settings settings = Settings.from(ConfigFactory.parseMap(Map.of("meridian.http.port", 0))
                    .withFallback(base.config()).resolve());
            try (Server server = Server.start(settings, true, e -> List.of())) {
                String url = "http://127.0.0.1:" + server.address().getPort();
                String id = server.engine().createBackup(MeridianContender.DATABASE, new BackupRequest(Engine.newRequestId(),
                        BackupType.MANUAL, "cli latency", List.of(), null, false), null).toCompletableFuture().get()
                        .backupId().value();
                String down = "http://127.0.0.1:" + closedPort();
                Path conf = work.resolve("client.conf"); // --config: the server's address read from a HOCON file
                Files.writeString(conf, "meridian.http { host = \"0.0.0.0\", port = " + server.address().getPort() + " }\n");
                List<List<String>> commands = List.of(List.of("list", "--server", url), List.of("show", id, "--server", url),
                        List.of("stats", "--server", url), List.of("--version"), List.of("--help"),
                        List.of("list", "--server", down), List.of("list", "--config", conf.toString()));
                List<Case> cases = new ArrayList<>();
                for (List<String> args : commands) {
                    boolean expectFailure = args.contains(down);
                    String label = String.join(" ", args).replace(url, "URL").replace(down, "DOWN").replace(id, "ID")
                            .replace(conf.toString(), "FILE");
                    log.printf("%s: %d runs%n", label, runs);
                    time(bin, args, expectFailure, work);
                    List<Long> ms = new ArrayList<>();
                    for (int i = 0; i < runs; i++) {
                        ms.add(time(bin, args, expectFailure, work));
                    }
                    long median = ColdStart.median(ms);
                    cases.add(new Case(label, ms, median, percentile(ms, 0.9), median < TARGET_MS));
                }
                return new Result(bin.toString(), runs, TARGET_MS, cases, List.of(
                        "wall time from starting the launcher to its exit, the verb's answer printed (to /dev/null)",
                        "URL: a server this benchmark started on a 4 MiB database with one backup; DOWN: a port "
                                + "nothing listens on (the verb must fail fast with a clear error); FILE: a HOCON file "
                                + "giving that server's meridian.http host and port",
                        "p90 is the value below which 90% of the runs fall (nearest rank)"));
            }
        } finally {
            DurableFiles.deleteTree(work);
        }
    }

    private static long time(Path bin, List<String> args, boolean expectFailure, Path work) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(bin.toString());
        cmd.addAll(args);
        Path err = work.resolve("cli.err");
        long start = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile()).start();
        p.getOutputStream().close();
        int code = p.waitFor();
        long ms = (System.nanoTime() - start) / 1_000_000;
        if ((code == 0) == expectFailure) {
            throw new IllegalStateException("'" + String.join(" ", cmd) + "' exited " + code + ": " + Files.readString(err).strip());
        }
        return ms;
    }

    private static long percentile(List<Long> values, double p) {
        List<Long> sorted = values.stream().sorted().toList();
        int rank = (int) Math.ceil(p * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** bin/meridian-backup of the checkout whose target/ holds the running jar, else of the working directory. */
    private static Path defaultLauncher() {
        return checkoutFile("bin", "meridian-backup");
    }

    /**
     * A file of the checkout whose target/ holds the running jar (e.g. {@code bin/meridian-backup}), else of the
     * working directory; absolute, not checked to exist.
     */
    static Path checkoutFile(String first, String... more) {
        String cp = System.getProperty("java.class.path");
        if (cp.endsWith(".jar") && !cp.contains(java.io.File.pathSeparator)) {
            Path jar = Path.of(cp).toAbsolutePath();
            if (jar.getParent() != null && jar.getParent().getParent() != null) {
                return jar.getParent().getParent().resolve(Path.of(first, more));
            }
        }
        return Path.of(first, more).toAbsolutePath();
    }
}
