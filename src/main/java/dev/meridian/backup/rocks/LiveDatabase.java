package dev.meridian.backup.rocks;

import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.model.OsError;
import dev.meridian.backup.store.BlockingGuard;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import org.rocksdb.Checkpoint;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.ConfigOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.Options;
import org.rocksdb.OptionsUtil;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WALRecoveryMode;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * An open RocksDB database with all its column families. Owned by one DatabaseActor; every method blocks and runs
 * on the RocksDB dispatcher.
 */
public final class LiveDatabase implements AutoCloseable {
    static {
        RocksDbLibrary.load();
        ManifestTables.preload(); // before any open: it may be the one that runs out of file descriptors
    }

    private final String name;
    private final Path path;
    private final DBOptions options;
    private final List<ColumnFamilyOptions> columnFamilyOptions;
    private final List<ColumnFamilyHandle> handles;
    private final RocksDB db;
    private final ReentrantReadWriteLock guard = new ReentrantReadWriteLock();
    private boolean closed;
    /** Set for a handle its host application opened ({@link #attach}): Meridian never closes that handle. */
    private final boolean borrowed;
    /** How the host lets go of a borrowed handle for an in-place restore; null when it registered none. */
    private final HostHandOff handOff;
    /** The owner's db_paths Meridian opened with (empty: every SST in {@link #path}); empty for a borrowed handle. */
    private List<DbPath> dbPaths = List.of();

    private LiveDatabase(String name, Path path, DBOptions options, List<ColumnFamilyOptions> columnFamilyOptions,
            List<ColumnFamilyHandle> handles, RocksDB db) {
        this(name, path, options, columnFamilyOptions, handles, db, false, null);
    }

    private LiveDatabase(String name, Path path, DBOptions options, List<ColumnFamilyOptions> columnFamilyOptions,
            List<ColumnFamilyHandle> handles, RocksDB db, boolean borrowed, HostHandOff handOff) {
        this.name = name;
        this.path = path;
        this.options = options;
        this.columnFamilyOptions = columnFamilyOptions;
        this.handles = handles;
        this.db = db;
        this.borrowed = borrowed;
        this.handOff = handOff;
    }

    /**
     * Wraps a handle the host application opened with its own options (the embedding API). Meridian uses it for
     * checkpoints and reads, and never closes it: {@link #close} only stops Meridian's own use. {@code handOff}
     * (may be null) is how the host releases and reopens it for an in-place restore.
     *
     * @param columnFamilies every column family's handle, the default one included
     * @throws BackupException INVALID_ARGUMENT when the handle's directory is not {@code path}, or a column family
     *         handle is missing
     */
    public static LiveDatabase attach(String name, Path path, RocksDB db, List<ColumnFamilyHandle> columnFamilies,
            HostHandOff handOff) {
        Path opened = Path.of(db.getName()).toAbsolutePath().normalize();
        if (!sameDirectory(opened, path)) {
            throw BackupException.invalid("the RocksDB handle registered for database " + name + " is open at " + opened
                    + ", but the configuration puts " + name + " at " + path + "; register the handle of that"
                    + " directory, or fix the path in the configuration");
        }
        boolean hasDefault = columnFamilies.stream().anyMatch(h -> {
            try {
                return java.util.Arrays.equals(h.getName(), RocksDB.DEFAULT_COLUMN_FAMILY);
            } catch (RocksDBException e) {
                return false;
            }
        });
        if (!hasDefault) {
            throw BackupException.invalid("the column family handles registered for database " + name + " do not"
                    + " include the default column family; pass every handle RocksDB.open returned");
        }
        return new LiveDatabase(name, path, null, List.of(), List.copyOf(columnFamilies), db, true, handOff);
    }

    private static boolean sameDirectory(Path a, Path b) {
        try {
            return a.toRealPath().equals(b.toRealPath());
        } catch (java.io.IOException e) {
            return a.equals(b.toAbsolutePath().normalize());
        }
    }

    /** Whether the host application opened this handle (it is never closed by Meridian). */
    public boolean borrowed() {
        return borrowed;
    }

    /** Whether an in-place restore can close and reopen this database: always for Meridian's own, for a host's only with a hand-off. */
    public boolean canBeSwapped() {
        return !borrowed || handOff != null;
    }

    /**
     * Lets go of the database before a swap: Meridian's own handle is closed; for a host's, Meridian's use stops
     * (waiting for work in progress) and the host is asked to quiesce and close it.
     *
     * @throws BackupException UNAVAILABLE when the host could not close it (then nothing was swapped)
     */
    public void releaseForSwap() {
        close();
        if (!borrowed) {
            return;
        }
        try {
            handOff.quiesceAndClose();
        } catch (Exception e) {
            throw new BackupException(ErrorCode.UNAVAILABLE, "the application owning database " + name + " could not"
                    + " quiesce and close it (" + e + "); nothing was swapped", e);
        }
    }

