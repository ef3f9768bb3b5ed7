package dev.meridian.backup;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.cli.Main;
import dev.meridian.backup.model.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * One CLI invocation in this JVM ({@link Main#run}), with what it printed: its exit code, stdout and stderr (UTF-8).
 * System.out and System.err are process-wide, so invocations are serialized on this class, across test classes.
 */
public record CliRun(int code, String out, String err) {
    /** Runs {@code args} as {@code bin/meridian-backup} would, capturing its output. */
    public static synchronized CliRun of(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new CliRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** stdout parsed as JSON (after --json). */
    public JsonNode json() throws Exception {
        return Json.MAPPER.readTree(out);
    }
}
