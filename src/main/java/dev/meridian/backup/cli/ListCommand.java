package dev.meridian.backup.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "list", description = "List backups, newest first (--database DB: only that database's).")
final class ListCommand extends RepositoryVerb {
    @Mixin
    DatabaseArgument database = new DatabaseArgument();

    @Option(names = "--type", description = "Only this type.")
    String type;

    @Option(names = "--tag", description = "Only backups with this tag.")
    String tag;

    @Option(names = "--limit", defaultValue = "50", description = "At most this many (1..1000, default ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--cursor", description = "Continue after a previous page (its next_cursor).")
    String cursor;

    @Override
    public Integer call() throws Exception {
        JsonNode page;
        if (offline()) {
            page = DirectRepository.list(repo, database.name(), type, tag, limit, cursor);
        } else {
            Map<String, Object> params = new LinkedHashMap<>();
            params.put("database", database.name());
            params.put("type", type);
            params.put("tag", tag);
            params.put("limit", limit);
            params.put("cursor", cursor);
            page = client.api().get("/api/v1/backups" + ApiClient.query(params));
        }
        if (client.json) {
            Output.json(out, page);
            return 0;
        }
        List<List<String>> rows = new ArrayList<>();
        for (JsonNode b : page.path("backups")) {
            rows.add(List.of(b.path("backup_id").asText(), b.path("database").asText(), b.path("type").asText(),
                    Output.text(b.get("completed_at")), Output.size(b.get("size_bytes")), Output.size(b.get("stored_bytes")),
                    Output.text(b.get("file_count")), verified(b.get("verified")),
                    String.join(",", strings(b.path("tags"))), Output.text(b.get("description"))));
        }
        Output.table(out, List.of("ID", "DATABASE", "TYPE", "COMPLETED", "SIZE", "NEW", "FILES", "VERIFIED", "TAGS", "DESCRIPTION"), rows);
        int total = page.path("total_count").asInt();
        out.println(rows.size() + " of " + total + " backup(s)"
                + (page.hasNonNull("next_cursor") ? "; more with --cursor " + page.path("next_cursor").asText() : ""));
        return 0;
    }
}
