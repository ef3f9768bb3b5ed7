package dev.meridian.backup.operation;

import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.CatalogQuery;
import dev.meridian.backup.model.Validation;
import java.util.List;

/**
 * The argument records of {@link Operations}, each built by one {@code of(...)} that validates what a gateway read
 * from the wire (a JSON body and path, or an MCP call's arguments) and throws an invalid_argument
 * {@link BackupException} naming the field. Database names are checked against the configuration when the
 * operation runs. Defaults live here, once: a backup is manual, a restore takes a safety backup, a page holds 50.
 */
public final class Arguments {
    private Arguments() {}

    public static final int DEFAULT_LIMIT = 50;
    public static final int MAX_LIMIT = 1000;

    /**
     * A backup to take.
     *
     * @param database null for "the only configured one"
     * @param schemaVersion required for {@link BackupType#PRE_MIGRATION}: the schema the data is in before the migration
     * @param checkpointDir a RocksDB checkpoint handed over by the application that owns the database (absolute),
     *                      ingested instead of a checkpoint Meridian takes; null for none
     * @param removeCheckpoint remove {@code checkpointDir} once the backup is published
     */
    public record Create(String database, BackupType type, String description, List<String> tags, String schemaVersion,
            boolean waitForVerify, java.nio.file.Path checkpointDir, boolean removeCheckpoint) {
        public Create {
            tags = List.copyOf(tags);
        }

        /** A backup from a checkpoint Meridian takes itself. */
        public Create(String database, BackupType type, String description, List<String> tags, String schemaVersion,
                boolean waitForVerify) {
            this(database, type, description, tags, schemaVersion, waitForVerify, null, false);
        }

        /**
         * {@link #of(String, String, String, List, String, Boolean)} with a handed-over checkpoint.
         *
         * @param checkpointDir an absolute path, or null
         * @param removeCheckpoint true only with a checkpointDir
         * @throws BackupException invalid_argument for a relative or malformed path, or remove_checkpoint without one
         */
        public static Create of(String database, String type, String description, List<String> tags, String schemaVersion,
                Boolean waitForVerify, String checkpointDir, Boolean removeCheckpoint) {
            Create c = of(database, type, description, tags, schemaVersion, waitForVerify);
            boolean remove = Boolean.TRUE.equals(removeCheckpoint);
            if (checkpointDir == null) {
                if (remove) {
                    throw BackupException.invalid("remove_checkpoint needs checkpoint_dir: it removes a checkpoint the"
                            + " application handed over, never one Meridian takes");
                }
                return c;
            }
            return new Create(c.database(), c.type(), c.description(), c.tags(), c.schemaVersion(), c.waitForVerify(),
                    checkpointPath(checkpointDir), remove);
        }

        /** An absolute, normalized path of at most 4096 characters, without NUL or control characters. */
        private static java.nio.file.Path checkpointPath(String raw) {
            if (raw.isEmpty() || raw.length() > 4096 || raw.chars().anyMatch(ch -> ch < 0x20)) {
                throw BackupException.invalid("checkpoint_dir '" + Validation.printable(raw) + "' is not a usable path;"
                        + " give the absolute path of the checkpoint directory (1-4096 characters, no control characters)");
            }
            java.nio.file.Path p;
            try {
                p = java.nio.file.Path.of(raw);
            } catch (java.nio.file.InvalidPathException e) {
                throw BackupException.invalid("checkpoint_dir '" + Validation.printable(raw) + "' is not a valid path: "
                        + e.getReason());
            }
            if (!p.isAbsolute()) {
                throw BackupException.invalid("checkpoint_dir '" + Validation.printable(raw) + "' is relative; give the"
                        + " absolute path of the checkpoint directory, under the database's checkpoint roots");
            }
            return p.normalize();
        }

        /** @param type a backup type's wire name, or null for manual */
        public static Create of(String database, String type, String description, List<String> tags, String schemaVersion,
                Boolean waitForVerify) {
            BackupType t = type == null ? BackupType.MANUAL : BackupType.parse(type);
            String schema = Validation.schemaVersion(schemaVersion);
            if (t == BackupType.PRE_MIGRATION && schema == null) {
                throw BackupException.invalid("a pre_migration backup needs schema_version (the schema it was taken before)");
            }
            return new Create(database, t, Validation.description(description), Validation.tags(tags), schema,
                    Boolean.TRUE.equals(waitForVerify));
        }
    }

    /** A query for backups, newest first: any filter may be null; {@code after} continues a previous page. */
    public record ListQuery(String database, BackupType type, String tag, int limit, BackupId after) {
        /** @param cursor the {@code next_cursor} of the previous page, unchanged */
        public static ListQuery of(String database, String type, String tag, Integer limit, String cursor) {
            return new ListQuery(database == null ? null : Validation.databaseName(database),
                    type == null ? null : BackupType.parse(type), tag == null ? null : Validation.tag(tag),
                    Validation.limit(limit, DEFAULT_LIMIT, MAX_LIMIT), Cursors.decode(cursor));
        }

        /** A limit written as text (a query parameter): null for the default, else a number 1..1000. */
        public static Integer limit(String raw) {
            if (raw == null) {
                return null;
            }
            try {
                return Integer.parseInt(raw);
            } catch (NumberFormatException e) {
                throw BackupException.invalid("limit '" + Validation.printable(raw) + "' is not a number; use 1.." + MAX_LIMIT);
            }
        }

        public CatalogQuery catalogQuery() {
            return new CatalogQuery(database, type, tag, limit, after);
        }
    }

    public record Verify(BackupId backupId, boolean deep) {
        public static Verify of(String backupId, Boolean deep) {
            return new Verify(BackupId.parse(backupId), Boolean.TRUE.equals(deep));
        }
    }

    /**
     * A restore.
     *
     * @param target null or empty: replace the live database the backup came from; else a configured database's path
     *               or a new directory under a restore root
     * @param createSafetyBackup back up the current state first (the default)
     */
    public record Restore(BackupId backupId, String target, boolean createSafetyBackup) {
        public static Restore of(String backupId, String target, Boolean createSafetyBackup) {
            return new Restore(BackupId.parse(backupId), target, createSafetyBackup == null || createSafetyBackup);
        }
    }

    /** Applying a database's retention policy; {@code dryRun} only reports what would be deleted. */
    public record Retention(String database, boolean dryRun) {
        public static Retention of(String database, Boolean dryRun) {
            return new Retention(database, Boolean.TRUE.equals(dryRun));
        }
    }
}
