package dev.meridian.backup.mcp;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * What a destructive tool call would do, computed from the catalog and the live databases before anything changes:
 * shown to the client under {@code meridian.mcp.destructive = confirm}, and the thing a confirmation is bound to.
 *
 * @param tool      the dotted tool name, e.g. {@code backup.restore}
 * @param action    {@code restore_in_place} (replace the database the backup came from), {@code replace_database}
 *                  (restore into another configured database), {@code delete_backup} or {@code scheduled_backup_and_retention}
 * @param database  the database whose live data is replaced, or whose backups are deleted
 * @param backupIds the backups involved (restored, deleted, or predicted to be deleted), sorted
 * @param target    the restore target as the call gave it; null for the live database and for other tools
 * @param digest    hex SHA-256 over what the plan was computed from (see {@link DestructivePolicy})
 * @param bytes     bytes involved: written into the database plus read by its safety backup, or the logical size
 *                  of the backups deleted
 * @param details   the plan's JSON for the client (snake_case fields, sizes in bytes, times UTC ISO-8601)
 * @param summary   one paragraph saying the same in words, shown to a person by elicitation and as the result's text
 */
record DestructivePlan(String tool, String action, String database, List<String> backupIds, String target, String digest,
        long bytes, ObjectNode details, String summary) {
    DestructivePlan {
        backupIds = List.copyOf(backupIds);
    }

    ConfirmationTokens.Binding binding(String principal) {
        return new ConfirmationTokens.Binding(tool, database, backupIds, target, digest, principal);
    }
}
