package dev.meridian.backup.model;

import dev.meridian.backup.model.BackupType;
import java.nio.file.Path;
import java.util.List;

/**
 * A validated request for one backup. {@code requestId} lets the caller cancel it or follow its progress.
 *
 * @param checkpointDir    a RocksDB checkpoint the owning application handed over, to ingest instead of taking
 *                         one (absolute; checked against the database's checkpoint roots when the backup runs), or
 *                         null for a checkpoint Meridian takes itself
 * @param removeCheckpoint remove {@code checkpointDir} once the backup is published (never when it fails)
 */
public record BackupRequest(String requestId, BackupType type, String description, List<String> tags,
        String schemaVersion, boolean waitForVerify, Path checkpointDir, boolean removeCheckpoint) {
    public BackupRequest {
        tags = List.copyOf(tags);
        description = description == null ? "" : description;
    }

    /** A backup from a checkpoint Meridian takes itself. */
    public BackupRequest(String requestId, BackupType type, String description, List<String> tags,
            String schemaVersion, boolean waitForVerify) {
        this(requestId, type, description, tags, schemaVersion, waitForVerify, null, false);
    }
}
