package dev.meridian.backup.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "create", description = "Back up a database now (--database DB; optional when only one is configured).")
final class CreateCommand extends ServerVerb {
    /** The database to back up; optional when only one is configured. */
    @Mixin
    DatabaseArgument database = new DatabaseArgument();

    @Option(names = "--type", defaultValue = "manual", description = "manual, scheduled, pre_migration or incremental (default: ${DEFAULT-VALUE}).")
    String type;

    @Option(names = {"-m", "--description"}, description = "Free text shown in listings.")
    String description;

    @Option(names = "--tag", paramLabel = "TAG", description = "A tag; repeat for several.")
    List<String> tags;

    @Option(names = "--schema-version", description = "Schema version a pre_migration backup is taken before.")
    String schemaVersion;

    @Option(names = "--wait-verify", description = "Wait until the new backup is verified and report the outcome.")
    boolean waitVerify;

    @Option(names = "--checkpoint", paramLabel = "DIR", description = {"Ingest this RocksDB checkpoint, written by the"
            + " application that owns the database (owner = application), instead of taking one. DIR must lie under"
            + " the database's checkpoint-roots; a relative DIR is taken from the current directory."})
    java.nio.file.Path checkpoint;

    @Option(names = "--remove-checkpoint", description = "Remove the --checkpoint directory once the backup is published.")
    boolean removeCheckpoint;

    @Override
    public Integer call() {
        requireServer("create needs the server (it owns the database)");
        String db = databaseOrOnly(database.name());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", type);
        body.put("description", description);
        body.put("tags", tags);
        body.put("schema_version", schemaVersion);
        body.put("wait_for_verify", waitVerify);
        if (removeCheckpoint && checkpoint == null) {
            throw new CliException(CliException.USAGE, "--remove-checkpoint needs --checkpoint DIR");
        }
        body.put("checkpoint_dir", checkpoint == null ? null : checkpoint.toAbsolutePath().normalize().toString());
        body.put("remove_checkpoint", removeCheckpoint ? Boolean.TRUE : null);
        body.values().removeIf(v -> v == null);
        Output.Meter meter = new Output.Meter("backup " + db);
        JsonNode b = client.api().postWithProgress("/api/v1/databases/" + ApiClient.segment(db) + "/backups", body, meter::progress);
        meter.done();
        if (client.json) {
            Output.json(out, b);
        } else {
            out.println("Created backup " + b.path("backup_id").asText() + " of " + db);
            printBackup(b);
        }
        return b.path("verified").isBoolean() && !b.path("verified").asBoolean() ? CliException.VERIFICATION_FAILED : 0;
    }
}