    /**
     * Opens the database at its path again after a swap (or a rollback): Meridian's own with its OPTIONS, a host's
     * through the host's {@code reopen}, with the host's options.
     *
     * @throws BackupException UNAVAILABLE naming the cause when it does not open
     */
    public LiveDatabase reopen() {
        if (!borrowed) {
            return open(name, path, false, dbPaths);
        }
        HostHandOff.Reopened r;
        try {
            r = handOff.reopen(path);
        } catch (Exception e) {
            throw new BackupException(ErrorCode.UNAVAILABLE, "the application owning database " + name
                    + " could not reopen it at " + path + ": " + e, e);
        }
        if (r == null || r.db() == null) {
            throw new BackupException(ErrorCode.UNAVAILABLE, "the application owning database " + name
                    + " returned no handle when asked to reopen it at " + path);
        }
        return attach(name, path, r.db(), r.columnFamilies(), handOff);
    }

    /** The host's hand-off, or null (Meridian's own database, or a host that registered none). */
    public HostHandOff handOff() {
        return handOff;
    }

    /**
     * Opens the database at {@code path} the way its owner does, creating it (with RocksDB's defaults) if it is
     * missing and that is allowed.
     *
     * <p>An existing database is opened with the DB options and per-column-family options of its latest OPTIONS
     * file (so its comparator, merge operators, wal_dir, BlobDB settings and the rest are the owner's, and the
     * OPTIONS file RocksDB writes on open records them again). Only {@code max_open_files} may differ: it is
     * bounded by {@link FileDescriptorBudget}. Refused, with nothing written: a database without an OPTIONS file,
     * one whose OPTIONS name a comparator, merge operator or other object Meridian cannot construct, one whose
     * column families differ from its OPTIONS, and one whose WAL could only be replayed by dropping records.
     *
     * @throws BackupException UNAVAILABLE with the cause and what to do next
     */
    public static LiveDatabase open(String name, Path path, boolean createIfMissing) {
        return open(name, path, createIfMissing, List.of());
    }

    /**
     * {@link #open(String, Path, boolean)} with the owner's db_paths ({@code db-paths} of the database's
     * configuration; RocksDB does not record them in the OPTIONS file). Before RocksDB is called at all, every SST
     * the MANIFEST lists as live must be where RocksDB will look for it (its path_id's entry of {@code dbPaths},
     * the database directory when {@code dbPaths} is empty; a path_id past the end is refused too): else the open is
     * refused, naming the missing file and what to configure, and nothing on disk changes (not even the LOG). An
     * existing database's db paths must exist; a new one's are created (create-if-missing).
     *
     * @param dbPaths absolute directories in the owner's order (path_id 0 first), or empty
     * @throws BackupException UNAVAILABLE with the cause and what to do next
     */
    public static LiveDatabase open(String name, Path path, boolean createIfMissing, List<DbPath> dbPaths) {
        BlockingGuard.check("open database " + name);
        boolean exists = Files.isRegularFile(path.resolve("CURRENT"));
        if (!exists) {
            refuseDanglingSymlink(name, path);
        }
        if (!exists && !createIfMissing) {
            throw new BackupException(ErrorCode.UNAVAILABLE, "database " + name + " does not exist at " + path
                    + "; set create-if-missing = true for it, or fix its path in the configuration");
        }
        LiveDatabase db;
        if (exists) {
            refuseMissingDbPaths(name, path, dbPaths);
            refuseMisplacedTables(name, path, dbPaths);
            db = openExisting(name, path, dbPaths);
        } else {
            db = create(name, path, dbPaths);
        }
        db.dbPaths = List.copyOf(dbPaths);
        return db;
    }

    /** An existing database's db paths must exist: a missing one is a typo or an unmounted volume, not a new path. */
    private static void refuseMissingDbPaths(String name, Path path, List<DbPath> dbPaths) {
        for (int i = 0; i < dbPaths.size(); i++) {
            Path dir = dbPaths.get(i).path();
            if (!Files.isDirectory(dir)) {
                throw new BackupException(ErrorCode.UNAVAILABLE, "database " + name + " at " + path + " was not opened:"
                        + " its db-paths[" + i + "] " + dir + " is not a directory. Nothing was changed. Mount or"
                        + " create it, or fix db-paths to list the directories the owning application passes to"
                        + " Options.setDbPaths, in the same order");
            }
        }
    }

