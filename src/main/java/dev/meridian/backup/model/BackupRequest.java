package dev.meridian.backup.model;

import dev.meridian.backup.model.BackupType;
import java.util.List;

/** A validated request for one backup. {@code requestId} lets the caller cancel it or follow its progress. */
public record BackupRequest(String requestId, BackupType type, String description, List<String> tags,
        String schemaVersion, boolean waitForVerify) {
    public BackupRequest {
        tags = List.copyOf(tags);
        description = description == null ? "" : description;
    }
}
