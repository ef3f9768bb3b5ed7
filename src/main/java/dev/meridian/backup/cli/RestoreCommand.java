package dev.meridian.backup.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.model.BackupId;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "restore", description = {
        "Restore a backup. Without --target it replaces its database (after a safety backup, unless --no-safety-backup).",
        "With --target DIR it writes a copy into a new directory (under a restore root on the server; anywhere with --repo)."})
final class RestoreCommand extends RepositoryVerb {
    @Parameters(paramLabel = "BACKUP_ID")
    String id;

    @Option(names = "--target", paramLabel = "DIR", description = "Restore into this new or empty directory instead of the database.")
    Path target;

    @Option(names = "--no-safety-backup", description = "Do not back up the current database before replacing it.")
    boolean noSafetyBackup;

    @Option(names = {"-y", "--yes"}, description = "Do not ask for confirmation.")
    boolean yes;

    @Override
    public Integer call() throws Exception {
        BackupId backupId = BackupId.parse(id);
        Output.Meter meter = new Output.Meter("restore " + backupId);
        if (offline()) {
            if (target == null) {
                throw new CliException(CliException.USAGE, "with --repo, restore needs --target DIR (the live database belongs to the server)");
            }
            JsonNode r = DirectRepository.restore(repo, backupId, target.toAbsolutePath().normalize(), meter);
            meter.done();
            print(r);
            return 0;
        }
        String where = target == null ? "its database (the current state is replaced)" : target.toAbsolutePath().normalize().toString();
        confirm(yes, "restore backup " + backupId + " into " + where);
        Map<String, Object> body = new LinkedHashMap<>();
        if (target != null) {
            body.put("target", target.toAbsolutePath().normalize().toString());
        }
        body.put("create_safety_backup", !noSafetyBackup);
        JsonNode r = client.api().postWithProgress("/api/v1/backups/" + backupId.value() + "/restore", body, meter::progress);
        meter.done();
        print(r);
        return 0;
    }

    private void print(JsonNode r) {
        if (client.json) {
            Output.json(out, r);
            return;
        }
        out.println("Restored backup " + r.path("backup_id").asText() + " of " + r.path("database").asText() + " into "
                + r.path("target").asText() + " in " + Output.duration(r.path("duration_ms").asLong()));
        if (r.hasNonNull("safety_backup_id")) {
            out.println("Safety backup of the previous state: " + r.path("safety_backup_id").asText());
        }
    }
}
