package dev.meridian.backup.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "retention", description = "Apply a database's retention policies now (--database DB; optional when only one is configured; see --dry-run).")
final class RetentionCommand extends ServerVerb {
    @Mixin
    DatabaseArgument database = new DatabaseArgument();

    @Option(names = "--dry-run", description = "Only report what would be deleted.")
    boolean dryRun;

    @Option(names = {"-y", "--yes"}, description = "Do not ask for confirmation.")
    boolean yes;

    @Override
    public Integer call() {
        requireServer("retention needs the server; --repo is read-only");
        String db = databaseOrOnly(database.name());
        if (!dryRun) {
            confirm(yes, "delete the backups of " + db + " that its retention policies do not keep");
        }
        JsonNode r = client.api().post("/api/v1/databases/" + ApiClient.segment(db) + "/retention/apply", Map.of("dry_run", dryRun));
        if (client.json) {
            Output.json(out, r);
            return 0;
        }
        out.println((dryRun ? "Would delete " : "Deleted ") + r.path("deleted").size() + " backup(s) of " + db + ", kept "
                + r.path("kept").size());
        for (JsonNode id : r.path("deleted")) {
            out.println("  " + (dryRun ? "would delete " : "deleted ") + id.asText());
        }
        if (dryRun) { // why each backup stays: the rules that keep it
            for (JsonNode id : r.path("kept")) {
                List<String> why = new ArrayList<>();
                r.path("reasons").path(id.asText()).forEach(reason -> why.add(reason.asText()));
                out.println("  would keep " + id.asText() + (why.isEmpty() ? "" : "  (" + String.join(", ", why) + ")"));
            }
        }
        return 0;
    }
}
