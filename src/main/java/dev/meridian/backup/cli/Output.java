package dev.meridian.backup.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.model.Json;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Human output: aligned tables and sizes like 1.2 GiB; machine output: JSON. Progress goes to stderr. */
final class Output {
    private Output() {}

    static void json(PrintStream out, Object value) {
        try {
            out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new CliException(CliException.FAILURE, "output could not be encoded: " + e.getMessage());
        }
    }

    /** {@code count} and the noun in the right number: "1 backup", "3 backups". */
    static String count(long count, String noun) {
        return count + " " + noun + (count == 1 ? "" : "s");
    }

    static String size(long bytes) {
        return dev.meridian.backup.model.IecSize.format(bytes);
    }

    static String size(JsonNode n) {
        return n == null || n.isNull() || n.isMissingNode() ? "-" : size(n.asLong());
    }

    static String text(JsonNode n) {
        return n == null || n.isNull() || n.isMissingNode() || n.asText().isEmpty() ? "-" : n.asText();
    }

    static String duration(long ms) {
        if (ms < 1000) {
            return ms + " ms";
        }
        if (ms < 60_000) {
            return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
        }
        return String.format(Locale.ROOT, "%dm%02ds", ms / 60_000, (ms / 1000) % 60);
    }

    /** Prints rows under a header, each column as wide as its widest cell. */
    static void table(PrintStream out, List<String> header, List<List<String>> rows) {
        int[] width = new int[header.size()];
        List<List<String>> all = new ArrayList<>();
        all.add(header);
        all.addAll(rows);
        for (List<String> r : all) {
            for (int i = 0; i < r.size(); i++) {
                width[i] = Math.max(width[i], r.get(i).length());
            }
        }
        for (List<String> r : all) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.size(); i++) {
                if (i > 0) {
                    line.append("  ");
                }
                line.append(i == r.size() - 1 ? r.get(i) : String.format("%-" + width[i] + "s", r.get(i)));
            }
            out.println(line.toString().stripTrailing());
        }
    }

    /** "key  value" lines, aligned. */
    static void fields(PrintStream out, List<String[]> kv) {
        int w = kv.stream().mapToInt(p -> p[0].length()).max().orElse(0);
        for (String[] p : kv) {
            out.println(String.format("%-" + w + "s  %s", p[0], p[1]));
        }
    }

    /** A one-line progress meter on stderr, redrawn in place; only when a terminal is attached. */
    static final class Meter {
        private final String label;
        private final boolean enabled = System.console() != null;
        private long lastDraw;

        Meter(String label) {
            this.label = label;
        }

        void update(long done, long total, String step) {
            if (!enabled) {
                return;
            }
            long now = System.currentTimeMillis();
            if (now - lastDraw < 100 && step == null) {
                return;
            }
            lastDraw = now;
            String pct = total > 0 ? String.format(Locale.ROOT, "%3d%%", Math.min(100, done * 100 / total)) : "    ";
            System.err.print("\r" + label + " " + pct + "  " + size(done) + " / " + size(total)
                    + (step == null ? "" : "  " + step) + "\u001b[K");
            System.err.flush();
        }

        void progress(JsonNode event) {
            update(event.path("done").asLong(), event.path("total").asLong(),
                    event.path("message").isNull() ? null : event.path("message").asText(null));
        }

        void done() {
            if (enabled) {
                System.err.print("\r\u001b[K");
                System.err.flush();
            }
        }
    }
}
