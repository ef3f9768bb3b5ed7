package dev.meridian.backup.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jdk.jfr.EventType;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where Meridian's time goes, from a flight recording of a benchmark run: every Java and native-method sample taken
 * inside one of Meridian's timed operations (the {@link OperationEvent} windows) is put in the category of the first
 * frame, from the top of its stack, that a rule below recognizes, and weighted by its sampling period, giving
 * thread-milliseconds per category. Threads parked or blocked are not sampled, so waiting shows as wall time no
 * category accounts for. The untimed warm-up round (round 0) is left out.
 *
 * <p>Usage: {@code java -cp target/meridian-backup-0.1.0-all.jar dev.meridian.backup.bench.ProfileBreakdown FILE.jfr}
 * after {@code MERIDIAN_JAVA_OPTS=-XX:StartFlightRecording=filename=FILE.jfr,settings=profile bin/meridian-backup bench}.
 */
public final class ProfileBreakdown {
    /** A category and the frame prefixes (class.method) that put a sample in it, checked in this order. */
    private static final Map<String, List<String>> RULES = new LinkedHashMap<>();

    static {
        RULES.put("hash (Blake3)", List.of("dev.meridian.backup.hash.", "org.bouncycastle.crypto.digests.Blake3"));
        RULES.put("zstd", List.of("com.github.luben.zstd."));
        RULES.put("fsync", List.of("sun.nio.ch.FileDispatcherImpl.force", "sun.nio.ch.FileChannelImpl.force"));
        RULES.put("read", List.of("sun.nio.ch.FileDispatcherImpl.pread", "sun.nio.ch.FileDispatcherImpl.read",
                "sun.nio.ch.FileChannelImpl.read", "sun.nio.ch.IOUtil.read"));
        RULES.put("write", List.of("sun.nio.ch.FileDispatcherImpl.pwrite", "sun.nio.ch.FileDispatcherImpl.write",
                "sun.nio.ch.FileChannelImpl.write", "sun.nio.ch.IOUtil.write"));
        RULES.put("checkpoint (RocksDB)", List.of("org.rocksdb.", "dev.meridian.backup.rocks."));
        RULES.put("file metadata (open, rename, stat, unlink)", List.of("sun.nio.fs.", "java.nio.file."));
        RULES.put("JSON (manifests, journal, fingerprints)", List.of("com.fasterxml.jackson."));
        RULES.put("buffer copies", List.of("jdk.internal.misc.Unsafe.copyMemory", "java.nio.DirectByteBuffer.get",
                "java.nio.HeapByteBuffer.get"));
    }

    private static final String OTHER = "other Java (actors, engine)";

    private record Window(String operation, Instant start, Instant end) {}

