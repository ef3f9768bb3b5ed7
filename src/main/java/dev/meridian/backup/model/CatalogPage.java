package dev.meridian.backup.model;

import java.util.List;

/**
 * One page of a catalog listing, newest first. {@code totalCount} counts every backup the query matches;
 * {@code nextAfter} is the id to pass as {@code after} for the next page, or null on the last page.
 */
public record CatalogPage(List<BackupSummary> backups, int totalCount, BackupId nextAfter) {
    public CatalogPage {
        backups = List.copyOf(backups);
    }
}