    /**
     * Every live SST of the MANIFEST where RocksDB will look for it (path_id i in db_paths[i]), or refused before
     * any RocksDB call: RocksDB's own open rotates the LOG before it fails on a missing SST, and RocksDB 11.8 aborts
     * the whole process (std::bad_alloc) on a path_id past the end of its db_paths. A MANIFEST Meridian cannot read
     * leaves the decision to RocksDB's own open.
     */
    private static void refuseMisplacedTables(String name, Path path, List<DbPath> dbPaths) {
        Optional<List<ManifestTables.Table>> tables;
        try {
            tables = ManifestTables.read(path);
        } catch (java.io.IOException e) {
            return; // RocksDB's open reports an unreadable CURRENT or MANIFEST with its own words
        }
        if (tables.isEmpty()) {
            return;
        }
        List<Path> dirs = dbPaths.isEmpty() ? List.of(path) : dbPaths.stream().map(DbPath::path).toList();
        List<java.util.Set<String>> present = new ArrayList<>();
        for (Path dir : dirs) {
            try (java.util.stream.Stream<Path> files = Files.list(dir)) {
                present.add(files.map(f -> f.getFileName().toString()).collect(java.util.stream.Collectors.toSet()));
            } catch (java.io.IOException e) {
                throw openFailure(name, path, "its SST directory " + dir + " cannot be listed: " + e.getMessage(), e, -1);
            }
        }
        List<ManifestTables.Table> missing = new ArrayList<>();
        for (ManifestTables.Table t : tables.get()) {
            if (t.pathId() >= dirs.size()) {
                missing.add(t); // past the end of db_paths: RocksDB 11.8 aborts the process (std::bad_alloc)
                continue;
            }
            String legacy = t.fileName().replace(".sst", ".ldb"); // RocksDB still opens LevelDB's suffix
            if (!present.get(t.pathId()).contains(t.fileName()) && !present.get(t.pathId()).contains(legacy)) {
                missing.add(t);
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        ManifestTables.Table first = missing.get(0);
        String expected = first.pathId() < dirs.size() ? dirs.get(first.pathId()).resolve(first.fileName()).toString()
                : first.fileName() + " in db_paths entry " + first.pathId() + " of the owner";
        long outside = missing.stream().filter(t -> t.pathId() > 0).count();
        String which = "its MANIFEST lists " + missing.size() + " live SST file(s) that are not where RocksDB would"
                + " look for them, the first " + expected + " (path_id " + first.pathId() + ")";
        String advice;
        if (dbPaths.isEmpty() && outside > 0) {
            advice = outside + " of them have path_id > 0: the owning application spreads its SSTs over several"
                    + " directories with Options.setDbPaths, which RocksDB does not record in the OPTIONS file. Set"
                    + " db-paths for database " + name + " to the directories and target sizes the owner passes, in"
                    + " the same order (path_id 0 first), e.g. db-paths = [{ path = \"/data/" + name + "\","
                    + " target-size = 100GiB }, { path = \"/data/" + name + "-cold\", target-size = 1TiB }]";
        } else if (dbPaths.isEmpty()) {
            advice = "If the owning application passes db_paths (Options.setDbPaths), set db-paths for database " + name
                    + " to the same directories and target sizes in the same order (the first may be a directory"
                    + " other than " + path + "); otherwise these files are lost, and the database needs a restore";
        } else {
            advice = "Check that db-paths lists every directory the owning application passes to Options.setDbPaths,"
                    + " in the same order (path_id 0 is the first entry)";
        }
        throw new BackupException(ErrorCode.UNAVAILABLE, "database " + name + " at " + path + " was not opened: "
                + which + ". Nothing was changed (RocksDB was not called, so it neither wrote nor deleted anything). "
                + advice);
    }

    private static LiveDatabase create(String name, Path path, List<DbPath> dbPaths) {
        int maxOpenFiles = FileDescriptorBudget.perDatabase();
        DBOptions options = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)
                .setMaxOpenFiles(maxOpenFiles);
        options.setDbPaths(rocksDbPaths(dbPaths));
        List<ColumnFamilyDescriptor> descriptors = List.of(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY));
        try {
            Files.createDirectories(path);
            List<ColumnFamilyHandle> handles = new ArrayList<>();
            RocksDB db = RocksDB.open(options, path.toString(), descriptors, handles);
            return new LiveDatabase(name, path, options, List.of(), handles, db);
        } catch (java.io.IOException e) {
            options.close();
            throw new BackupException(ErrorCode.UNAVAILABLE, "database " + name + " cannot be created at " + path
                    + ": " + e.getMessage() + "; check that the parent directory exists and is writable", e);
        } catch (RocksDBException e) {
            options.close();
            throw openFailure(name, path, e, maxOpenFiles);
        }
    }

    private static java.util.List<org.rocksdb.DbPath> rocksDbPaths(List<DbPath> dbPaths) {
        return dbPaths.stream().map(p -> new org.rocksdb.DbPath(p.path(), p.targetSizeBytes())).toList();
    }

