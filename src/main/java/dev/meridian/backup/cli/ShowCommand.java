package dev.meridian.backup.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.model.BackupId;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "show", description = "Show one backup; --files lists its files from the manifest.")
final class ShowCommand extends RepositoryVerb {
    @Parameters(paramLabel = "BACKUP_ID")
    String id;

    @Option(names = "--files", description = "Also list the backup's files (name, size, blake3).")
    boolean files;

    @Override
    public Integer call() throws Exception {
        BackupId backupId = BackupId.parse(id);
        JsonNode b;
        JsonNode manifest = null;
        if (offline()) {
            JsonNode[] shown = DirectRepository.show(repo, backupId, files);
            b = shown[0];
            manifest = shown[1];
        } else {
            b = client.api().get("/api/v1/backups/" + backupId.value());
            if (files) {
                manifest = client.api().get("/api/v1/backups/" + backupId.value() + "/manifest");
            }
        }
        if (client.json) {
            Output.json(out, manifest != null ? manifest : b);
            return 0;
        }
        printBackup(b);
        if (manifest != null) {
            out.println();
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode f : manifest.path("files")) {
                rows.add(List.of(f.path("name").asText(), Output.size(f.path("size").asLong()), f.path("blake3").asText()));
            }
            Output.table(out, List.of("FILE", "SIZE", "BLAKE3"), rows);
        }
        return 0;
    }
}
