package dev.meridian.backup.bench;

import dev.meridian.backup.store.file.DurableFiles;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * {@code bench --repository s3}: Meridian against restic, both backing up the same generated RocksDB database to
 * the same S3 server with encryption on (Meridian aes-256-gcm, restic's own), in one run, alternating which goes
 * first each round. Full backup, backup after 1% new data (the same new SST for both) and restore, medians over the
 * rounds, and Meridian/restic ratios against the 1.0x target.
 */
public final class ResticComparison {
    public static final double TARGET = 1.0;
    private static final int WARM_UP_MIB = 32;

    private ResticComparison() {}

    /**
     * Where the S3 server comes from: {@code endpoint} null starts S3Proxy (scripts/s3proxy.sh of the checkout);
     * otherwise a running server at that URL with {@code bucket}, credentials from the environment.
     */
    public record Options(int sizeMb, int runs, String compression, Path workDir, String endpoint, String bucket) {}

    /**
     * One operation: every round's ms, medians (ms), the ratio of the medians and the median of the per-round ratios
     * (Meridian / restic); {@code withinTarget} judges the per-round median.
     */
    public record Row(String operation, List<Long> resticMs, List<Long> meridianMs, long resticMedianMs, long meridianMedianMs,
            double ratio, double pairedRatio, boolean withinTarget, Unsynced unsynced) {}

    /**
     * Restore only: restic's times before the fsync the benchmark adds (restic itself leaves the files in the page
     * cache), and Meridian's ratios against those; null for the other operations.
     */
    public record Unsynced(List<Long> resticMs, long resticMedianMs, double ratio, double pairedRatio) {}

    /**
     * {@code s3} describes the server (endpoint, and whether the benchmark started S3Proxy); the repository sizes are
     * the bytes under each contender's prefix right after its full backup (median over the rounds).
     */
    public record Result(long databaseBytes, int sstFiles, long changeBytes, int rounds, String compression, String s3,
            String restic, List<Row> rows, long resticRepositoryBytes, long meridianRepositoryBytes, double target,
            List<String> notes) {}

    /**
     * Runs the comparison under {@code workDir} (removed afterwards).
     *
     * @throws dev.meridian.backup.model.BackupException unavailable, saying how to install it, when restic is not on
     *         PATH (before anything else is done); as {@link BenchS3} when the S3 server cannot be started or used
     */
    public static Result run(Options options, PrintStream log) throws Exception {
        String restic = ResticContender.version();
        Path parent = options.workDir() != null ? options.workDir() : Path.of(System.getProperty("java.io.tmpdir"));
        Files.createDirectories(parent);
        Path work = Files.createTempDirectory(parent.toAbsolutePath(), "meridian-bench-s3-");
        try (HeapMeter heap = new HeapMeter();
                BenchS3 s3 = options.endpoint() == null
                        ? BenchS3.start(ClientLatency.checkoutFile("scripts", "s3proxy.sh"), work.resolve("s3proxy-data"), log)
                        : BenchS3.external(options.endpoint(), options.bucket(), work)) {
            Path password = work.resolve("password");
            Files.writeString(password, "benchmark password\n");
            List<Contender> contenders = List.of(new MeridianContender(options.compression(), password, s3),
                    new ResticContender(s3, password));
            Set<Operation> ops = EnumSet.of(Operation.FULL_BACKUP, Operation.INCREMENTAL, Operation.RESTORE);

            Path small = work.resolve("warm-up");
            long smallMib = Math.min(WARM_UP_MIB, options.sizeMb());
            BenchData.generate(small, smallMib, 3);
            long smallBytes = BenchData.databaseBytes(small);
            // Two untimed rounds: the JIT compiles the AES-GCM, hashing and HTTP paths only after some hundreds of MiB.
            log.printf("2 warm-up rounds on a %d MiB database (not timed)%n", smallMib);
            for (int w = 0; w < 2; w++) {
                for (Contender c : contenders) {
                    c.run(new Contender.Plan(small, smallBytes, ops, Math.max(BenchData.VALUE_SIZE, smallBytes / 100), 0, 0),
                            work, new Round(c.name(), 0, heap));
                }
            }
            DurableFiles.deleteTree(small);

            Path source = work.resolve("source");
            log.printf("building a %d MiB database%n", options.sizeMb());
            BenchData.generate(source, options.sizeMb(), 1);
            long bytes = BenchData.databaseBytes(source);
            long changeBytes = Math.max(BenchData.VALUE_SIZE, bytes / 100);
            List<Round> rounds = Alternation.rounds(contenders, options.runs(),
                    r -> new Contender.Plan(source, bytes, ops, changeBytes, r, 0), work, heap, log);
            List<Row> rows = new ArrayList<>();
            for (Operation op : List.of(Operation.FULL_BACKUP, Operation.INCREMENTAL, Operation.RESTORE)) {
                List<Long> theirs = Alternation.ms(rounds, "restic", op);
                List<Long> ours = Alternation.ms(rounds, contenders.get(0).name(), op);
                long t = Alternation.median(theirs);
                long m = Alternation.median(ours);
                double paired = Alternation.pairedRatio(ours, theirs);
                List<Long> unsynced = rounds.stream().filter(x -> x.contender.equals("restic") && x.partMs.containsKey(op))
                        .map(x -> x.partMs.get(op)).toList();
                Unsynced u = unsynced.isEmpty() ? null : new Unsynced(unsynced, Alternation.median(unsynced),
                        m / (double) Math.max(Alternation.median(unsynced), 1), Alternation.pairedRatio(ours, unsynced));
                rows.add(new Row(op.label, theirs, ours, t, m, m / (double) Math.max(t, 1), paired, paired <= TARGET, u));
            }
            String server = s3.started() ? "S3Proxy 2.6.0 started by the benchmark at " + s3.endpoint()
                    + " (filesystem backend under the work directory), bucket " + s3.bucket()
                    : "the running server at " + s3.endpoint() + ", bucket " + s3.bucket();
            return new Result(bytes, BenchData.fileCounts(source)[1], changeBytes, options.runs(), options.compression(), server,
                    restic, rows, repositoryBytes(rounds, "restic"), repositoryBytes(rounds, contenders.get(0).name()), TARGET,
                    notes());
        } finally {
            DurableFiles.deleteTree(work);
        }
    }

    private static long repositoryBytes(List<Round> rounds, String contender) {
        return Alternation.median(rounds.stream().filter(r -> r.contender.equals(contender)).map(r -> r.repositoryBytes).toList());
    }

    private static List<String> notes() {
        return List.of(
                "Both read the same bytes: each contender gets its own fsynced copy of the generated database, opens it "
                        + "(rocksdbjni, as Meridian opens it) and writes the same 1% of new data, flushed to one new SST.",
                "Meridian: the engine in this JVM (actors, journal, RocksDB checkpoint, Blake3, AES-256-GCM, "
                        + "multipart uploads, manifest), an encrypted S3 repository (Argon2id key slot) created fresh "
                        + "each round before the clock starts; its backup time includes its checkpoint.",
                "restic: a RocksDB checkpoint (hard links) into the same directory, then `restic backup .` there "
                        + "(timed together, like Meridian's); `restic init` before the clock starts; the second backup "
                        + "uses the first as its parent. Repository format v2 with restic's default compression "
                        + "(auto) and 5 S3 connections; AES-256-CTR + Poly1305 with a key derived by scrypt.",
                "Restore: Meridian checks every file's Blake3 hash and fsyncs each file and directory before it "
                        + "answers; `restic restore latest --target DIR` authenticates every blob (Poly1305) but does "
                        + "not fsync, so the benchmark fsyncs restic's files and directories after it, inside restic's "
                        + "time, and also shows restic's time without that fsync. Both results are opened as a RocksDB "
                        + "database afterwards, untimed.",
                "Rounds alternate which contender goes first; each round's repositories live under a fresh prefix that "
                        + "is deleted afterwards. Two untimed warm-up rounds on a small database let the JIT compile "
                        + "Meridian's hot paths first, as in a long-running server; restic is native code.",
                "Times are wall-clock; the ratio that judges the target is the median of the per-round ratios, the "
                        + "ratio of the medians is shown beside it.");
    }
}
