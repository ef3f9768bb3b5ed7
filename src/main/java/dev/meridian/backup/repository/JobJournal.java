package dev.meridian.backup.repository;

import dev.meridian.backup.model.Json;
import dev.meridian.backup.store.file.DurableFiles;
import dev.meridian.backup.store.file.FileBlobStore;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Work in flight outside the repository (checkpoints, restore staging, a database swap), recorded in
 * {@code job-<id>.json} in the local state directory ({@link StateDirectory#journal()}, never in the repository)
 * before it touches the disk, so a restart can finish or undo it.
 */
public final class JobJournal {
    private static final Logger log = LoggerFactory.getLogger(JobJournal.class);

    /** One job's record. Paths are absolute. {@code phase} says how far a restore got. */
    public record Entry(String jobId, String kind, String database, String backupId, String phase, String live,
            String staging, String old, List<String> scratch) {
        public Entry {
            scratch = scratch == null ? List.of() : List.copyOf(scratch);
        }

        public Entry withPhase(String p) {
            return new Entry(jobId, kind, database, backupId, p, live, staging, old, scratch);
        }
    }

    private final Path dir;

    public JobJournal(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
    }

    public Path directory() {
        return dir;
    }

    /** Writes (or replaces) an entry durably: temp file, fsync, rename, fsync directory. */
    public void write(Entry e) throws IOException {
        write(e, true);
    }

    /**
     * Writes an entry; {@code durable = false} skips the fsyncs, for entries whose loss a crash can afford (a
     * backup's checkpoint is also found by name beside its database).
     */
    public void write(Entry e, boolean durable) throws IOException {
        DurableFiles.write(dir.resolve("job-" + e.jobId() + ".json"),
                Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(e), durable);
    }

    /** Removes a finished job's entry. Not fsynced: if the removal is lost, recovery finds nothing left to do. */
    public void delete(String jobId) throws IOException {
        Files.deleteIfExists(dir.resolve("job-" + jobId + ".json"));
    }

    /** Every entry left by a previous run; unreadable ones are logged and removed (they cannot be acted on). */
    public List<Entry> all() throws IOException {
        List<Entry> out = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*job-*.json*")) {
            for (Path p : files) {
                String name = p.getFileName().toString();
                if (name.startsWith(".")) {
                    Files.deleteIfExists(p);
                    continue;
                }
                try {
                    out.add(Json.MAPPER.readValue(p.toFile(), Entry.class));
                } catch (IOException | RuntimeException ex) {
                    log.error("Journal {} is unreadable and is removed: {}", p, ex.getMessage());
                    Files.deleteIfExists(p);
                }
            }
        }
        return out;
    }
}
