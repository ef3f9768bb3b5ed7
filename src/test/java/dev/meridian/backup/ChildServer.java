package dev.meridian.backup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The real server as a child JVM (the test's classpath), so tests can kill it with SIGKILL or crash it at a named point. */
public final class ChildServer implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)");
    public final Process process;
    public final Path log;
    public final int port;

    private ChildServer(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.port = port;
    }

    /** Starts {@code serve --config config}; {@code crashAt} names a crash point, or null. Waits until it listens. */
    public static ChildServer start(Path config, String crashAt, Path log) throws Exception {
        return start(config, crashAt, log, List.of());
    }

    /** As {@link #start(Path, String, Path)}, with extra JVM options (such as {@code -Daws.accessKeyId=...}). */
    public static ChildServer start(Path config, String crashAt, Path log, List<String> jvmOptions) throws Exception {
        Process p = launch(config, crashAt, log, jvmOptions);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            String text = Files.exists(log) ? Files.readString(log) : "";
            Matcher m = LISTENING.matcher(text);
            if (m.find()) {
                return new ChildServer(p, log, Integer.parseInt(m.group(1)));
            }
            if (!p.isAlive()) {
                throw new IllegalStateException("server exited with " + p.exitValue() + " before listening:\n" + text);
            }
            Thread.sleep(50);
        }
        p.destroyForcibly();
        throw new IllegalStateException("server did not start listening within 60 s:\n" + Files.readString(log));
    }

    /** Launches {@code serve --config config} as {@link #start} does, without waiting for anything; output goes to {@code log}. */
    public static Process launch(Path config, String crashAt, Path log, List<String> jvmOptions) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx512m");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("--add-modules");
        cmd.add("jdk.incubator.vector");
        cmd.add("-Dmeridian.strict-dispatchers=true");
        if (crashAt != null) {
            cmd.add("-Dmeridian.test.crash-at=" + crashAt);
        }
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("dev.meridian.backup.cli.Main");
        cmd.add("serve");
        cmd.add("--config");
        cmd.add(config.toString());
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    public String url() {
        return "http://127.0.0.1:" + port;
    }

    /** SIGKILL: no shutdown hooks, no flushing. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM: the graceful path (CoordinatedShutdown closes the databases). */
    public void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    public boolean waitForExit(long seconds) throws InterruptedException {
        return process.waitFor(seconds, TimeUnit.SECONDS);
    }

    public String output() throws IOException {
        return Files.readString(log);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
