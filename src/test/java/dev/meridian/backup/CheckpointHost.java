package dev.meridian.backup;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.rocksdb.Checkpoint;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * An application that owns a RocksDB database, as a separate JVM (the test's classpath): it opens the database at
 * start, keeps it open (and so holds its LOCK) until told to quit, and answers one command a line on stdin:
 * {@code write PREFIX COUNT} (keys PREFIX000000.., values "PREFIX-i"), {@code checkpoint DIR} (RocksDB's
 * Checkpoint, as any owner would make one for hand-over) and {@code quit}. Each answer is one line, {@code ok SEQ}
 * (the sequence number after the command) or {@code error MESSAGE}.
 */
public final class CheckpointHost implements AutoCloseable {
    private final Process process;
    private final BufferedReader out;
    private final PrintWriter in;
    private final Map<String, String> written = new TreeMap<>();

    private CheckpointHost(Process process) {
        this.process = process;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
    }

    /** Starts the host on the database at {@code db} (created if missing) and waits until it has opened it. */
    public static CheckpointHost start(Path db, Path log) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                CheckpointHost.class.getName(), db.toString()));
        Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
        CheckpointHost host = new CheckpointHost(p);
        String ready = host.out.readLine();
        if (!"open".equals(ready)) {
            p.destroyForcibly();
            throw new IllegalStateException("the host did not open its database: " + ready + "\n" + Files.readString(log));
        }
        return host;
    }

    /** Writes {@code count} keys; returns the sequence number after them. */
    public long write(String prefix, int count) throws IOException {
        long seq = command("write " + prefix + " " + count);
        written.putAll(expected(prefix, count));
        return seq;
    }

    /** Everything written so far, as the database holds it now (text keys and values). */
    public Map<String, String> written() {
        return new TreeMap<>(written);
    }

    /** Makes a checkpoint at {@code dir} (which must not exist); returns the sequence number it holds. */
    public long checkpoint(Path dir) throws IOException {
        return command("checkpoint " + dir);
    }

    /** What {@code write(prefix, count)} writes, for comparing with a restored copy. */
    public static Map<String, String> expected(String prefix, int count) {
        Map<String, String> m = new TreeMap<>();
        for (int i = 0; i < count; i++) {
            m.put(key(prefix, i), prefix + "-" + i);
        }
        return m;
    }

    private static String key(String prefix, int i) {
        return prefix + String.format("%06d", i);
    }

    private long command(String line) throws IOException {
        in.println(line);
        String answer = out.readLine();
        if (answer == null || !answer.startsWith("ok ")) {
            throw new IllegalStateException("host answered '" + answer + "' to '" + line + "'");
        }
        return Long.parseLong(answer.substring(3).trim());
    }

    public boolean alive() {
        return process.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            in.println("quit");
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    public static void main(String[] args) throws Exception {
        RocksDB.loadLibrary();
        PrintWriter answers = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        try (Options o = new Options().setCreateIfMissing(true); RocksDB db = RocksDB.open(o, args[0]);
                WriteOptions wo = new WriteOptions()) {
            answers.println("open");
            BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line = commands.readLine(); line != null && !line.equals("quit"); line = commands.readLine()) {
                String[] w = line.split(" ", 3);
                try {
                    switch (w[0]) {
                        case "write" -> {
                            try (WriteBatch batch = new WriteBatch()) {
                                for (int i = 0; i < Integer.parseInt(w[2]); i++) {
                                    batch.put(key(w[1], i).getBytes(StandardCharsets.UTF_8),
                                            (w[1] + "-" + i).getBytes(StandardCharsets.UTF_8));
                                }
                                db.write(wo, batch);
                            }
                        }
                        case "checkpoint" -> {
                            try (Checkpoint cp = Checkpoint.create(db)) {
                                cp.createCheckpoint(w[1]);
                            }
                        }
                        default -> throw new IllegalArgumentException("unknown command " + w[0]);
                    }
                    answers.println("ok " + db.getLatestSequenceNumber());
                } catch (Exception e) {
                    answers.println("error " + String.valueOf(e.getMessage()).replace('\n', ' '));
                }
            }
        }
    }
}