    private static LiveDatabase openExisting(String name, Path path, List<DbPath> dbPaths) {
        OptionsFile owner = ownerOptions(name, path);
        DBOptions options = new DBOptions();
        List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
        int maxOpenFiles = -1;
        try {
            loadOwnerOptions(name, path, owner, options, descriptors);
            // db_paths are not in the OPTIONS file: the configuration's, so RocksDB finds and places SSTs as the owner's does
            options.setDbPaths(rocksDbPaths(dbPaths));
            long ssts = sstCount(name, path);
            for (DbPath p : dbPaths) {
                ssts += p.path().equals(path.normalize()) ? 0 : sstCount(name, p.path());
            }
            maxOpenFiles = FileDescriptorBudget.maxOpenFiles(options.maxOpenFiles(), ssts);
            // create_if_missing and create_missing_column_families stay the owner's: the database and every
            // column family it has are opened, so they cannot create anything, and the OPTIONS file keeps them.
            // error_if_exists is the owner's check at creation (RocksDB's bench tools and some apps set it); on an
            // existing database it would refuse every open, and it says nothing about how the data is read.
            options.setMaxOpenFiles(maxOpenFiles).setErrorIfExists(false);
            refuseLogsOutsideWalDir(name, path, options.walDir());
            replayWalOrRefuse(name, path, options, descriptors);
            List<ColumnFamilyHandle> handles = new ArrayList<>();
            RocksDB db = RocksDB.open(options, path.toString(), descriptors, handles);
            return new LiveDatabase(name, path, options, columnFamilyOptions(descriptors), handles, db);
        } catch (RocksDBException e) {
            closeAll(options, descriptors);
            throw openFailure(name, path, e, maxOpenFiles);
        } catch (RuntimeException e) {
            closeAll(options, descriptors);
            throw e;
        }
    }

