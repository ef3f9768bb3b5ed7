package dev.meridian.backup.model;

/**
 * Which backups to list, newest first: each non-null field narrows the match ({@code type}, a {@code tag} the backup
 * carries, a {@code database}). {@code limit} is the page size (1..1000); {@code after} continues a previous page
 * from the backup after that id (exclusive).
 */
public record CatalogQuery(String database, BackupType type, String tag, int limit, BackupId after) {}
