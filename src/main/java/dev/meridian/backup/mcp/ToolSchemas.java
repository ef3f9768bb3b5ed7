package dev.meridian.backup.mcp;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.CatalogStats;
import java.util.regex.Pattern;

/**
 * JSON Schema (2020-12) pieces for tool inputs and outputs. The output schemas describe the JSON that
 * {@code Json.MAPPER} writes for the model records (snake_case, ISO timestamps, nulls written out).
 */
final class ToolSchemas {
    private ToolSchemas() {}

    static ObjectNode type(String type, String description) {
        ObjectNode s = JsonRpc.NODES.objectNode();
        s.put("type", type);
        if (description != null) {
            s.put("description", description);
        }
        return s;
    }

    static ObjectNode string(String description) {
        return type("string", description);
    }

    static ObjectNode integer(String description) {
        return type("integer", description);
    }

    /** The same schema, also allowing JSON null (fields the model leaves empty). */
    static ObjectNode nullable(ObjectNode schema) {
        ObjectNode s = schema.deepCopy();
        String t = s.get("type").asText();
        s.putArray("type").add(t).add("null");
        return s;
    }

    static ObjectNode arrayOf(ObjectNode items, String description) {
        ObjectNode s = type("array", description);
        s.set("items", items);
        return s;
    }

    /** An object whose keys are free (type names, database names) and whose values all follow {@code values}. */
    static ObjectNode mapOf(ObjectNode values, String description) {
        ObjectNode s = type("object", description);
        s.set("additionalProperties", values);
        return s;
    }

    /** An object with the given properties; {@code required} names the ones always present. */
    static ObjectNode object(ObjectNode properties, String... required) {
        ObjectNode s = JsonRpc.NODES.objectNode();
        s.put("type", "object");
        s.set("properties", properties);
        ArrayNode r = s.putArray("required");
        for (String name : required) {
            r.add(name);
        }
        return s;
    }

    static ObjectNode props() {
        return JsonRpc.NODES.objectNode();
    }

    /** A Java regex used with matches() becomes an anchored JSON Schema pattern. */
    static String anchored(Pattern p) {
        return "^(?:" + p.pattern() + ")$";
    }

    static ObjectNode backupId(String description) {
        return string(description).put("pattern", anchored(BackupId.FORMAT));
    }

    static ObjectNode backupType(String description) {
        ObjectNode s = string(description);
        ArrayNode e = s.putArray("enum");
        for (BackupType t : BackupType.values()) {
            e.add(t.wireName());
        }
        return s;
    }

    static ObjectNode timestamp(String description) {
        return string(description).put("format", "date-time");
    }

    /** A backup's metadata ({@code BackupSummary}): what create returns and what list pages hold. */
    static ObjectNode backup() {
        ObjectNode p = props();
        p.set("backup_id", backupId("The backup's id; pass it to verify, restore or delete."));
        p.set("database", string("The database it is a backup of."));
        p.set("type", backupType("manual, scheduled, pre_migration or incremental."));
        p.set("description", nullable(string("Free text given at creation.")));
        p.set("tags", arrayOf(string(null), "Tags given at creation."));
        p.set("created_at", timestamp("When the backup started (UTC)."));
        p.set("completed_at", timestamp("When it was published (UTC)."));
        p.set("queued_ms", integer("Time it waited behind other operations on the database."));
        p.set("duration_ms", integer("Time the backup itself took."));
        p.set("size_bytes", integer("Logical size: the database files it holds."));
        p.set("stored_bytes", integer("Bytes newly written to the repository (unchanged files are shared with earlier backups)."));
        p.set("file_count", integer("Number of database files in the backup."));
        p.set("sequence_number", integer("RocksDB sequence number at the checkpoint."));
        p.set("schema_version", nullable(string("Schema version recorded by a pre_migration backup.")));
        p.set("parent", nullable(backupId("Previous backup an incremental one builds on.")));
        p.set("verified", nullable(type("boolean", "null until verified; then whether every file checked out.")));
        p.set("migration", migration());
        return object(p, "backup_id", "database", "type", "tags", "created_at", "completed_at", "size_bytes",
                "stored_bytes", "file_count", "verified");
    }

    /** A pre_migration backup's migration attempt ({@code MigrationRecord}), present only when one was recorded. */
    private static ObjectNode migration() {
        ObjectNode m = props();
        m.set("backup_id", backupId("The pre_migration backup taken before the migration."));
        m.set("database", string("The database migrated."));
        m.set("schema_version_to", string("The schema version the migration was to reach."));
        m.set("outcome", string("applied, rolled_back (the database was restored to this backup) or rollback_failed "
                + "(an operator must act; rollback says what)."));
        m.set("error", nullable(string("Why the migration failed; null when applied.")));
        m.set("rollback", nullable(string("What the rollback did, or why it failed; null when applied.")));
        m.set("at", timestamp("When the outcome was known (UTC)."));
        ObjectNode s = object(m, "schema_version_to", "outcome", "at");
        s.put("description", "The migration run after this pre_migration backup (embedding API); absent otherwise.");
        return s;
    }

    /** Totals over a group of backups ({@code CatalogStats.Totals}). */
    static ObjectNode totals() {
        ObjectNode p = props();
        p.set("backups", integer("Number of backups."));
        p.set("size_bytes", integer("Logical bytes: what restoring all of them would write."));
        p.set("stored_bytes", integer("Bytes they added to the repository."));
        p.set("dedup_ratio", nullable(type("number", "Logical bytes per byte stored; null when nothing is stored.")));
        p.set("oldest", nullable(timestamp("Completion time of the oldest backup.")));
        p.set("newest", nullable(timestamp("Completion time of the newest backup.")));
        p.set("last_backup_age_seconds", nullable(integer("Seconds since the newest backup completed.")));
        return object(p, "backups", "size_bytes", "stored_bytes");
    }
}
