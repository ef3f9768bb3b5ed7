package dev.meridian.backup.operation;

import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.CatalogPage;
import java.time.Instant;
import java.util.List;

/** JSON shapes of REST and MCP answers that are not plain model records (field names in snake_case on the wire). */
public final class Views {
    private Views() {}

    /**
     * One configured database: its live status, its schedule ("off", or the schedule's spec), how many backups it
     * has and the newest of them (null when none), and who owns it ("meridian", or "application": its own process
     * holds it open and hands over checkpoints; its state is then "application" while idle).
     */
    public record DatabaseView(String name, String path, String state, String currentOperation, int queued,
            int queueCapacity, Long sequenceNumber, Long estimatedKeys, Long liveSstBytes, Instant statsAt, String error,
            String schedule, int backupCount, BackupSummary lastBackup, String owner) {}

    public record DatabaseList(List<DatabaseView> databases) {}

    /** One page of backups, newest first; {@code nextCursor} is null on the last page. */
    public record BackupPage(List<BackupSummary> backups, int totalCount, String nextCursor) {}

    /** What a scheduled backup did: the backup taken, and what retention then deleted and kept. */
    public record ScheduledOutcome(BackupSummary backup, RetentionOutcome retention) {}

    public record RetentionOutcome(List<dev.meridian.backup.model.BackupId> deleted, List<dev.meridian.backup.model.BackupId> kept) {}

    /** The body of every error answer: {@code {"error": {"code": "<ErrorCode wire name>", "message": "..."}}}. */
    public record ErrorBody(Error error) {}

    public record Error(String code, String message) {}

    /** What the engine (or a repository read directly) answers for a page, with its continuation as a cursor. */
    public static BackupPage page(CatalogPage p) {
        return new BackupPage(p.backups(), p.totalCount(), p.nextAfter() == null ? null : Cursors.encode(p.nextAfter()));
    }
}
