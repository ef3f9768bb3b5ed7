package dev.meridian.backup.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.model.BackupId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "delete", description = "Delete a backup (its manifest now; objects no other backup uses at the next collection).")
final class DeleteCommand extends ServerVerb {
    @Parameters(paramLabel = "BACKUP_ID")
    String id;

    @Option(names = {"-y", "--yes"}, description = "Do not ask for confirmation.")
    boolean yes;

    @Override
    public Integer call() {
        requireServer("delete needs the server; --repo is read-only");
        BackupId backupId = BackupId.parse(id);
        confirm(yes, "delete backup " + backupId);
        JsonNode r = client.api().delete("/api/v1/backups/" + backupId.value());
        if (client.json) {
            Output.json(out, r);
        } else {
            out.println("Deleted backup " + backupId + " of " + r.path("database").asText());
        }
        return 0;
    }
}
