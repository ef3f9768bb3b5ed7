package dev.meridian.backup;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.cli.Main;
import dev.meridian.backup.model.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * One CLI invocation in this JVM ({@link Main#run}), with what it printed: its exit code, stdout and stderr (UTF-8).
 * System.out and System.err are process-wide, so invocations are serialized on this class, across test classes.
 *
 * <p>Log lines (conf/logback.xml's pattern) that reach System.err while the verb runs are kept apart in {@code log}:
 * they may come from any server or job in this JVM (a background verification of another test's backup logs at
 * random moments), so {@code err} holds only what the verb itself printed. A log event's stack trace lines go with it;
 * conf/logback-json.xml's lines are recognized too. Logback writes each event in one call and
 * {@code println} is one call, so lines never interleave mid-line.
 */
public record CliRun(int code, String out, String err, String log) {
    private static final Pattern LOG_LINE =
            Pattern.compile("^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z (TRACE|DEBUG|INFO |WARN |ERROR) ");
    /** conf/logback-json.xml's lines (logback's JsonEncoder). */
    private static final Pattern JSON_LOG_LINE = Pattern.compile("^\\{\"timestamp\":");
    private static final Pattern CONTINUATION = Pattern.compile("^(\\s+at |\\s+\\.\\.\\. \\d+ more|Caused by: |\\s+Suppressed: )");

    /** The text with the one newline the split added back at its end removed. */
    private static String strip(StringBuilder text) {
        return text.length() == 0 ? "" : text.substring(0, text.length() - 1);
    }

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
            StringBuilder printed = new StringBuilder();
            StringBuilder logged = new StringBuilder();
            boolean inLogEvent = false;
            for (String line : err.toString(StandardCharsets.UTF_8).split("\n", -1)) {
                // A log event: its first line, then its stack trace's lines ("\tat ...", "Caused by: ...").
                inLogEvent = LOG_LINE.matcher(line).find() || JSON_LOG_LINE.matcher(line).find()
                        || inLogEvent && CONTINUATION.matcher(line).find();
                (inLogEvent ? logged : printed).append(line).append('\n');
            }
            return new CliRun(code, out.toString(StandardCharsets.UTF_8), strip(printed), strip(logged));
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
