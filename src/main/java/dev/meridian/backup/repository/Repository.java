package dev.meridian.backup.repository;

import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.model.FileEntry;
import dev.meridian.backup.model.Hash;
import dev.meridian.backup.model.Json;
import dev.meridian.backup.model.Manifest;
import dev.meridian.backup.model.MigrationRecord;
import dev.meridian.backup.model.OsError;
import dev.meridian.backup.model.Progress;
import dev.meridian.backup.model.VerifyResult;
import dev.meridian.backup.repository.seal.Encryption;
import dev.meridian.backup.repository.seal.KdfParameters;
import dev.meridian.backup.repository.seal.KeySlots;
import dev.meridian.backup.repository.seal.Password;
import dev.meridian.backup.repository.seal.RepositoryKeys;
import dev.meridian.backup.store.BlobStore;
import dev.meridian.backup.store.PendingBlob;
import dev.meridian.backup.store.file.DurableFiles;
import dev.meridian.backup.store.file.FileBlobStore;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Content-addressed objects and manifests over a {@link BlobStore}. Thread-safe; every method does blocking I/O
 * and must run on an I/O dispatcher.
 *
 * <p>Garbage collection and object publication exclude each other through {@code gcLock}: an ingest pins an object
 * and checks or creates it under the read lock, and collection deletes only unpinned, unreferenced objects under
 * the write lock, so an object an in-flight backup relies on is never collected (invariant 6).
 */
