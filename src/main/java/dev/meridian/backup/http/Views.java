package dev.meridian.backup.http;

import dev.meridian.backup.config.Settings;
import dev.meridian.backup.model.DatabaseStatus;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.repository.Catalog;
import java.time.Instant;
import java.util.List;

/** JSON shapes of REST and MCP answers that are not plain model records. */
public final class Views {
    private Views() {}

    public record DatabaseView(String name, String path, String state, String currentOperation, int queued,
            int queueCapacity, Long sequenceNumber, Long estimatedKeys, Long liveSstBytes, Instant statsAt, String error,
            String schedule, int backupCount, BackupSummary lastBackup) {}

    public record DatabaseList(List<DatabaseView> databases) {}

    public record BackupPage(List<BackupSummary> backups, int totalCount, String nextCursor) {}

    public record ErrorBody(Error error) {}

    public record Error(String code, String message) {}

    public static DatabaseView database(DatabaseStatus s, Settings settings, Catalog catalog) {
        var db = settings.database(s.name());
        List<BackupSummary> backups = catalog.ofDatabase(s.name());
        return new DatabaseView(s.name(), s.path(), s.state(), s.currentOperation(), s.queued(), s.queueCapacity(),
                s.sequenceNumber(), s.estimatedKeys(), s.liveSstBytes(), s.statsAt(), s.error(),
                db.map(d -> d.schedule() == null ? "off" : d.schedule().spec()).orElse(null), backups.size(),
                backups.isEmpty() ? null : backups.get(backups.size() - 1));
    }

    public static BackupPage page(Catalog.Page p) {
        return new BackupPage(p.backups(), p.totalCount(), p.nextAfter() == null ? null : Cursors.encode(p.nextAfter()));
    }
}
