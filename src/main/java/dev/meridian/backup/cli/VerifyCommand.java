package dev.meridian.backup.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.meridian.backup.model.BackupId;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "verify", description = "Re-read every object of a backup and check sizes and Blake3 hashes (--deep: "
        + "also RocksDB's block checksums of every SST). Exit code 3 if any file is bad.")
final class VerifyCommand extends RepositoryVerb {
    @Parameters(paramLabel = "BACKUP_ID")
    String id;

    @Option(names = "--threads", defaultValue = "2", description = "Hashing threads with --repo (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--deep", description = "Also check every SST against RocksDB's block checksums: each is written "
            + "to a temporary file and read again (slower; needs free space for one SST per thread).")
    boolean deep;

    @Override
    public Integer call() throws Exception {
        BackupId backupId = BackupId.parse(id);
        Output.Meter meter = new Output.Meter("verify " + backupId);
        JsonNode r;
        if (offline()) {
            if (threads < 1 || threads > 64) {
                throw new CliException(CliException.USAGE, "--threads must be 1..64");
            }
            r = DirectRepository.verify(repo, backupId, threads, deep, meter);
        } else {
            r = client.api().postWithProgress("/api/v1/backups/" + backupId.value() + "/verify", deep ? Map.of("deep", true) : Map.of(),
                    meter::progress);
        }
        meter.done();
        boolean valid = r.path("valid").asBoolean();
        if (client.json) {
            Output.json(out, r);
        } else {
            out.println((valid ? "OK      " : "FAILED  ") + backupId + ": " + r.path("files_checked").asInt() + " files, "
                    + Output.size(r.path("bytes_checked").asLong()) + " checked" + (deep ? " (deep)" : "") + " in "
                    + Output.duration(r.path("duration_ms").asLong()));
            for (JsonNode e : r.path("errors")) {
                out.println("  bad file " + e.path("file").asText() + " (object " + e.path("object").asText() + "): "
                        + e.path("problem").asText());
            }
        }
        return valid ? 0 : CliException.VERIFICATION_FAILED;
    }
}
