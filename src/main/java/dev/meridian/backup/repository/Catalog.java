package dev.meridian.backup.repository;

import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.CatalogPage;
import dev.meridian.backup.model.CatalogQuery;
import dev.meridian.backup.model.CatalogStats;
import dev.meridian.backup.model.FileEntry;
import dev.meridian.backup.model.Hash;
import dev.meridian.backup.model.Manifest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Predicate;

/**
 * The in-memory index of published backups, loaded when the repository opens (from the {@link CatalogCache} in the
 * state directory, reconciled with the manifests the repository lists, or from every manifest). It answers list and
 * stats without touching disk, and counts references to each object for garbage collection.
 * Reads are lock-free; updates are serialized on this object.
 */
public final class Catalog {
    private final ConcurrentSkipListMap<BackupId, BackupSummary> backups = new ConcurrentSkipListMap<>();
    private final Map<Hash, Integer> references = new HashMap<>();
    /** The objects each backup references (one per file, repeats kept), sharing one Hash instance per object. */
    private final Map<BackupId, Hash[]> objectsOf = new HashMap<>();
    private final Map<Hash, Hash> canonical = new HashMap<>();
    private final Map<String, String> unreadable = new ConcurrentSkipListMap<>();
    private long repositoryBytes;

    /** One backup as the catalog cache stores it: its summary and the objects its files reference. */
    record Entry(BackupSummary summary, List<Hash> objects) {}

    synchronized void add(Manifest m, Boolean verified) {
        add(BackupSummary.of(m, verified), m.files().stream().map(FileEntry::object).toList());
    }

    synchronized void add(BackupSummary summary, List<Hash> objects) {
        if (backups.putIfAbsent(summary.backupId(), summary) != null) {
            return;
        }
        Hash[] shared = new Hash[objects.size()];
        for (int i = 0; i < shared.length; i++) {
            shared[i] = canonical.computeIfAbsent(objects.get(i), k -> k);
            references.merge(shared[i], 1, Integer::sum);
        }
        objectsOf.put(summary.backupId(), shared);
    }

    synchronized void remove(Manifest m) {
        if (backups.remove(m.id()) == null) {
            return;
        }
        Hash[] objects = objectsOf.remove(m.id());
        for (Hash h : objects) {
            if (references.computeIfPresent(h, (k, n) -> n == 1 ? null : n - 1) == null) {
                canonical.remove(h);
            }
        }
    }

    /** Every backup with its objects, oldest first: what the catalog cache saves. */
    synchronized List<Entry> entries() {
        List<Entry> out = new ArrayList<>(backups.size());
        for (BackupSummary s : backups.values()) {
            out.add(new Entry(s, List.of(objectsOf.get(s.backupId()))));
        }
        return out;
    }

    synchronized void setMigration(BackupId id, dev.meridian.backup.model.MigrationRecord m) {
        backups.computeIfPresent(id, (k, s) -> s.withMigration(m));
    }

    synchronized void setVerified(BackupId id, boolean valid) {
        backups.computeIfPresent(id, (k, s) -> s.withVerified(valid));
    }

    void markUnreadable(String key, String problem) {
        unreadable.put(key, problem);
    }

    void clearUnreadable(String key) {
        unreadable.remove(key);
    }

    /** Manifests that could not be read at open, with the reason. Garbage collection refuses to run while any exist. */
    public Map<String, String> unreadable() {
        return Map.copyOf(unreadable);
    }

    synchronized Set<Hash> referencedObjects() {
        return new HashSet<>(references.keySet());
    }

    synchronized boolean isReferenced(Hash object) {
        return references.containsKey(object);
    }

    synchronized void addRepositoryBytes(long delta) {
        repositoryBytes += delta;
    }

    public synchronized long repositoryBytes() {
        return repositoryBytes;
    }

    public synchronized int objectCount() {
        return references.size();
    }

    public Optional<BackupSummary> get(BackupId id) {
        return Optional.ofNullable(backups.get(id));
    }

    public int size() {
        return backups.size();
    }

    /** Backups of one database, oldest first. */
    public List<BackupSummary> ofDatabase(String database) {
        return backups.values().stream().filter(b -> b.database().equals(database)).toList();
    }

    /** The newest backup of a database, if any; used as the parent of an incremental backup. */
    public Optional<BackupSummary> latest(String database) {
        for (BackupSummary b : backups.descendingMap().values()) {
            if (b.database().equals(database)) {
                return Optional.of(b);
            }
        }
        return Optional.empty();
    }

    /** Newest first. {@code after} continues a previous page; {@code totalCount} counts every match. */
    public CatalogPage list(CatalogQuery q) {
        Predicate<BackupSummary> match = b -> (q.database() == null || b.database().equals(q.database()))
                && (q.type() == null || b.type() == q.type())
                && (q.tag() == null || b.tags().contains(q.tag()));
        List<BackupSummary> page = new ArrayList<>();
        int total = 0;
        BackupId next = null;
        for (BackupSummary b : backups.descendingMap().values()) {
            if (!match.test(b)) {
                continue;
            }
            total++;
            if (q.after() != null && b.backupId().compareTo(q.after()) >= 0) {
                continue;
            }
            if (page.size() < q.limit()) {
                page.add(b);
            } else if (next == null) {
                next = page.get(page.size() - 1).backupId();
            }
        }
        return new CatalogPage(page, total, next);
    }

    public CatalogStats stats(String database, Instant now) {
        List<BackupSummary> all = backups.values().stream()
                .filter(b -> database == null || b.database().equals(database)).toList();
        Map<String, List<BackupSummary>> perDb = new TreeMap<>();
        for (BackupSummary b : all) {
            perDb.computeIfAbsent(b.database(), k -> new ArrayList<>()).add(b);
        }
        Map<String, CatalogStats.DatabaseStats> byDatabase = new LinkedHashMap<>();
        perDb.forEach((db, list) -> byDatabase.put(db, new CatalogStats.DatabaseStats(totals(list, now, null), byType(list, now))));
        long repoBytes = repositoryBytes();
        return new CatalogStats(totals(all, now, database == null ? repoBytes : null), repoBytes, objectCount(),
                byType(all, now), byDatabase, unreadable.size());
    }

    private static Map<String, CatalogStats.Totals> byType(List<BackupSummary> list, Instant now) {
        Map<String, CatalogStats.Totals> out = new LinkedHashMap<>();
        for (BackupType t : BackupType.values()) {
            List<BackupSummary> ofType = list.stream().filter(b -> b.type() == t).toList();
            if (!ofType.isEmpty()) {
                out.put(t.wireName(), totals(ofType, now, null));
            }
        }
        return out;
    }

    /** Dedup ratio: logical bytes over the bytes they cost (the whole repository when given, else stored bytes). */
    private static CatalogStats.Totals totals(List<BackupSummary> list, Instant now, Long physicalBytes) {
        long size = 0;
        long stored = 0;
        Instant oldest = null;
        Instant newest = null;
        for (BackupSummary b : list) {
            size += b.sizeBytes();
            stored += b.storedBytes();
            if (oldest == null || b.completedAt().isBefore(oldest)) {
                oldest = b.completedAt();
            }
            if (newest == null || b.completedAt().isAfter(newest)) {
                newest = b.completedAt();
            }
        }
        long cost = physicalBytes != null ? physicalBytes : stored;
        Double ratio = cost > 0 ? Math.round(size * 1000.0 / cost) / 1000.0 : null;
        Long age = newest == null ? null : Math.max(0, Duration.between(newest, now).toSeconds());
        return new CatalogStats.Totals(list.size(), size, stored, ratio, oldest, newest, age);
    }
}
