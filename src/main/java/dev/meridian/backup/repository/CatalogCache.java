package dev.meridian.backup.repository;

import dev.meridian.backup.hash.Blake3;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.Hash;
import dev.meridian.backup.model.Json;
import dev.meridian.backup.model.Manifest;
import dev.meridian.backup.model.VerifyResult;
import dev.meridian.backup.store.BlobStore;
import dev.meridian.backup.store.file.DurableFiles;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The catalog saved in the local state directory, so that opening a repository reads only the manifests added since
 * the last save instead of every manifest. The repository stays the source of truth: at open the cache is reconciled
 * with one listing of {@code manifests/} (backups it lacks are read, backups no longer listed are dropped) and one of
 * {@code verifications/}; a missing, corrupt or foreign cache is rebuilt from the repository, with a log line.
 *
 * <p>File {@code catalog.cache}: one ASCII line {@code meridian-catalog-cache <format> <blake3-256 hex of the rest>},
 * then a gzip stream of JSON {@link Stored}: the repository id, a table of object hashes, every backup's
 * {@link BackupSummary} (including its verification outcome) with its objects as indexes into that table, and the
 * verification record keys whose outcome the summaries hold. A manifest never changes once published, so a listed
 * key the cache holds needs no read. A verification record can be rewritten (re-verifying a backup), so its key is
 * first added, durably, to {@code catalog.pending} (a JSON list of keys), and the next open re-reads the pending
 * keys unless a save came after them. Saves (fsynced, atomic: {@link DurableFiles#write}) happen at open when the
 * reconciliation changed anything, every {@value #SAVE_EVERY} changes, and at close if anything changed. A crash between saves costs
 * reading what changed since the last one.
 *
 * <p>A failure to save or mark never fails the operation that caused it: it is logged, and the cache is removed so
 * that the next open rebuilds it. Thread-safe.
 */
final class CatalogCache {
    private static final Logger log = LoggerFactory.getLogger(CatalogCache.class);
    static final String MAGIC = "meridian-catalog-cache";
    static final int FORMAT = 1;
    static final int SAVE_EVERY = 64;

    /** The cache file's content (inside the gzip). {@code backups} oldest first. */
    record Stored(int format, String repositoryId, List<Hash> objects, List<Backup> backups, List<String> verifications) {}

    /** One backup: its summary and its files' objects as indexes into {@link Stored#objects}. */
    record Backup(BackupSummary summary, int[] objects) {}

    /** What loading did: backups taken from the cache, manifests read, backups dropped, verification records read. */
    record LoadReport(boolean cacheUsed, int fromCache, int manifestsRead, int dropped, int verificationsRead) {}

    private final StateDirectory state;
    private final String repositoryId;
    private final Catalog catalog;
    /** Verification keys whose outcome the catalog holds. */
    private final Set<String> applied = new HashSet<>();
    /** Verification keys being written (or whose write failed): stay pending across saves until the next open. */
    private final Set<String> inFlight = new TreeSet<>();
    /** Keys in {@code catalog.pending} on disk. */
    private final Set<String> pending = new TreeSet<>();
    private int changes;
    private boolean broken;

    /** @param state null: no cache, every open reads every manifest (read-only opens, tests) */
    CatalogCache(StateDirectory state, String repositoryId, Catalog catalog) {
        this.state = state;
        this.repositoryId = repositoryId;
        this.catalog = catalog;
    }

    /** How the repository opens a blob it reads here: unsealed when it is encrypted, as stored otherwise. */
    @FunctionalInterface
    interface Unseal {
        byte[] open(String key, byte[] stored) throws IOException;
    }

    /** Fills the empty catalog from the cache and the repository's listings; saves the cache if anything changed. */
    synchronized LoadReport load(BlobStore store, boolean writable, Unseal unseal) throws IOException {
        List<String> listed = store.list("manifests/");
        Stored cached = state == null ? null : read(listed.size());
        Set<String> pendingOnDisk = state == null ? Set.of() : readPending();
        boolean allPending = pendingOnDisk == null;
        if (allPending) {
            pendingOnDisk = Set.of();
        }
        Set<String> known = new HashSet<>();
        int fromCache = 0;
        int dropped = 0;
        if (cached != null) {
            Set<String> listedKeys = new HashSet<>(listed);
            for (Backup b : cached.backups()) {
                String key = ManifestCodec.key(b.summary().database(), b.summary().backupId());
                if (!listedKeys.contains(key)) {
                    dropped++;
                    continue;
                }
                List<Hash> objects = new ArrayList<>(b.objects().length);
                for (int i : b.objects()) {
                    objects.add(cached.objects().get(i));
                }
                catalog.add(b.summary(), objects);
                known.add(key);
                fromCache++;
            }
        }
        Set<String> verificationsOfNew = new HashSet<>();
        int read = 0;
        for (String key : listed) {
            if (known.contains(key)) {
                continue;
            }
            try {
                Manifest m = ManifestCodec.decode(key, unseal.open(key, store.read(key)));
                catalog.add(m, null);
                verificationsOfNew.add(Repository.verificationKey(m.database(), m.id()));
                read++;
            } catch (IOException | RuntimeException e) {
                catalog.markUnreadable(key, e.getMessage());
                log.error("Manifest {} is unreadable and is ignored: {}", key, e.getMessage());
            }
        }
        Set<String> cachedVerifications = cached == null ? Set.of() : new HashSet<>(cached.verifications());
        int verificationsRead = 0;
        for (String key : store.list("verifications/")) {
            if (!allPending && cachedVerifications.contains(key) && !pendingOnDisk.contains(key)
                    && !verificationsOfNew.contains(key)) {
                applied.add(key);
                continue;
            }
            try {
                VerifyResult r = Json.MAPPER.readValue(unseal.open(key, store.read(key)), VerifyResult.class);
                catalog.setVerified(r.backupId(), r.valid());
                applied.add(key);
                verificationsRead++;
            } catch (IOException | RuntimeException e) {
                log.warn("Verification record {} is unreadable and is ignored: {}", key, e.getMessage());
            }
        }
        pending.addAll(pendingOnDisk);
        LoadReport report = new LoadReport(cached != null, fromCache, read, dropped, verificationsRead);
        if (cached != null) {
            log.info("Catalog: {} backups from the cache {}, {} manifests read, {} dropped, {} verification records read",
                    fromCache, state.catalogCache(), read, dropped, verificationsRead);
        }
        if (state != null && writable && (cached == null || read > 0 || dropped > 0 || verificationsRead > 0
                || allPending || !pendingOnDisk.isEmpty())) {
            save();
        }
        return report;
    }

    /**
     * Before a verification record is written: marks its key durably as pending, so that a crash before the next
     * save makes the next open read it again.
     */
    synchronized void beforeVerification(String key) {
        if (state == null || broken) {
            return;
        }
        inFlight.add(key);
        if (pending.add(key)) {
            try {
                Files.createDirectories(state.root());
                DurableFiles.write(state.catalogPending(), Json.MAPPER.writeValueAsBytes(List.copyOf(pending)), true);
            } catch (IOException | RuntimeException e) {
                disable("cannot record a pending verification in " + state.catalogPending(), e);
            }
        }
    }

    /** After a verification record was written and the catalog updated. */
    synchronized void afterVerification(String key) {
        inFlight.remove(key);
        applied.add(key);
        changed();
    }

    /** After a backup was published or deleted; saves every {@value #SAVE_EVERY} changes. */
    synchronized void changed() {
        if (state == null || broken) {
            return;
        }
        if (++changes >= SAVE_EVERY) {
            save();
        }
    }

    /** Writes the cache (fsynced), then shrinks {@code catalog.pending} to the writes still in flight. */
    synchronized void save() {
        if (state == null || broken) {
            return;
        }
        try {
            List<Catalog.Entry> entries = catalog.entries();
            Map<Hash, Integer> index = new HashMap<>();
            List<Hash> objects = new ArrayList<>();
            List<Backup> backups = new ArrayList<>(entries.size());
            for (Catalog.Entry e : entries) {
                int[] refs = new int[e.objects().size()];
                for (int i = 0; i < refs.length; i++) {
                    refs[i] = index.computeIfAbsent(e.objects().get(i), h -> {
                        objects.add(h);
                        return objects.size() - 1;
                    });
                }
                backups.add(new Backup(e.summary(), refs));
            }
            List<String> verifications = new ArrayList<>(applied);
            verifications.removeAll(inFlight);
            verifications.sort(null);
            Files.createDirectories(state.root());
            DurableFiles.write(state.catalogCache(), encode(new Stored(FORMAT, repositoryId, objects, backups,
                    verifications)), true);
            changes = 0;
            pending.retainAll(inFlight);
            if (pending.isEmpty()) {
                Files.deleteIfExists(state.catalogPending());
            } else {
                DurableFiles.write(state.catalogPending(), Json.MAPPER.writeValueAsBytes(List.copyOf(pending)), true);
            }
        } catch (IOException | RuntimeException e) {
            disable("cannot save the catalog cache " + state.catalogCache(), e);
        }
    }

    /** At close: saves unless nothing changed since the last save. */
    synchronized void close() {
        if (changes > 0 || !pending.isEmpty()) {
            save();
        }
    }

    /** Stops using the cache until the next open, and removes it so that the next open rebuilds it. */
    private void disable(String what, Exception e) {
        broken = true;
        log.warn("{} ({}); it is removed and the next start rebuilds it from the repository", what, e.getMessage());
        try {
            Files.deleteIfExists(state.catalogCache());
        } catch (IOException d) {
            log.error("Cannot remove the catalog cache {} ({}); delete it before the next start", state.catalogCache(),
                    d.getMessage());
        }
    }

    static byte[] encode(Stored stored) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(body, 1 << 16)) {
            Json.MAPPER.writeValue(gz, stored);
        }
        byte[] zipped = body.toByteArray();
        byte[] header = (MAGIC + " " + FORMAT + " " + Blake3.hex(Blake3.hash(zipped)) + "\n").getBytes(StandardCharsets.US_ASCII);
        byte[] out = Arrays.copyOf(header, header.length + zipped.length);
        System.arraycopy(zipped, 0, out, header.length, zipped.length);
        return out;
    }

    /** Parses a cache file. @throws IOException naming what is wrong with it */
    static Stored decode(byte[] bytes) throws IOException {
        int nl = -1;
        for (int i = 0; i < Math.min(bytes.length, 256); i++) {
            if (bytes[i] == '\n') {
                nl = i;
                break;
            }
        }
        if (nl < 0) {
            throw new IOException("no header line");
        }
        String[] header = new String(bytes, 0, nl, StandardCharsets.US_ASCII).split(" ");
        if (header.length != 3 || !header[0].equals(MAGIC)) {
            throw new IOException("not a catalog cache");
        }
        if (!header[1].equals(String.valueOf(FORMAT))) {
            throw new IOException("format " + header[1] + ", this build writes " + FORMAT);
        }
        byte[] zipped = Arrays.copyOfRange(bytes, nl + 1, bytes.length);
        if (!Blake3.hex(Blake3.hash(zipped)).equals(header[2])) {
            throw new IOException("checksum mismatch (the file is damaged)");
        }
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(zipped), 1 << 16)) {
            Stored s = Json.MAPPER.readValue(in, Stored.class);
            if (s.format() != FORMAT || s.backups() == null || s.objects() == null || s.verifications() == null) {
                throw new IOException("incomplete content");
            }
            return s;
        }
    }

    /** The saved cache, or null (logged) when it is missing or cannot be used. */
    private Stored read(int manifests) {
        Path file = state.catalogCache();
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            log.info("No catalog cache at {}; building it from the repository's {} manifests", file, manifests);
            return null;
        } catch (IOException e) {
            log.warn("Catalog cache {} cannot be read ({}); rebuilding it from the repository's {} manifests", file,
                    e.getMessage(), manifests);
            return null;
        }
        try {
            Stored s = decode(bytes);
            if (!repositoryId.equals(s.repositoryId())) {
                throw new IOException("it belongs to repository " + s.repositoryId() + ", not " + repositoryId);
            }
            for (Backup b : s.backups()) {
                for (int i : b.objects()) {
                    if (i < 0 || i >= s.objects().size()) {
                        throw new IOException("an object index is out of range");
                    }
                }
            }
            return s;
        } catch (IOException | RuntimeException e) {
            log.warn("Catalog cache {} is corrupt ({}); rebuilding it from the repository's {} manifests", file,
                    e.getMessage(), manifests);
            return null;
        }
    }

    private Set<String> readPending() {
        Path file = state.catalogPending();
        if (!Files.isRegularFile(file)) {
            return Set.of();
        }
        try {
            return new HashSet<>(List.of(Json.MAPPER.readValue(file.toFile(), String[].class)));
        } catch (IOException | RuntimeException e) {
            // Unknown which records changed: read them all.
            log.warn("{} is unreadable ({}); every verification record is read again", file, e.getMessage());
            return null;
        }
    }
}