    private ProfileBreakdown() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: ProfileBreakdown RECORDING.jfr");
            System.exit(2);
        }
        print(Path.of(args[0]), "Meridian", System.out);
    }

    /** Prints, per operation of {@code contender}, wall time and thread time by category, summed over rounds. */
    static void print(Path recording, String contender, PrintStream out) throws IOException {
        Map<Long, String> typeNames = new HashMap<>();
        try (RecordingFile f = new RecordingFile(recording)) {
            for (EventType t : f.readEventTypes()) {
                typeNames.put(t.getId(), t.getName());
            }
        }
        List<Window> windows = new ArrayList<>();
        List<RecordedEvent> samples = new ArrayList<>();
        List<RecordedEvent> forces = new ArrayList<>();
        Map<String, Duration> periods = new HashMap<>();
        for (RecordedEvent e : RecordingFile.readAllEvents(recording)) {
            String type = e.getEventType().getName();
            if (type.equals("dev.meridian.bench.Operation") && contender.equals(e.getString("contender"))
                    && e.getInt("round") > 0) {
                windows.add(new Window(e.getString("operation"), e.getStartTime(), e.getEndTime()));
            } else if (type.equals("jdk.ExecutionSample") || type.equals("jdk.NativeMethodSample")) {
                samples.add(e);
            } else if (type.equals("jdk.FileForce")) {
                forces.add(e);
            } else if (type.equals("jdk.ActiveSetting") && e.getString("name").equals("period")) {
                String of = typeNames.get(e.getLong("id"));
                Duration d = parsePeriod(e.getString("value"));
                if (of != null && d != null) {
                    periods.put(of, d);
                }
            }
        }
        Map<String, Long> wallMs = new LinkedHashMap<>();
        Map<String, Integer> rounds = new LinkedHashMap<>();
        Map<String, Map<String, Double>> byOperation = new LinkedHashMap<>();
        Map<String, long[]> fsyncs = new HashMap<>();
        for (Window w : windows) {
            wallMs.merge(w.operation(), Duration.between(w.start(), w.end()).toMillis(), Long::sum);
            rounds.merge(w.operation(), 1, Integer::sum);
            byOperation.computeIfAbsent(w.operation(), k -> new LinkedHashMap<>());
            fsyncs.computeIfAbsent(w.operation(), k -> new long[2]);
        }
        for (RecordedEvent s : samples) {
            Window w = windowOf(windows, s.getStartTime());
            if (w != null) {
                Duration period = periods.getOrDefault(s.getEventType().getName(), Duration.ofMillis(20));
                byOperation.get(w.operation()).merge(category(s.getStackTrace()), period.toNanos() / 1e6, Double::sum);
            }
        }
        for (RecordedEvent f : forces) {
            Window w = windowOf(windows, f.getStartTime());
            if (w != null) {
                fsyncs.get(w.operation())[0]++;
                fsyncs.get(w.operation())[1] += f.getDuration().toMillis();
            }
        }
        out.printf("%s, from %s (sampling: Java %s, native %s)%n", contender, recording,
                periods.getOrDefault("jdk.ExecutionSample", Duration.ZERO).toMillis() + " ms",
                periods.getOrDefault("jdk.NativeMethodSample", Duration.ZERO).toMillis() + " ms");
        for (var op : byOperation.entrySet()) {
            double total = op.getValue().values().stream().mapToDouble(Double::doubleValue).sum();
            long[] fs = fsyncs.get(op.getKey());
            out.printf("%n%s: %d round(s), %d ms wall, %.0f ms sampled thread time; %d fsyncs over the recording's "
                    + "threshold took %d ms%n", op.getKey(), rounds.get(op.getKey()), wallMs.get(op.getKey()), total, fs[0], fs[1]);
            op.getValue().entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                    .forEach(c -> out.printf(Locale.ROOT, "  %-45s %8.0f ms  %5.1f%%%n", c.getKey(), c.getValue(),
                            100 * c.getValue() / total));
        }
    }

    private static Window windowOf(List<Window> windows, Instant t) {
        for (Window w : windows) {
            if (!t.isBefore(w.start()) && !t.isAfter(w.end())) {
                return w;
            }
        }
        return null;
    }

    static String category(RecordedStackTrace stack) {
        if (stack == null) {
            return OTHER;
        }
        for (RecordedFrame frame : stack.getFrames()) {
            String name = frame.getMethod().getType().getName() + "." + frame.getMethod().getName();
            for (var rule : RULES.entrySet()) {
                for (String prefix : rule.getValue()) {
                    if (name.startsWith(prefix)) {
                        return rule.getKey();
                    }
                }
            }
        }
        return OTHER;
    }

    /** "20 ms", "10 ms", "1 s" as JFR writes them; null for "everyChunk" and the like. */
    private static Duration parsePeriod(String value) {
        String[] p = value.trim().split("\\s+");
        if (p.length != 2) {
            return null;
        }
        try {
            long n = Long.parseLong(p[0]);
            return switch (p[1]) {
                case "ns" -> Duration.ofNanos(n);
                case "us" -> Duration.ofNanos(n * 1000);
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                default -> null;
            };
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