public final class Repository implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Repository.class);

    private final BlobStore store;
    private final RepositoryFormat format;
    private final Compression compression;
    private final IoThrottle throttle;
    private final boolean writable;
    private final RepositoryLock lock;
    /** The keys of an encrypted repository, null for a plaintext one. */
    private final RepositoryKeys keys;
    /** The key slot the password opened, null for a plaintext repository. */
    private final String keySlot;
    private final Catalog catalog = new Catalog();
    private final ReentrantReadWriteLock gcLock = new ReentrantReadWriteLock();
    /** Objects pinned by in-flight ingests, verifications and restores; never collected while pinned. */
    private final Map<Object, Set<Hash>> pins = new ConcurrentHashMap<>();
    private final Object gcRun = new Object();
    /** Told of every backup published through this instance ({@link #onPublished}). */
    private final List<java.util.function.Consumer<BackupId>> published = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Runs inside garbage collection between reading the pins and the catalog; a test seam, a no-op otherwise. */
    volatile Runnable betweenLiveSnapshots = () -> {};

    /** What opening found and cleaned. */
    public record OpenReport(int pendingWritesSwept, int manifests, List<String> unreadableManifests) {}

    private OpenReport openReport;
    /** The local state directory; null when opened without one (read-only, tests): then no catalog cache. */
    private StateDirectory state;
    private CatalogCache cache;

    private Repository(BlobStore store, RepositoryFormat format, Compression compression, IoThrottle throttle,
            boolean writable, RepositoryLock lock, KeySlots.Unlocked unlocked) {
        this.keys = unlocked == null ? null : unlocked.keys();
        this.keySlot = unlocked == null ? null : unlocked.slotId();
        this.store = store;
        this.format = format;
        this.compression = compression;
        this.throttle = throttle;
        this.writable = writable;
        this.lock = lock;
    }

    /** Opens (creating if needed) a repository on local disk, taking its writer lock; no local state directory. */
    public static Repository openFile(Path root, Compression compression, IoThrottle throttle) throws IOException {
        return openFile(root, compression, throttle, null, Encryption.NONE, Password.Source.none());
    }

    /**
     * Opens (creating if needed) a plaintext repository on local disk, taking its writer lock, with its local state
     * under {@code stateDir} ({@code meridian.state-dir}; null for none), where the catalog cache is loaded and saved.
     */
    public static Repository openFile(Path root, Compression compression, IoThrottle throttle, Path stateDir) throws IOException {
        return openFile(root, compression, throttle, stateDir, Encryption.NONE, Password.Source.none());
    }

    /** As {@link #openFile(Path, Compression, IoThrottle, Path, Encryption, Password.Source)} with no state directory. */
    public static Repository openFile(Path root, Compression compression, IoThrottle throttle, Encryption wanted,
            Password.Source password) throws IOException {
        return openFile(root, compression, throttle, null, wanted, password);
    }

    /**
     * Opens (creating if needed, with encryption {@code wanted}) a repository on local disk, taking its writer lock,
     * with its local state under {@code stateDir} (null: none). The password is read first when the repository is,
     * or is to be created, encrypted: a missing or wrong one fails before anything is created or swept. A repository
     * whose mode differs from {@code wanted} is refused (CONFLICT).
     */
    public static Repository openFile(Path root, Compression compression, IoThrottle throttle, Path stateDir,
            Encryption wanted, Password.Source password) throws IOException {
        Password early = needsPassword(root, wanted) ? password.read(encryptedWhat(root.toString())) : null;
        try {
            FileBlobStore store = new FileBlobStore(root);
            RepositoryLock lock = RepositoryLock.acquire(store.root());
            try {
                return open(store, compression, throttle, true, lock, stateDir, wanted,
                        early == null ? password::read : what -> early);
            } catch (IOException | RuntimeException e) {
                lock.close();
                throw e;
            }
        } catch (IOException e) {
            // Name the repository and the real cause: a bare "Invalid argument" or path tells an operator nothing.
            OsError.Kind kind = OsError.kindOf(e);
            throw new BackupException(kind == OsError.Kind.NO_SPACE ? ErrorCode.INSUFFICIENT_STORAGE : ErrorCode.UNAVAILABLE,
                    "cannot open the repository at " + root + ": " + OsError.describe(e) + "; "
                            + (kind == OsError.Kind.OTHER
                                    ? "set meridian.repository.path to a directory the service can create and write, then start again"
                                    : OsError.advice(kind, "the repository's filesystem")), e);
        }
    }

    /** Opens an existing repository on local disk for reading only: no lock, no sweeping, no writes. */
    public static Repository openFileReadOnly(Path root) throws IOException {
        return openFileReadOnly(root, Password.Source.none());
    }

    /** As {@link #openFileReadOnly(Path)}, reading {@code password} if the repository is encrypted. */
    public static Repository openFileReadOnly(Path root, Password.Source password) throws IOException {
        if (!java.nio.file.Files.isRegularFile(root.resolve(RepositoryFormat.KEY))) {
            throw BackupException.notFound("no Meridian repository at " + root + " (" + RepositoryFormat.KEY
                    + " is missing); pass the directory given as meridian.repository.path");
        }
        Password early = needsPassword(root, null) ? password.read(encryptedWhat(root.toString())) : null;
        return open(new FileBlobStore(root), Compression.parse("off"), IoThrottle.UNLIMITED, false, null, null, null,
                what -> early);
    }

    /** Whether opening {@code root} with {@code wanted} (null: whatever it has) needs the password. */
    private static boolean needsPassword(Path root, Encryption wanted) throws IOException {
        Path config = root.resolve(RepositoryFormat.KEY);
        return needsPassword(java.nio.file.Files.isRegularFile(config) ? java.nio.file.Files.readAllBytes(config) : null, wanted);
    }

    /**
     * Whether opening the repository in {@code store} with {@code wanted} (null: whatever it has) needs the password:
     * it is encrypted, or it does not exist yet and is to be created encrypted. Reads {@code config.json} only, so a
     * caller can ask for the password before it writes anything (an S3 server's lock object).
     */
    public static boolean needsPassword(BlobStore store, Encryption wanted) throws IOException {
        return needsPassword(store.exists(RepositoryFormat.KEY) ? store.read(RepositoryFormat.KEY) : null, wanted);
    }

    /** The rule behind both: {@code config} is the bytes of {@code config.json}, null when there is none yet. */
    private static boolean needsPassword(byte[] config, Encryption wanted) {
        if (config == null) {
            return wanted == Encryption.AES_256_GCM;
        }
        RepositoryFormat f;
        try {
            f = Json.MAPPER.readValue(config, RepositoryFormat.class);
        } catch (IOException e) {
            return false; // opening reports the damaged config.json, naming the repository
        }
        return Encryption.AES_256_GCM.wireName().equals(f.encryption())
                && (wanted == null || wanted == Encryption.AES_256_GCM);
    }

    private static String encryptedWhat(String where) {
        return "repository " + where + " is encrypted";
    }

    public static Repository open(BlobStore store, Compression compression, IoThrottle throttle, boolean writable,
            RepositoryLock lock) throws IOException {
        return open(store, compression, throttle, writable, lock, null, Encryption.NONE, NO_PASSWORD);
    }

    /** As above, plaintext, with the local state under {@code stateDir} (null: none) when {@code writable}. */
    public static Repository open(BlobStore store, Compression compression, IoThrottle throttle, boolean writable,
            RepositoryLock lock, Path stateDir) throws IOException {
        return open(store, compression, throttle, writable, lock, stateDir, Encryption.NONE, NO_PASSWORD);
    }

    private static final java.util.function.Function<String, Password> NO_PASSWORD = what -> {
        throw new BackupException(ErrorCode.UNAUTHORIZED, what + " and no password was given: " + Password.HOW);
    };

    /**
     * Opens the repository in {@code store}, creating it when {@code writable} and absent: encrypted as {@code wanted}
     * (null: plaintext when creating; whatever it has when opening), with the local state under {@code stateDir}
     * (null: none; only when {@code writable}). {@code password} is asked for the password (its argument says why)
     * only when the repository is encrypted. Refused with CONFLICT: a mode other than {@code wanted}; UNAUTHORIZED: a
     * missing or wrong password. Nothing is written or swept before the keys open.
     */
    public static Repository open(BlobStore store, Compression compression, IoThrottle throttle, boolean writable,
            RepositoryLock lock, Path stateDir, Encryption wanted, java.util.function.Function<String, Password> password)
            throws IOException {
        RepositoryFormat format;
        KeySlots.Unlocked unlocked = null;
        if (store.exists(RepositoryFormat.KEY)) {
            format = Json.MAPPER.readValue(store.read(RepositoryFormat.KEY), RepositoryFormat.class);
            if (format.formatVersion() != RepositoryFormat.CURRENT) {
                throw new BackupException(ErrorCode.CONFLICT, "repository " + store.describe() + " has format "
                        + format.formatVersion() + "; this build reads format " + RepositoryFormat.CURRENT);
            }
            Encryption mode = null;
            for (Encryption e : Encryption.values()) {
                if (e.wireName().equals(format.encryption())) {
                    mode = e;
                }
            }
            if (!RepositoryFormat.HASH.equals(format.hash()) || mode == null) {
                throw new BackupException(ErrorCode.CONFLICT, "repository " + store.describe() + " uses hash "
                        + format.hash() + " and encryption " + format.encryption() + ", which this build cannot read");
            }
            if (wanted != null && wanted != mode) {
                throw new BackupException(ErrorCode.CONFLICT, "repository " + store.describe() + " was created with encryption "
                        + mode + " but meridian.repository.encryption is " + wanted + "; a repository keeps the mode it was "
                        + "created with: set meridian.repository.encryption = " + mode + ", or use a new repository");
            }
            if (mode == Encryption.NONE && !store.list(KeySlots.PREFIX).isEmpty()) {
                throw new BackupException(ErrorCode.CONFLICT, "repository " + store.describe() + " holds key slots under "
                        + KeySlots.PREFIX + " but its " + RepositoryFormat.KEY + " says encryption none; the file was altered: "
                        + "restore it from a copy");
            }
            if (mode == Encryption.AES_256_GCM) {
                unlocked = KeySlots.unlock(store, format.repositoryId(), password.apply(encryptedWhat(store.describe())));
            }
        } else if (writable) {
            Encryption mode = wanted == null ? Encryption.NONE : wanted;
            String id = UUID.randomUUID().toString();
            if (mode == Encryption.AES_256_GCM) {
                // Slot first, config last: a repository exists once config.json does, and then it has a key.
                unlocked = KeySlots.initialize(store, id, password.apply("a new repository at " + store.describe()
                        + " is to be encrypted"), KdfParameters.DEFAULT);
            }
            format = new RepositoryFormat(RepositoryFormat.CURRENT, id, RepositoryFormat.HASH,
                    compression.toString(), mode.wireName(), Instant.now());
            store.write(RepositoryFormat.KEY, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(format));
        } else {
            throw BackupException.notFound("no Meridian repository at " + store.describe());
        }
        Repository repo = new Repository(store, format, compression, throttle, writable, lock, unlocked);
        repo.state = stateDir == null || !writable ? null : StateDirectory.of(stateDir, format.repositoryId());
        repo.cache = new CatalogCache(repo.state, format.repositoryId(), repo.catalog);
        int swept = writable ? store.sweepPending() : 0;
        if (repo.state != null) {
            DurableFiles.deleteTree(repo.state.scratch());
        }
        repo.load();
        repo.openReport = new OpenReport(swept, repo.catalog.size(), List.copyOf(repo.catalog.unreadable().keySet()));
        return repo;
    }

    private void load() throws IOException {
        cache.load(store, writable, this::unseal);
        for (String key : store.list("migrations/")) {
            try {
                MigrationRecord r = Json.MAPPER.readValue(unseal(key, store.read(key)), MigrationRecord.class);
                catalog.setMigration(r.backupId(), r);
            } catch (IOException | RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(Repository.class).warn("Migration record {} is unreadable and is ignored: {}",
                        key, e.getMessage());
            }
        }
        long bytes = 0;
        for (String key : store.list("objects/")) {
            bytes += store.size(key).orElse(0);
        }
        catalog.addRepositoryBytes(bytes);
    }

    /** The bytes stored at {@code key}: opened when the repository is encrypted, as they are otherwise. */
    private byte[] unseal(String key, byte[] stored) throws IOException {
        return keys == null ? stored : SealedBlob.open(keys, key, stored);
    }

    /** The bytes to store at {@code key}: sealed when the repository is encrypted. */
    private byte[] seal(String key, byte[] plain) {
        return keys == null ? plain : SealedBlob.seal(keys, key, plain);
    }

    /** The repository's encryption mode. */
    public Encryption encryption() {
        return keys == null ? Encryption.NONE : Encryption.AES_256_GCM;
    }

    /** The keys of an encrypted repository (the key CLI adds slots with them); empty for a plaintext one. */
    public java.util.Optional<RepositoryKeys> keys() {
        return java.util.Optional.ofNullable(keys);
    }

    /** The id of the key slot the password opened; empty for a plaintext repository. */
    public java.util.Optional<String> keySlot() {
        return java.util.Optional.ofNullable(keySlot);
    }

    /**
     * Calls {@code listener} with the id of every backup published through this instance from now on (any type, and
     * copies into it), right after its manifest is durable and listed, on the publishing thread: it must not block
     * (the replicas' actors only get a message).
     */
    public void onPublished(java.util.function.Consumer<BackupId> listener) {
        published.add(listener);
    }

    public OpenReport openReport() {
        return openReport;
    }

    /** This repository's local state directory, or null when it was opened without one. */
    public StateDirectory stateDirectory() {
        return state;
    }

    /**
     * Where plaintext scratch copies of this repository's files (deep verification's SSTs, a copy's transfers) may
     * be written, one temporary file each, removed after use: the repository's own {@code tmp/} only when it is a
     * writable local directory holding plaintext (swept at open); else the local state directory's
     * {@code scratch/} (swept at open), so that an encrypted repository's directory or bucket never holds a
     * decrypted byte; else, for a read-only open, the system's temporary directory. Nothing is created.
     */
    public Path scratchDirectory() {
        if (keys == null && writable && store instanceof FileBlobStore files) {
            return files.root().resolve(FileBlobStore.TMP);
        }
        if (state != null) {
            return state.scratch();
        }
        return Path.of(System.getProperty("java.io.tmpdir"));
    }

    public RepositoryFormat format() {
        return format;
    }

    public Catalog catalog() {
        return catalog;
    }

    public BlobStore store() {
        return store;
    }

    public Compression compression() {
        return compression;
    }

    public boolean writable() {
        return writable;
    }

    /**
     * The name this repository gives the object holding content whose plain Blake3 is {@code blake3}: that hash in a
     * plaintext repository, BLAKE3 keyed with this repository's name key over it in an encrypted one (as
     * {@link ObjectCodec#encode} names it). A copy between repositories uses it to find what the destination lacks.
     */
    public Hash objectFor(Hash blake3) {
        if (keys == null) {
            return blake3;
        }
        return Hash.of(keys.newNameHasher().update(java.util.HexFormat.of().parseHex(blake3.hex())).digest());
    }

    public static String objectKey(Hash h) {
        return "objects/" + h.hex().substring(0, 2) + "/" + h.hex();
    }

    static String verificationKey(String database, BackupId id) {
        return "verifications/" + database + "/" + id.value() + ".json";
    }

    private void requireWritable(String what) {
        if (!writable) {
            throw new BackupException(ErrorCode.CONFLICT, "cannot " + what + ": repository " + store.describe()
                    + " is open read-only; run this through the server");
        }
    }

    public Manifest readManifest(BackupId id) throws IOException {
        var summary = catalog.get(id).orElseThrow(() -> unknownBackup(id));
        String key = ManifestCodec.key(summary.database(), id);
        return ManifestCodec.decode(key, unseal(key, store.read(key)));
    }

    public static BackupException unknownBackup(BackupId id) {
        return BackupException.notFound("backup " + id + " not found; list backups to see the ids that exist");
    }

    /**
     * Streams one file of a backup out of its object into {@code sink} (null: only check), verifying its size and
     * Blake3 hash. Missing, truncated or altered objects raise {@link CorruptObjectException}.
     */
    public long readFile(FileEntry file, WritableByteChannel sink, Progress progress, long base, long total) throws IOException {
        String key = objectKey(file.object());
        try (SeekableByteChannel ch = store.open(key)) {
            return ObjectCodec.decode(ch, keys, file.size(), file.blake3(), sink, throttle, progress, base, total);
        } catch (NoSuchFileException e) {
            throw new CorruptObjectException("object " + file.object().hex() + " is missing from the repository");
        }
    }

    public Ingest beginIngest(String owner) {
        requireWritable("write a backup");
        Ingest ingest = new Ingest(owner);
        pins.put(ingest, ingest.pinned);
        return ingest;
    }

    /** A file stored by an ingest: its entry, and the bytes it added to the repository (0 if deduplicated). */
    public record StoredFile(FileEntry entry, long storedBytes) {}

    /**
     * One backup's writes. Every object it stores or reuses stays pinned against garbage collection until the
     * ingest is closed, by which time its manifest (if published) references them.
     */
    public final class Ingest implements AutoCloseable {
        private final String owner;
        private final Set<Hash> pinned = ConcurrentHashMap.newKeySet();

        private Ingest(String owner) {
            this.owner = owner;
        }

        /**
         * Hashes and stores one file in a single read; content already in the repository is not written again.
         * A small non-SST file is hashed first and only written if it is new: OPTIONS and CURRENT rarely change
         * between backups, and writing then discarding them would cost a file and an fsync each. (An SST that
         * reaches this method is new: unchanged ones are recognized by their fingerprint.)
         */
        public StoredFile store(Path file, String name, Progress progress, long base, long total) throws IOException {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                if (ch.size() <= ObjectCodec.BLOCK_SIZE && !name.endsWith(".sst")) {
                    ObjectCodec.Encoded probe = ObjectCodec.encode(ch, compression, keys, null, throttle, progress, base, total);
                    FileEntry known = new FileEntry(name, probe.contentLength(), probe.hash(), probe.object());
                    if (reuse(known)) {
                        return new StoredFile(known, 0);
                    }
                }
                return write(ch, name, progress, base, total);
            }
        }

        private StoredFile write(FileChannel ch, String name, Progress progress, long base, long total) throws IOException {
            try (PendingBlob blob = store.create()) {
                ObjectCodec.Encoded e = ObjectCodec.encode(ch, compression, keys, blob, throttle, progress, base, total);
                String key = objectKey(e.object());
                long stored = 0;
                gcLock.readLock().lock();
                try {
                    pinned.add(e.object());
                    if (!store.exists(key)) {
                        blob.commit(key);
                        stored = e.storedLength();
                        catalog.addRepositoryBytes(stored);
                    }
                } finally {
                    gcLock.readLock().unlock();
                }
                return new StoredFile(new FileEntry(name, e.contentLength(), e.hash(), e.object()), stored);
            }
        }

        /** Pins the object of a file known from an earlier backup; false if the object is gone and must be stored again. */
        public boolean reuse(FileEntry file) throws IOException {
            gcLock.readLock().lock();
            try {
                pinned.add(file.object());
                return store.exists(objectKey(file.object()));
            } finally {
                gcLock.readLock().unlock();
            }
        }

        /** Makes the backup visible: the manifest is written durably and atomically, after all its objects. */
        public Manifest publish(Manifest draft) throws IOException {
            Manifest sealed = ManifestCodec.seal(draft);
            String key = ManifestCodec.key(sealed.database(), sealed.id());
            try {
                store.write(key, seal(key, ManifestCodec.encode(sealed)));
            } catch (IOException | RuntimeException e) {
                // The write may have failed after its rename (fsyncing the directory): the manifest could then be
                // on disk but not in the catalog, and once this ingest unpins, a collection would take objects it
                // needs. Take it back; if even that fails, block collection until a restart reloads the catalog.
                try {
                    store.delete(key);
                } catch (IOException | RuntimeException d) {
                    e.addSuppressed(d);
                    catalog.markUnreadable(key, "publishing failed and the manifest could not be removed ("
                            + d.getMessage() + "); restart to reload the catalog");
                }
                throw e;
            }
            catalog.add(sealed, null);
            cache.changed();
            for (java.util.function.Consumer<BackupId> listener : published) {
                try {
                    listener.accept(sealed.id());
                } catch (RuntimeException e) {
                    log.warn("A listener of published backups failed on {}: {}", sealed.id(), e.toString());
                }
            }
            return sealed;
        }

        @Override
        public void close() {
            pins.remove(this);
        }

        @Override
        public String toString() {
            return "ingest " + owner;
        }
    }

    /** Objects held back from garbage collection until closed. */
    public interface Pin extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Keeps a backup's objects from collection while it is read (verify, restore), even if it is deleted meanwhile.
     * A backup deleted between reading its manifest and this pin is reported as not found: checking the catalog
     * after pinning is what makes that sound, since while it still lists the backup no collection can take its
     * objects, and once the pin holds none will.
     */
    public Pin pin(Manifest manifest) {
        Set<Hash> objects = ConcurrentHashMap.newKeySet();
        manifest.files().forEach(f -> objects.add(f.object()));
        Object token = new Object();
        gcLock.readLock().lock();
        try {
            pins.put(token, objects);
        } finally {
            gcLock.readLock().unlock();
        }
        if (catalog.get(manifest.id()).isEmpty()) {
            pins.remove(token);
            throw BackupException.notFound("backup " + manifest.id() + " was deleted while it was being opened; list "
                    + "backups to see the ids that exist");
        }
        return () -> pins.remove(token);
    }

    /** Removes a backup's manifest (phase one of deletion); its objects go at the next garbage collection. */
    public Manifest deleteBackup(BackupId id) throws IOException {
        requireWritable("delete backup " + id);
        Manifest m = readManifest(id);
        store.delete(ManifestCodec.key(m.database(), id));
        store.delete(verificationKey(m.database(), id));
        store.delete(migrationKey(m.database(), id));
        catalog.remove(m);
        cache.changed();
        return m;
    }

    static String migrationKey(String database, BackupId id) {
        return "migrations/" + database + "/" + id.value() + ".json";
    }

    /**
     * Records the outcome of a schema migration beside its pre-migration backup ({@code migrations/<db>/<id>.json},
     * sealed when the repository is encrypted); list and show report it from then on.
     *
     * @throws BackupException not_found when the backup is not in the catalog
     */
    public void recordMigration(MigrationRecord record) throws IOException {
        requireWritable("record the migration after backup " + record.backupId());
        if (catalog.get(record.backupId()).isEmpty()) {
            throw unknownBackup(record.backupId());
        }
        String key = migrationKey(record.database(), record.backupId());
        store.write(key, seal(key, Json.MAPPER.writeValueAsBytes(record)));
        catalog.setMigration(record.backupId(), record);
        cache.changed();
    }

    public void recordVerification(VerifyResult result) throws IOException {
        if (!writable || catalog.get(result.backupId()).isEmpty()) {
            return;
        }
        String key = verificationKey(result.database(), result.backupId());
        cache.beforeVerification(key);
        store.write(key, seal(key, Json.MAPPER.writeValueAsBytes(result)));
        catalog.setVerified(result.backupId(), result.valid());
        cache.afterVerification(key);
    }

    /**
     * The stored verification record of a backup ({@code verifications/<database>/<id>.json}), or empty if it has
     * none or the backup is not in the catalog. Throws IOException if the store cannot be read or the record parsed.
     */
    public Optional<VerifyResult> verification(BackupId id) throws IOException {
        Optional<BackupSummary> b = catalog.get(id);
        if (b.isEmpty() || b.get().verified() == null) {
            return Optional.empty();
        }
        String key = verificationKey(b.get().database(), id);
        if (!store.exists(key)) {
            return Optional.empty();
        }
        return Optional.of(Json.MAPPER.readValue(unseal(key, store.read(key)), VerifyResult.class));
    }

    /** What a garbage collection removed. */
    public record GcReport(int objectsDeleted, long bytesFreed, int objectsKept) {}

    /**
     * Phase two of deletion: removes every object no manifest references and no in-flight ingest has pinned.
     * Refuses to run while any manifest is unreadable, since its references are unknown.
     */
    public GcReport collectGarbage() throws IOException {
        requireWritable("collect garbage");
        synchronized (gcRun) {
            if (!catalog.unreadable().isEmpty()) {
                throw new BackupException(ErrorCode.CONFLICT, "garbage collection skipped: " + catalog.unreadable().size()
                        + " manifest(s) are unreadable (" + String.join(", ", catalog.unreadable().keySet())
                        + "); repair or remove them, then restart");
            }
            // Listing happens outside the lock; objects created after it are simply not candidates.
            List<String> candidates = new ArrayList<>();
            for (String key : store.list("objects/")) {
                String name = key.substring(key.lastIndexOf('/') + 1);
                if (!Hash.isValid(name) || !catalog.isReferenced(new Hash(name))) {
                    candidates.add(key);
                }
            }
            int deleted = 0;
            long freed = 0;
            gcLock.writeLock().lock();
            try {
                // Pins first, then the catalog. An ingest publishes (adds its manifest to the catalog) and then
                // unpins, without this lock. Read the other way round, an ingest could publish just after the
                // catalog was read and unpin just before the pins were, and its new objects would be in neither.
                // In this order, a pin found gone was removed after its manifest was added, so the catalog read
                // that follows sees that manifest.
                Set<Hash> live = new HashSet<>();
                for (Set<Hash> pinned : pins.values()) {
                    live.addAll(pinned);
                }
                betweenLiveSnapshots.run();
                live.addAll(catalog.referencedObjects());
                for (String key : candidates) {
                    String name = key.substring(key.lastIndexOf('/') + 1);
                    if (Hash.isValid(name) && live.contains(new Hash(name))) {
                        continue;
                    }
                    long size = store.size(key).orElse(0);
                    if (store.delete(key)) {
                        deleted++;
                        freed += size;
                    }
                }
            } finally {
                gcLock.writeLock().unlock();
            }
            catalog.addRepositoryBytes(-freed);
            return new GcReport(deleted, freed, catalog.objectCount());
        }
    }

    @Override
    public void close() throws IOException {
        cache.close();
        store.close();
        if (lock != null) {
            lock.close();
        }
    }
}
