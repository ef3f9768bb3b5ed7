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
 * The cost of encryption at rest: Meridian over a plaintext and over an encrypted (aes-256-gcm) local repository, on
 * the same generated database, in one run, alternating which goes first each round. Full backup and restore, medians
 * over the rounds, and encrypted/plaintext ratios against the 1.15x target. Each round starts a fresh repository; the
 * Argon2id derivation happens when the server opens it, outside the timed operations.
 */
public final class EncryptionOverhead {
    public static final double TARGET = 1.15;

    private EncryptionOverhead() {}

    /**
     * One operation's medians (ms), the ratio of the medians, and the median of the per-round ratios (each round runs
     * both back to back, so that one is the steadier under load that drifts); every round's times are kept too.
     * {@code withinTarget} judges the per-round median.
     */
    public record Row(String operation, List<Long> plainMs, List<Long> encryptedMs, long plainMedianMs, long encryptedMedianMs,
            double ratio, double pairedRatio, boolean withinTarget) {}

    public record Result(long databaseBytes, int rounds, String compression, List<Row> rows, double target) {}

    /** Runs {@code runs} rounds on a generated {@code sizeMb} MiB database under {@code workDir} (removed afterwards). */
    public static Result run(int sizeMb, int runs, String compression, Path workDir, PrintStream log) throws Exception {
        Path parent = workDir != null ? workDir : Path.of(System.getProperty("java.io.tmpdir"));
        Files.createDirectories(parent);
        Path work = Files.createTempDirectory(parent.toAbsolutePath(), "meridian-bench-crypt-");
        try (HeapMeter heap = new HeapMeter()) {
            Path password = work.resolve("password");
            Files.writeString(password, "benchmark password\n");
            List<Contender> contenders = List.of(new MeridianContender(compression), new MeridianContender(compression, password));
            Set<Operation> ops = EnumSet.of(Operation.FULL_BACKUP, Operation.RESTORE);

            Path small = work.resolve("warm-up");
            BenchData.generate(small, Math.min(32, sizeMb), 3);
            // Two untimed rounds: the JIT compiles the AES-GCM and hashing paths only after some hundreds of MiB.
            log.printf("2 warm-up rounds on a %d MiB database (not timed)%n", Math.min(32, sizeMb));
            for (int w = 0; w < 2; w++) {
                for (Contender c : contenders) {
                    c.run(new Contender.Plan(small, BenchData.databaseBytes(small), ops, 0, 0, 0), work, new Round(c.name(), 0, heap));
                }
            }
            DurableFiles.deleteTree(small);

            Path source = work.resolve("source");
            log.printf("building a %d MiB database%n", sizeMb);
            BenchData.generate(source, sizeMb, 1);
            long bytes = BenchData.databaseBytes(source);
            List<Round> rounds = Alternation.rounds(contenders, runs, r -> new Contender.Plan(source, bytes, ops, 0, r, 0), work,
                    heap, log);
            List<Row> rows = new ArrayList<>();
            for (Operation op : List.of(Operation.FULL_BACKUP, Operation.RESTORE)) {
                List<Long> plain = Alternation.ms(rounds, "Meridian", op);
                List<Long> sealed = Alternation.ms(rounds, "Meridian encrypted", op);
                long p = Alternation.median(plain);
                long e = Alternation.median(sealed);
                double ratio = e / (double) Math.max(p, 1);
                double pairedRatio = Alternation.pairedRatio(sealed, plain);
                rows.add(new Row(op.label, plain, sealed, p, e, ratio, pairedRatio, pairedRatio <= TARGET));
            }
            return new Result(bytes, runs, compression, rows, TARGET);
        } finally {
            DurableFiles.deleteTree(work);
        }
    }

}
