package dev.meridian.backup.bench;

import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.rocks.LiveDatabase;
import dev.meridian.backup.store.file.DurableFiles;
import dev.meridian.backup.store.file.FileBlobStore;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code bench --cold}: the first operation of its kind after a start, against the same operation in a warm process.
 * Each cold operation runs in a fresh JVM ({@link ColdOperation}) started with this JVM's options, for Meridian and
 * for BackupEngine alike, the contenders alternating; the warm figures come from the same operations in this JVM
 * after an untimed warm-up round, as the main benchmark measures them, but like for like: the database is opened
 * anew for the warm incremental as for the cold one ({@link Contender.Plan#reopenBeforeIncremental}; for Meridian
 * by a new engine in this JVM, so the warm incremental is that engine's first backup, as the cold one is), and every
 * timed operation, cold or warm, starts on memory just freed ({@link RecycledMemory}). What differs is then how warm
 * the code and the JVM are; what a freshly started engine's first backup costs beyond a running engine's next one
 * is in both, and is shown apart: the warm rounds also time a running engine's next incremental ("steady").
 */
public final class ColdStart {
    /** The target: a first operation within 1.2x of the warm one. */
    public static final double TARGET = 1.2;
    /** Memory freed before each timed operation beyond the database's size (the restore writes the whole database). */
    private static final long RECYCLE_MARGIN = 64L << 20;
    private static final List<Operation> OPERATIONS = List.of(Operation.FULL_BACKUP, Operation.INCREMENTAL, Operation.RESTORE);

    /**
     * One operation's cold and warm medians (ms) and their ratios; lists hold one value per round. "Next" is the same
     * operation run again right after the cold one in the same fresh JVM (see {@link ColdOperation}; null for a full
     * backup): cold/next is the warm-up alone, cold/warm also holds what the machine does differently for a process
     * that has just started. "Steady" (the incremental only; null otherwise) is a running engine's next incremental in
     * the warm JVM, on the database it already has open ({@link Operation#NEXT_INCREMENTAL}): what a server that has
     * been up for a while pays for each nightly backup, with no new CURRENT and no new engine. {@code withinTarget}
     * judges cold/warm, the measure like for like; cold/steady compares the first incremental after a start
     * with a running server's, for BackupEngine too (native code, no warm-up: what of that ratio is the machine's and
     * the reopened database's).
     */
    public record Row(String operation, List<Long> meridianColdMs, List<Long> backupEngineColdMs, List<Long> meridianNextMs,
                      List<Long> backupEngineNextMs, Long meridianColdMedianMs,
                      Long meridianNextMedianMs, Long meridianWarmMedianMs, Long backupEngineColdMedianMs,
                      Long backupEngineNextMedianMs, Long backupEngineWarmMedianMs, Double meridianColdOverNext,
                      Double meridianColdOverWarm, Double backupEngineColdOverNext, Double meridianOverBackupEngineCold,
                      Double meridianOverBackupEngineWarm, Long meridianSteadyMedianMs, Long backupEngineSteadyMedianMs,
                      Double meridianColdOverSteady, Double backupEngineColdOverSteady, boolean withinTarget) {}

    public record Result(String database, long databaseBytes, int sstFiles, int runs, double target, List<Row> rows,
                         List<String> notes) {}

    private ColdStart() {}

    /**
     * Runs {@code runs} cold rounds and {@code runs} warm ones on a generated database; the work directory is removed.
     * With {@code recycleMemory}, each timed operation starts on memory just freed ({@link RecycledMemory}).
     */
    public static Result run(Benchmark.Options options, boolean recycleMemory, PrintStream log) throws Exception {
        if (options.db() != null) {
            throw BackupException.invalid("--cold generates its own database; drop --db");
        }
        Path parent = options.workDir() != null ? options.workDir() : Path.of(System.getProperty("java.io.tmpdir"));
        Files.createDirectories(parent);
        Path work = Files.createTempDirectory(parent.toAbsolutePath(), "meridian-bench-cold-");
        try (HeapMeter heap = new HeapMeter()) {
            Path source = work.resolve("source");
            String note;
            if (options.manySsts()) {
                log.printf("building a %d MiB database of about %d SSTs%n", options.sizeMb(), BenchData.MANY_SSTS);
                BenchData.generateManySsts(source, options.sizeMb(), BenchData.MANY_SSTS, 1);
                note = Benchmark.MANY_SSTS_NOTE;
            } else {
                log.printf("building a %d MiB database%n", options.sizeMb());
                BenchData.generate(source, options.sizeMb(), 1);
                note = "1 KiB values, compacted into bottom-level SSTs";
            }
            long bytes = BenchData.databaseBytes(source);
            long change = Math.max(BenchData.VALUE_SIZE, bytes / 100);
            long recycle = recycleMemory ? bytes + RECYCLE_MARGIN : 0;

            Map<String, Map<Operation, List<Long>>> cold = new LinkedHashMap<>();
            Map<String, Map<Operation, List<Long>>> next = new LinkedHashMap<>();
            List<String> order = List.of("backupengine", "meridian");
            for (int r = 0; r < options.runs(); r++) {
                for (int k = 0; k < order.size(); k++) {
                    String c = order.get((k + r) % order.size());
                    log.printf("cold round %d/%d: %s (a fresh JVM per operation)%n", r + 1, options.runs(), c);
                    Map<Operation, Long[]> ms = coldRound(c, source, work, options.compression(), change, r + 1, recycle);
                    ms.forEach((op, v) -> {
                        cold.computeIfAbsent(c, x -> new LinkedHashMap<>()).computeIfAbsent(op, x -> new ArrayList<>()).add(v[0]);
                        if (v[1] != null) {
                            next.computeIfAbsent(c, x -> new LinkedHashMap<>()).computeIfAbsent(op, x -> new ArrayList<>()).add(v[1]);
                        }
                    });
                }
            }

            log.println("warm rounds in this JVM (after an untimed warm-up round)");
            Set<Operation> ops = EnumSet.of(Operation.FULL_BACKUP, Operation.INCREMENTAL, Operation.NEXT_INCREMENTAL,
                    Operation.RESTORE);
            List<Contender> contenders = List.of(new BackupEngineContender(), new MeridianContender(options.compression()));
            Round.Setup recycling = () -> RecycledMemory.recycle(work.resolve("warm-scratch"), recycle);
            for (Contender c : contenders) {
                c.run(new Contender.Plan(source, bytes, ops, change, 0, 0, true), work, new Round(c.name(), 0, heap).beforeEach(recycling));
            }
            Map<String, Map<Operation, List<Long>>> warm = new LinkedHashMap<>();
            for (int r = 0; r < options.runs(); r++) {
                for (int k = 0; k < contenders.size(); k++) {
                    Contender c = contenders.get((k + r) % contenders.size());
                    Round round = new Round(c.name(), r + 1, heap).beforeEach(recycling);
                    c.run(new Contender.Plan(source, bytes, ops, change, r + 1, 0, true), work, round);
                    round.nanos.forEach((op, n) -> warm.computeIfAbsent(c.name(), x -> new LinkedHashMap<>())
                            .computeIfAbsent(op, x -> new ArrayList<>()).add(n / 1_000_000));
                }
            }

            List<Row> rows = new ArrayList<>();
            for (Operation op : OPERATIONS) {
                List<Long> mc = cold.get("meridian").get(op);
                List<Long> bc = cold.get("backupengine").get(op);
                List<Long> mn = next.getOrDefault("meridian", Map.of()).getOrDefault(op, List.of());
                List<Long> bn = next.getOrDefault("backupengine", Map.of()).getOrDefault(op, List.of());
                Long mcm = median(mc);
                Long mnm = median(mn);
                Long mwm = median(warm.get("Meridian").get(op));
                Long bcm = median(bc);
                Long bnm = median(bn);
                Long bwm = median(warm.get("BackupEngine").get(op));
                Double coldOverWarm = ratio(mcm, mwm);
                boolean steady = op == Operation.INCREMENTAL;
                Long msm = steady ? median(warm.get("Meridian").get(Operation.NEXT_INCREMENTAL)) : null;
                Long bsm = steady ? median(warm.get("BackupEngine").get(Operation.NEXT_INCREMENTAL)) : null;
                rows.add(new Row(op.label, mc, bc, mn, bn, mcm, mnm, mwm, bcm, bnm, bwm, ratio(mcm, mnm), coldOverWarm, ratio(bcm, bnm),
                        ratio(mcm, bcm), ratio(mwm, bwm), msm, bsm, ratio(mcm, msm), ratio(bcm, bsm), coldOverWarm != null && coldOverWarm <= TARGET));
            }
            int[] counts = BenchData.fileCounts(source);
            return new Result(note, bytes, counts[1], options.runs(), TARGET, rows, List.of(
                    "cold: each operation is the first of its kind in a JVM started for it with this JVM's options; "
                            + "timed from just before the operation to its end (JVM start, engine start and opening "
                            + "the database are not timed, for either contender)",
                    "the incremental's process finds the full backup made by the previous process; restore restores "
                            + "the latest backup into a new directory",
                    "next: the same operation again in the cold operation's JVM right after it (1% other new data "
                            + "written through the open database, or the same backup restored into a second new directory): "
                            + "warmer code, nearly the same machine state (the next restore reads objects the first left in "
                            + "the page cache), so cold/next is mostly the warm-up; none for a full backup",
                    "warm: the same operations in this JVM after an untimed warm-up round, as in the main benchmark, but "
                            + "with the database closed after the full backup and opened anew for the incremental, as "
                            + "the cold incremental's process opens it (RocksDB writes a new MANIFEST at every open, so "
                            + "both incrementals store a new CURRENT); for Meridian by a new engine in this JVM, so its "
                            + "warm incremental is that engine's first backup, like the cold one; BackupEngine keeps "
                            + "its engine",
                    "steady (the incremental): a running engine's next incremental in this JVM, after 1% other new "
                            + "data written through the database it has open: no new CURRENT, no new engine, as a server "
                            + "that has been up for a while backs up; M cold/steady compares the first incremental after "
                            + "a start with it (new engine and new CURRENT included)",
                    recycle > 0 ? "memory: before every timed operation, cold or warm, " + (recycle >> 20) + " MiB are "
                            + "written to a scratch file and deleted unsynced, so each operation gets pages just freed (on a "
                            + "VM whose host takes back free guest memory, the first touch of a page free for a while costs "
                            + "a fault in the host; --no-recycle: not)"
                            : "memory: nothing freed before the timed operations (--no-recycle)",
                    "ratios compare medians of this run; the contenders alternate round by round"));
        } finally {
            DurableFiles.deleteTree(work);
        }
    }

    /** Full backup, change, incremental, restore of one contender, each operation in its own JVM. */
    private static Map<Operation, Long[]> coldRound(String contender, Path source, Path work, String compression, long change,
                                                    long seed, long recycle) throws Exception {
        Path db = work.resolve("cold-db");
        Path backups = work.resolve("cold-backups");
        Path restoreRoot = work.resolve("cold-restore");
        Path target = restoreRoot.resolve("restored");
        Map<Operation, Long[]> ms = new LinkedHashMap<>();
        try {
            BenchData.copyDatabase(source, db);
            String[] full = child(work, contender, "full", db, backups, target, compression, change, "", recycle);
            ms.put(Operation.FULL_BACKUP, times(full));
            try (LiveDatabase live = LiveDatabase.open("bench", db, false)) {
                BenchData.writeChange(live.handle(), change, seed);
            }
            String[] inc = child(work, contender, "incremental", db, backups, target, compression, change, "", recycle);
            ms.put(Operation.INCREMENTAL, times(inc));
            String[] restore = child(work, contender, "restore", db, backups, target, compression, change, inc[1], recycle);
            ms.put(Operation.RESTORE, times(restore));
            for (Path restored : List.of(target, ColdOperation.nextTarget(target))) {
                if (BenchData.databaseBytes(restored) == 0) {
                    throw new IllegalStateException(contender + "'s cold restore wrote nothing into " + restored);
                }
            }
            return ms;
        } finally {
            BenchData.deleteTrees(db, backups, restoreRoot);
        }
    }

    /** A child's cold and next milliseconds (next null when it has none). */
    private static Long[] times(String[] child) {
        return new Long[] {Long.parseLong(child[0]), child[2].equals("-") ? null : Long.valueOf(child[2])};
    }

    /** Runs one {@link ColdOperation} in a new JVM; returns its milliseconds, backup id and next milliseconds. */
    private static String[] child(Path work, String contender, String op, Path db, Path backups, Path target,
                                  String compression, long change, String backupId, long recycle) throws Exception {
        List<String> cmd = new ArrayList<>(javaCommand());
        cmd.add(ColdOperation.class.getName());
        cmd.addAll(List.of(contender, op, db.toString(), backups.toString(), target.toString(), compression,
                Long.toString(change), backupId, Long.toString(recycle)));
        Path err = work.resolve("cold-child.err");
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = p.waitFor();
        for (String line : out.split("\n")) {
            if (code == 0 && line.startsWith(ColdOperation.RESULT)) {
                String[] f = line.substring(ColdOperation.RESULT.length()).trim().split(" ");
                return new String[] {f[0].substring("ms=".length()), f[1].substring("backup=".length()),
                        f[2].substring("next=".length())};
            }
        }
        throw new IllegalStateException("the cold " + op + " of " + contender + " failed (exit " + code + "): "
                + tail(err) + tail(out));
    }

    /**
     * {@code java} with this JVM's options (heap, -D settings, the Vector API module) and class path, without the
     * options that must not be shared by two JVMs (debug agents, flight recordings, CDS archive dumps).
     */
    static List<String> javaCommand() {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        boolean vector = false;
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("-agentlib") || a.startsWith("-javaagent") || a.contains("FlightRecording")
                    || a.startsWith("-XX:ArchiveClassesAtExit") || a.startsWith("-XX:DumpLoadedClassList")
                    || a.startsWith("-Xshare:dump") || a.startsWith("-Xlog:")) {
                continue;
            }
            vector |= a.contains("jdk.incubator.vector");
            cmd.add(a);
        }
        if (!vector && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            cmd.add("--add-modules=jdk.incubator.vector");
        }
        cmd.add("-DMERIDIAN_LOG_LEVEL=WARN");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        return cmd;
    }

    private static String tail(Path file) {
        try {
            return Files.exists(file) ? tail(Files.readString(file)) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static String tail(String s) {
        String t = s.strip();
        return t.length() <= 600 ? t : "..." + t.substring(t.length() - 600);
    }

    static Long median(List<Long> values) {
        if (values == null || values.isEmpty()) {
            return null;
        }
        List<Long> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : Math.round((sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2.0);
    }

    private static Double ratio(Long a, Long b) {
        return a == null || b == null || b == 0 ? null : a / (double) b;
    }
}
