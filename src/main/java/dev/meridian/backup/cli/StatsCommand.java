package dev.meridian.backup.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "stats", description = "Totals by database and type, logical vs stored bytes, dedup ratio, backup ages (--database DB: only that database).")
final class StatsCommand extends RepositoryVerb {
    @Mixin
    DatabaseArgument database = new DatabaseArgument();

    @Override
    public Integer call() throws Exception {
        JsonNode s;
        String only = database.name();
        if (offline()) {
            s = DirectRepository.stats(repo, only);
        } else {
            s = client.api().get("/api/v1/stats" + ApiClient.query(new java.util.HashMap<>(only == null ? Map.of() : Map.of("database", only))));
        }
        if (client.json) {
            Output.json(out, s);
            return 0;
        }
        List<List<String>> rows = new ArrayList<>();
        for (var db : s.path("by_database").properties()) {
            rows.add(row(db.getKey(), "all", db.getValue().path("total")));
            for (var t : db.getValue().path("by_type").properties()) {
                rows.add(row("", t.getKey(), t.getValue()));
            }
        }
        rows.add(row("TOTAL", "all", s.path("total")));
        Output.table(out, List.of("DATABASE", "TYPE", "BACKUPS", "SIZE", "NEW", "DEDUP", "NEWEST", "AGE"), rows);
        out.println("repository: " + Output.size(s.path("repository_bytes").asLong()) + " in " + s.path("object_count").asInt()
                + " objects" + (s.path("unreadable_manifests").asInt() > 0
                        ? "; WARNING: " + s.path("unreadable_manifests").asInt() + " unreadable manifest(s)" : ""));
        return 0;
    }

    private static List<String> row(String db, String type, JsonNode t) {
        return List.of(db, type, t.path("backups").asText(), Output.size(t.path("size_bytes").asLong()),
                Output.size(t.path("stored_bytes").asLong()),
                t.hasNonNull("dedup_ratio") ? t.path("dedup_ratio").asText() + "x" : "-", Output.text(t.get("newest")),
                t.hasNonNull("last_backup_age_seconds") ? Output.duration(t.path("last_backup_age_seconds").asLong() * 1000) : "-");
    }
}