    private static long sstCount(String name, Path path) {
        try (java.util.stream.Stream<Path> files = Files.list(path)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".sst")).count();
        } catch (java.io.IOException e) {
            throw openFailure(name, path, "its directory cannot be listed: " + e.getMessage(), e, -1);
        }
    }

    /** The owner's latest OPTIONS file, checked for objects Meridian cannot construct. */
    private static OptionsFile ownerOptions(String name, Path path) {
        OptionsFile owner;
        try {
            owner = OptionsFile.latest(path).orElseThrow(() -> new BackupException(ErrorCode.UNAVAILABLE, "database "
                    + name + " at " + path + " was not opened: it has no OPTIONS file, so Meridian cannot know the"
                    + " comparator and merge operators it was written with. Open it once with its owning application"
                    + " (RocksDB writes an OPTIONS file on every open), then retry"));
        } catch (java.io.IOException e) {
            throw openFailure(name, path, "its OPTIONS file cannot be read: " + e.getMessage(), e, -1);
        }
        List<OptionsFile.Unconstructible> foreign = owner.unconstructible();
        if (!foreign.isEmpty()) {
            StringBuilder what = new StringBuilder();
            for (OptionsFile.Unconstructible u : foreign) {
                what.append(what.length() == 0 ? "" : "; ").append("column family '").append(u.columnFamily())
                        .append("' has ").append(u.option()).append('=').append(u.value());
            }
            throw new BackupException(ErrorCode.UNAVAILABLE, "database " + name + " at " + path + " was not opened: "
                    + what + " (" + owner.file().getFileName() + "), which is the owning application's own code;"
                    + " Meridian cannot construct it, and opening without it would misread the data or drop the"
                    + " WAL records that need it. Nothing was changed. Back it up from the owning process: embed"
                    + " Meridian in that application, or have it hand Meridian checkpoints");
        }
        return owner;
    }

    /** Fills {@code options} and {@code descriptors} from the latest OPTIONS file, one descriptor per column family. */
    private static void loadOwnerOptions(String name, Path path, OptionsFile owner, DBOptions options,
            List<ColumnFamilyDescriptor> descriptors) throws RocksDBException {
        try (ConfigOptions config = new ConfigOptions().setIgnoreUnknownOptions(false)) {
            OptionsUtil.loadLatestOptions(config, path.toString(), options, descriptors);
        }
        List<String> inManifest = new ArrayList<>();
        try (Options listOptions = new Options()) {
            for (byte[] cf : RocksDB.listColumnFamilies(listOptions, path.toString())) {
                inManifest.add(new String(cf, StandardCharsets.UTF_8));
            }
        }
        List<String> inOptions = descriptors.stream().map(d -> new String(d.getName(), StandardCharsets.UTF_8)).toList();
        if (!new java.util.HashSet<>(inManifest).equals(new java.util.HashSet<>(inOptions))) {
            throw new BackupException(ErrorCode.UNAVAILABLE, "database " + name + " at " + path + " was not opened:"
                    + " its column families " + inManifest + " differ from those in " + owner.file().getFileName()
                    + " " + inOptions + ", so some would open with options that are not the owner's. Open it once"
                    + " with its owning application so RocksDB rewrites its OPTIONS file, then retry");
        }
    }

    /**
     * Proves the WAL replays completely before the read-write open. The owner's wal_recovery_mode may be
     * point-in-time or skip-any, which stop at (or skip) a record that fails and then delete the log; a read-only
     * open with "tolerate only a torn last record" fails instead and changes nothing on disk. Not needed when the
     * owner's mode is already that strict or there is no WAL.
     */
    private static void replayWalOrRefuse(String name, Path path, DBOptions options, List<ColumnFamilyDescriptor> descriptors)
            throws RocksDBException {
        WALRecoveryMode ownerMode = options.walRecoveryMode();
        if (ownerMode == WALRecoveryMode.TolerateCorruptedTailRecords || ownerMode == WALRecoveryMode.AbsoluteConsistency
                || !hasWal(path, options.walDir())) {
            return;
        }
        options.setWalRecoveryMode(WALRecoveryMode.TolerateCorruptedTailRecords);
        RocksDBException strict;
        try {
            openReadOnlyAndClose(path, options, descriptors);
            return;
        } catch (RocksDBException e) {
            strict = e;
        } finally {
            options.setWalRecoveryMode(ownerMode);
        }
        // Only the strict replay's fault if the owner's mode gets past it: else report the real cause as it is.
        openReadOnlyAndClose(path, options, descriptors);
        throw new BackupException(ErrorCode.UNAVAILABLE, "database " + name + " at " + path + " was not opened:"
                + " its write-ahead log does not replay completely (" + strict.getMessage() + "), and its"
                + " wal_recovery_mode " + ownerMode + " would drop the records that follow. Nothing was changed. Let"
                + " the owning application recover it (or repair it), then retry", strict);
    }

    private static void openReadOnlyAndClose(Path path, DBOptions options, List<ColumnFamilyDescriptor> descriptors)
            throws RocksDBException {
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        try (RocksDB ro = RocksDB.openReadOnly(options, path.toString(), descriptors, handles)) {
            handles.forEach(ColumnFamilyHandle::close);
        }
    }

    /**
     * A database whose OPTIONS put the WAL in another directory, yet with .log files in its own directory, was
     * copied from a checkpoint or backup (they put the WAL beside the SSTs). RocksDB would ignore those files and
     * replay whatever the wal_dir holds (the WAL of the database that was there before), so this is refused.
     */
    private static void refuseLogsOutsideWalDir(String name, Path path, String walDir) {
        if (separateWalDir(path, walDir).isEmpty()) {
            return;
        }
        if (hasWal(path, null)) {
            throw new BackupException(ErrorCode.UNAVAILABLE, "database " + name + " at " + path + " was not opened:"
                    + " its OPTIONS put the write-ahead log in " + walDir + ", but its own directory holds .log files,"
                    + " as a copy restored from a checkpoint or backup does. Opening it would ignore them and replay "
                    + walDir + " instead. Nothing was changed. Restore into a new directory, or move those .log files"
                    + " into " + walDir + " in place of the ones there, then retry");
        }
    }

    /** {@code walDir} when it names a directory other than the database's own, else empty. */
    private static String separateWalDir(Path path, String walDir) {
        return walDir == null || walDir.isEmpty() || path.resolve(walDir).normalize().equals(path.normalize()) ? "" : walDir;
    }

    private static boolean hasWal(Path path, String walDir) {
        Path dir = walDir == null || walDir.isEmpty() ? path : path.resolve(walDir);
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            return files.anyMatch(f -> f.getFileName().toString().endsWith(".log"));
        } catch (java.io.IOException e) {
            return true; // let the read-only replay report what is wrong with it
        }
    }

    private static List<ColumnFamilyOptions> columnFamilyOptions(List<ColumnFamilyDescriptor> descriptors) {
        return descriptors.stream().map(ColumnFamilyDescriptor::getOptions).toList();
    }

    private static void closeAll(DBOptions options, List<ColumnFamilyDescriptor> descriptors) {
        columnFamilyOptions(descriptors).forEach(ColumnFamilyOptions::close);
        options.close();
    }

    /**
     * The error for a failed open, by its real cause: descriptor exhaustion, a held lock, or whatever RocksDB said.
     * Visible for the test of each wording.
     */
    static BackupException openFailure(String name, Path path, RocksDBException e, int maxOpenFiles) {
        return openFailure(name, path, e.getMessage(), e, maxOpenFiles);
    }

    private static BackupException openFailure(String name, Path path, String cause, Exception e, int maxOpenFiles) {
        cause = String.valueOf(cause);
        String lower = cause.toLowerCase(java.util.Locale.ROOT);
        String advice;
        if (lower.contains("too many open files")) {
            long limit = FileDescriptorBudget.processLimit();
            advice = "the process ran out of file descriptors (its open-file limit is "
                    + (limit > 0 ? Long.toString(limit) : "unknown") + ", and this database may keep "
                    + (maxOpenFiles > 0 ? maxOpenFiles + " table files" : "every table file") + " open). Raise the"
                    + " limit (ulimit -n, or LimitNOFILE= for a systemd service), or lower max_open_files in the"
                    + " database's options";
        } else if (lower.contains("while lock file") || lower.contains("lock hold by") || cause.contains("/LOCK:")) {
            advice = "another process, or another Meridian, holds its LOCK file. Stop that process, or back the"
                    + " database up from the process that owns it";
        } else {
            advice = "RocksDB's LOG file in " + path + " has the details";
        }
        return new BackupException(ErrorCode.UNAVAILABLE, "database " + name + " at " + path + " cannot be opened: "
                + cause + "; " + advice, e);
    }

    public String name() {
        return name;
    }

    /**
     * The owner's separate WAL directory ({@code wal_dir} of its OPTIONS), or empty when the WAL lives in the
     * database directory.
     */
    public String walDir() {
        if (borrowed) {
            return use("read wal_dir", () -> separateWalDir(path, OptionsFile.walDirOf(path)));
        }
        return use("read wal_dir", () -> separateWalDir(path, options.walDir()));
    }

    public Path path() {
        return path;
    }

    /**
     * The directories other than {@link #path} where RocksDB keeps this database's SSTs: the configured db-paths
     * of Meridian's own handle, or, for a handle its application opened, the directories of its live SSTs (a copy
     * in one directory cannot be put back there by a rename).
     */
    public List<Path> tableDirectoriesElsewhere() {
        Path own = path.toAbsolutePath().normalize();
        if (!borrowed) {
            return dbPaths.stream().map(DbPath::path).filter(p -> !p.equals(own)).toList();
        }
        return use("list the live SST files", () -> db.getLiveFilesMetaData().stream()
                .map(f -> Path.of(f.path()).toAbsolutePath().normalize()).filter(p -> !p.equals(own)).distinct().toList());
    }

    /** The raw handle, for embedding applications and tests that write to the database. */
    public RocksDB handle() {
        return db;
    }

    /** The handles of all column families, in the order of the database's OPTIONS file (default first). */
    public List<ColumnFamilyHandle> columnFamilies() {
        return List.copyOf(handles);
    }

    public long latestSequenceNumber() {
        return use("read the sequence number", db::getLatestSequenceNumber);
    }

    /**
     * Runs work against the open handle. Closing waits for work in progress and refuses what comes after, so no
     * call ever reaches a freed native handle (which would crash the JVM, not throw).
     */
    public <T> T use(String what, Supplier<T> work) {
        guard.readLock().lock();
        try {
            if (closed) {
                throw new BackupException(ErrorCode.UNAVAILABLE, "database " + name + " is closed, so '" + what
                        + "' was refused; it is being restored or the service is stopping. Retry shortly");
            }
            return work.get();
        } finally {
            guard.readLock().unlock();
        }
    }

    /**
     * Writes a consistent snapshot of the database into {@code dir} (which must not exist), hard-linking SST
     * files where the filesystem allows, and returns the exact sequence number it holds.
     */
    public long checkpoint(Path dir) {
        BlockingGuard.check("checkpoint database " + name);
        return use("checkpoint", () -> checkpointOpen(dir));
    }

    private long checkpointOpen(Path dir) {
        long before = db.getLatestSequenceNumber();
        try (Checkpoint cp = Checkpoint.create(db)) {
            cp.createCheckpoint(dir.toString());
        } catch (RocksDBException e) {
            if (!refusedForDbPaths(e)) {
                throw checkpointFailed(dir, "", e);
            }
            checkpointOverDbPaths(dir);
        }
        // Nothing written while the checkpoint was taken: it holds exactly the writes up to `before`.
        // Otherwise ask the checkpoint itself (a read-only open, a few milliseconds).
        return db.getLatestSequenceNumber() == before ? before : sequenceNumberOf(dir);
    }

    /** RocksDB's Checkpoint refuses a database with more than one db_paths (or cf_paths) entry, before writing anything. */
    private static boolean refusedForDbPaths(RocksDBException e) {
        return e.getStatus() != null && e.getStatus().getCode() == org.rocksdb.Status.Code.NotSupported
                && String.valueOf(e.getMessage()).contains("db_paths");
    }

    /** {@link DbPathsCheckpoint}: every SST linked (or copied) from the directory its db_paths entry names. */
    private void checkpointOverDbPaths(Path dir) {
        String wal = walDir();
        Path walDirectory = wal.isEmpty() ? path : path.resolve(wal);
        List<Path> sstDirs = dbPaths.stream().map(DbPath::path).toList();
        try {
            if (Files.exists(dir)) {
                dev.meridian.backup.store.file.DurableFiles.deleteTree(dir); // nothing of RocksDB's refused attempt stays
            }
            DbPathsCheckpoint.create(db, path, walDirectory, sstDirs, dir);
        } catch (RocksDBException | java.io.IOException e) {
            throw checkpointFailed(dir, " (SSTs over several db_paths)", e);
        }
    }

    /** A failed checkpoint: out of space, or the cause with what to check on the checkpoint's filesystem. */
    private BackupException checkpointFailed(Path dir, String how, Exception e) {
        OsError.Kind kind = OsError.kindOf(e);
        return new BackupException(kind == OsError.Kind.NO_SPACE ? ErrorCode.INSUFFICIENT_STORAGE : ErrorCode.INTERNAL,
                "checkpoint of database " + name + how + " into " + dir + " failed: " + e.getMessage() + "; "
                        + OsError.advice(kind, "the filesystem of " + dir.getParent()), e);
    }

    /**
     * Opens a database directory (a checkpoint or a restored copy) read-only to prove it is a RocksDB database and
     * read its last sequence number. It opens with the options in the directory's own OPTIONS file (so merge
     * records in its WAL replay with their merge operator), its WAL read from the directory itself (where a
     * checkpoint puts it, whatever the owner's wal_dir), at most 64 open files, and a WAL that does not replay
     * completely is an error rather than a shorter history.
     *
     * @throws BackupException INTERNAL naming the directory and RocksDB's reason
     */
    public static long sequenceNumberOf(Path dir) {
        BlockingGuard.check("open read-only " + dir);
        try {
            return openReadOnly(dir, RocksDB::getLatestSequenceNumber, foreign -> new BackupException(ErrorCode.INTERNAL,
                    "directory " + dir + " cannot be opened by Meridian: its OPTIONS name " + foreign
                            + ", which only the owning application can construct"));
        } catch (RocksDBException | java.io.IOException e) {
            throw new BackupException(ErrorCode.INTERNAL, "directory " + dir + " is not an openable RocksDB database: "
                    + e.getMessage(), e);
        }
    }

    /** Work on a database opened read-only by {@link #openReadOnly}; its column family handles are closed after. */
    @FunctionalInterface
    public interface ReadOnlyWork<T> {
        T apply(RocksDB db) throws RocksDBException;
    }

    /**
     * Opens {@code dir} read-only as {@link #sequenceNumberOf} describes (its own OPTIONS, its WAL from the directory
     * itself, at most 64 open files, a WAL that does not replay completely is an error), runs {@code work}, closes.
     * Blocks.
     *
     * @throws BackupException the one {@code foreign} makes when the OPTIONS name a comparator, merge operator or
     *     other object only the owning application can construct (nothing is opened then)
     * @throws RocksDBException when RocksDB refuses the open or {@code work} fails
     * @throws java.io.IOException when the OPTIONS file cannot be read
     */
    public static <T> T openReadOnly(Path dir, ReadOnlyWork<T> work,
            java.util.function.Function<List<OptionsFile.Unconstructible>, BackupException> foreign)
            throws RocksDBException, java.io.IOException {
        DBOptions options = new DBOptions();
        List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        try {
            Optional<ManifestTables.Table> spread = ManifestTables.read(dir).orElse(List.of()).stream()
                    .filter(t -> t.pathId() > 0).findFirst();
            if (spread.isPresent()) {
                // Opened without db_paths, RocksDB 11.8 would abort the process on this path_id (std::bad_alloc).
                throw new java.io.IOException("directory " + dir + " has a MANIFEST that places SST "
                        + spread.get().fileName() + " in db_paths entry " + spread.get().pathId() + " (a copy of a"
                        + " database spread over several directories, not made by Meridian); it cannot be opened"
                        + " with the default layout");
            }
            Optional<OptionsFile> owner = OptionsFile.latest(dir);
            if (owner.isPresent()) {
                List<OptionsFile.Unconstructible> unconstructible = owner.get().unconstructible();
                if (!unconstructible.isEmpty()) {
                    throw foreign.apply(unconstructible);
                }
                try (ConfigOptions config = new ConfigOptions().setIgnoreUnknownOptions(false)) {
                    OptionsUtil.loadLatestOptions(config, dir.toString(), options, descriptors);
                }
            } else {
                try (Options listOptions = new Options()) {
                    for (byte[] cf : RocksDB.listColumnFamilies(listOptions, dir.toString())) {
                        descriptors.add(new ColumnFamilyDescriptor(cf));
                    }
                }
            }
            options.setMaxOpenFiles(64).setWalDir(dir.toString()).setCreateIfMissing(false)
                    .setWalRecoveryMode(WALRecoveryMode.TolerateCorruptedTailRecords);
            try (RocksDB ro = RocksDB.openReadOnly(options, dir.toString(), descriptors, handles)) {
                try {
                    return work.apply(ro);
                } finally {
                    handles.forEach(ColumnFamilyHandle::close);
                }
            }
        } finally {
            closeAll(options, descriptors);
        }
    }

    /** Reads every block of every SST and checks RocksDB's own checksums. */
    public void verifyChecksum() {
        BlockingGuard.check("verify checksums of " + name);
        use("verify checksums", () -> {
            try {
                db.verifyChecksum();
                return null;
            } catch (RocksDBException e) {
                throw new BackupException(ErrorCode.VERIFICATION_FAILED, "database " + name + " failed RocksDB checksum verification: " + e.getMessage(), e);
            }
        });
    }

    /** RocksDB's estimate of the number of keys, summed over all column families; -1 if RocksDB cannot tell. */
    public long estimatedKeys() {
        return longPropertySum("rocksdb.estimate-num-keys");
    }

    /** Bytes of the SST files of the current version, summed over all column families; -1 if RocksDB cannot tell. */
    public long liveSstBytes() {
        return longPropertySum("rocksdb.live-sst-files-size");
    }

    private long longPropertySum(String property) {
        return use("read " + property, () -> {
            long sum = 0;
            try {
                for (ColumnFamilyHandle h : handles) {
                    sum += db.getLongProperty(h, property);
                }
                return sum;
            } catch (RocksDBException e) {
                return -1L;
            }
        });
    }

    /** Fills an empty database with {@code count} small demo keys so a newcomer can back something up at once. */
    public int seedIfEmpty(int count) {
        BlockingGuard.check("seed database " + name);
        if (count <= 0 || db.getLatestSequenceNumber() > 0) {
            return 0;
        }
        writeDemoKeys("demo:key:", count, 42);
        return count;
    }

    /**
     * Writes {@code count} keys {@code prefix + <8-digit index>} with values of 100-499 bytes from a random generator
     * seeded with {@code seed}, in one batch, then syncs the WAL (the demo database's seed, the start-up rehearsal's
     * changes).
     *
     * @throws BackupException (internal) when RocksDB refuses the write
     */
    public void writeDemoKeys(String prefix, int count, long seed) {
        BlockingGuard.check("write to database " + name);
        SplittableRandom random = new SplittableRandom(seed);
        try (WriteBatch batch = new WriteBatch(); WriteOptions wo = new WriteOptions()) {
            for (int i = 0; i < count; i++) {
                byte[] key = String.format("%s%08d", prefix, i).getBytes(StandardCharsets.UTF_8);
                byte[] value = new byte[100 + random.nextInt(400)];
                random.nextBytes(value);
                batch.put(key, value);
            }
            db.write(wo, batch);
            db.flushWal(true);
        } catch (RocksDBException e) {
            throw new BackupException(ErrorCode.INTERNAL, "writing to database " + name + " failed: " + e.getMessage(), e);
        }
    }

    /** Closes once; waits for work in progress ({@link #use}); later calls are refused, a second close does nothing. */
    @Override
    public void close() {
        BlockingGuard.check("close database " + name);
        guard.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            if (!borrowed) {
                closeHandles();
            }
        } finally {
            guard.writeLock().unlock();
        }
    }

    private void closeHandles() {
        for (ColumnFamilyHandle h : handles) {
            h.close();
        }
        try {
            db.syncWal();
        } catch (RocksDBException e) {
            // closing still proceeds; the WAL was synced on every write that asked for it
        }
        db.close();
        options.close();
        columnFamilyOptions.forEach(ColumnFamilyOptions::close);
    }

    /**
     * Refuses a database path that is, or goes through, a symlink whose target does not exist (an unmounted volume,
     * a moved directory), naming the symlink and its missing target; nothing is created there, not even with
     * create-if-missing, since a fresh empty database in place of a missing volume would hide the fault.
     *
     * @throws BackupException UNAVAILABLE with the symlink, its target, the first missing directory and what to do
     */
    private static void refuseDanglingSymlink(String name, Path path) {
        dev.meridian.backup.store.file.ResolvedPath resolved;
        try {
            resolved = dev.meridian.backup.store.file.ResolvedPath.of(path);
        } catch (java.io.IOException e) {
            throw new BackupException(ErrorCode.UNAVAILABLE, "database " + name + " was not opened: " + e.getMessage(), e);
        }
        resolved.dangling().ifPresent(link -> {
            Path absolute = path.toAbsolutePath().normalize();
            String which = link.link().equals(absolute) || resolved.links().get(0).link().equals(absolute)
                    ? "its path " + path + " is a symlink to " + link.target()
                    : "its path " + path + " goes through the symlink " + link.link() + ", which points to " + link.target();
            Path missing = resolved.firstMissing();
            throw new BackupException(ErrorCode.UNAVAILABLE, "database " + name + " was not opened: " + which
                    + ", which does not exist (a dangling symlink"
                    + (missing.equals(link.target()) ? "" : "; missing: " + missing) + "). Nothing was created there."
                    + " If it is on a volume, mount it (the database should be at " + resolved.real() + "); if the"
                    + " database was moved, fix the symlink or the database's path in the configuration; then restart"
                    + " the service");
        });
    }
}
