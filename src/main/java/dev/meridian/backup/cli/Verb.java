package dev.meridian.backup.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.model.Json;
import java.io.Console;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;

/** What the client verbs share: where to send work, how to print, how to confirm. */
abstract class Verb implements Callable<Integer> {
    @Mixin
    ClientOptions client;

    final PrintStream out = System.out;

    /** This verb's --repo options, or null for a verb that needs the server. */
    RepositoryOptions repository() {
        return null;
    }

    boolean offline() {
        boolean offline = repository() != null && repository().repo != null;
        if (offline) {
            client.refuseConfigWithRepository();
        }
        return offline;
    }

    static JsonNode tree(Object value) {
        return Json.MAPPER.valueToTree(value);
    }

    static void confirm(boolean yes, String question) {
        if (yes) {
            return;
        }
        Console console = System.console();
        if (console == null) {
            throw new CliException(CliException.USAGE, "refusing to " + question + " without confirmation; pass --yes");
        }
        String answer = console.readLine("%s? [y/N] ", Character.toUpperCase(question.charAt(0)) + question.substring(1));
        if (answer == null || !(answer.trim().equalsIgnoreCase("y") || answer.trim().equalsIgnoreCase("yes"))) {
            throw new CliException(CliException.FAILURE, "aborted; nothing was changed");
        }
    }

    /** Prints one backup's metadata as aligned fields. */
    void printBackup(JsonNode b) {
        List<String[]> kv = new ArrayList<>();
        kv.add(new String[] {"backup", Output.text(b.get("backup_id"))});
        kv.add(new String[] {"database", Output.text(b.get("database"))});
        kv.add(new String[] {"type", Output.text(b.get("type"))});
        kv.add(new String[] {"description", Output.text(b.get("description"))});
        kv.add(new String[] {"tags", b.path("tags").size() == 0 ? "-" : String.join(", ", strings(b.path("tags")))});
        kv.add(new String[] {"created", Output.text(b.get("created_at"))});
        kv.add(new String[] {"completed", Output.text(b.get("completed_at"))});
        kv.add(new String[] {"queued", Output.duration(b.path("queued_ms").asLong())});
        kv.add(new String[] {"duration", Output.duration(b.path("duration_ms").asLong())});
        kv.add(new String[] {"size", Output.size(b.get("size_bytes"))});
        kv.add(new String[] {"new in repository", Output.size(b.get("stored_bytes"))});
        kv.add(new String[] {"files", Output.text(b.get("file_count"))});
        kv.add(new String[] {"sequence number", Output.text(b.get("sequence_number"))});
        kv.add(new String[] {"schema version", Output.text(b.get("schema_version"))});
        kv.add(new String[] {"parent", Output.text(b.get("parent"))});
        kv.add(new String[] {"verified", verified(b.get("verified"))});
        Output.fields(out, kv);
    }

    static String verified(JsonNode v) {
        if (v == null || v.isNull() || v.isMissingNode()) {
            return "not yet";
        }
        return v.asBoolean() ? "yes" : "FAILED";
    }

    static List<String> strings(JsonNode array) {
        List<String> s = new ArrayList<>();
        array.forEach(n -> s.add(n.asText()));
        return s;
    }

    /** The database to use: the one given, or the server's only one. */
    String databaseOrOnly(String given) {
        if (given != null) {
            return given;
        }
        JsonNode dbs = client.api().get("/api/v1/databases").path("databases");
        if (dbs.size() == 1) {
            return dbs.get(0).path("name").asText();
        }
        List<String> names = new ArrayList<>();
        dbs.forEach(d -> names.add(d.path("name").asText()));
        names.sort(null); // the server lists them in the order their actors answered
        throw new CliException(CliException.USAGE, "several databases are configured (" + String.join(", ", names)
                + "); name one with --database DB");
    }
}
