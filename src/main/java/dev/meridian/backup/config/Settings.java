package dev.meridian.backup.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.RetentionPolicy;
import dev.meridian.backup.model.Schedule;
import dev.meridian.backup.model.Validation;
import dev.meridian.backup.repository.Compression;
import dev.meridian.backup.store.s3.S3Location;
import dev.meridian.backup.repository.seal.Encryption;
import dev.meridian.backup.repository.seal.Password;
import dev.meridian.backup.rocks.DbPath;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Typed settings read once from HOCON ({@code meridian.*}); every value is checked here, at startup. */
public record Settings(
        Config config,
        String httpHost,
        int httpPort,
        Path repositoryPath,
        Compression compression,
        long ioRateLimit,
        List<Path> restoreRoots,
        Map<String, DatabaseSettings> databases,
        int queueSize,
        boolean autoVerify,
        int backupParallelFiles,
        int restoreParallelFiles,
        int hashPoolSize,
        Duration backupTimeout,
        Duration verifyTimeout,
        Duration restoreTimeout,
        Duration retentionInterval,
        Duration askTimeout,
        boolean jsonLogs,
        List<AuthToken> authTokens) {

    public Settings {
        restoreRoots = List.copyOf(restoreRoots);
        authTokens = List.copyOf(authTokens);
        databases = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(databases));
    }

    /** {@code meridian.repository.encryption}: the mode a new repository is created with, and an existing one must have. */
    public Encryption encryption() {
        return Encryption.parse(config.getString("meridian.repository.encryption"));
    }

    /**
     * Where the server reads an encrypted repository's password: {@code meridian.repository.password-file} (set by
     * {@code serve --password-file}), then {@code MERIDIAN_PASSWORD_FILE}, then {@code MERIDIAN_PASSWORD}.
     */
    public Password.Source passwordSource() {
        String file = config.getString("meridian.repository.password-file");
        return Password.Source.of(file.isEmpty() ? null : absolute(file), "meridian.repository.password-file");
    }

    /** What a bearer token may do. admin implies backup, which implies read. */
    public enum Scope {
        READ, BACKUP, ADMIN;

        public boolean grants(Scope needed) {
            return this.ordinal() >= needed.ordinal();
        }

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** A bearer token from {@code meridian.auth.tokens}, with a name for the logs (never the token itself). */
    public record AuthToken(String name, String token, Set<Scope> scopes) {
        public AuthToken {
            scopes = Set.copyOf(scopes);
        }

        public boolean grants(Scope needed) {
            return scopes.stream().anyMatch(s -> s.grants(needed));
        }
    }

    /**
     * One configured database. {@code schedule} is null when scheduled backups are off. {@code dbPaths} is the
     * owner's RocksDB db_paths ({@code db-paths}), empty when its SSTs all live in {@code path}.
     */
    public record DatabaseSettings(String name, Path path, boolean createIfMissing, int seedKeys, Schedule schedule,
            Map<BackupType, RetentionPolicy> retention, Owner owner, List<Path> checkpointRoots, List<DbPath> dbPaths) {
        public DatabaseSettings {
            retention = java.util.Collections.unmodifiableMap(new EnumMap<>(retention));
            checkpointRoots = List.copyOf(checkpointRoots);
            dbPaths = List.copyOf(dbPaths);
        }

        /** A database without db-paths (its SSTs all in its own directory). */
        public DatabaseSettings(String name, Path path, boolean createIfMissing, int seedKeys, Schedule schedule,
                Map<BackupType, RetentionPolicy> retention, Owner owner, List<Path> checkpointRoots) {
            this(name, path, createIfMissing, seedKeys, schedule, retention, owner, checkpointRoots, List.of());
        }

        /** A database Meridian opens and owns ({@link Owner#MERIDIAN}), with no checkpoint roots. */
        public DatabaseSettings(String name, Path path, boolean createIfMissing, int seedKeys, Schedule schedule,
                Map<BackupType, RetentionPolicy> retention) {
            this(name, path, createIfMissing, seedKeys, schedule, retention, Owner.MERIDIAN, List.of());
        }

        public RetentionPolicy policyFor(BackupType type) {
            return retention.getOrDefault(type, RetentionPolicy.KEEP_ALL);
        }
    }

    /**
     * Who owns a database ({@code owner} of a {@code meridian.databases} element). {@code meridian}: the service
     * opens it and takes its checkpoints. {@code application}: its owning process holds it open and Meridian never
     * opens it (no LOCK, no OPTIONS written); its backups are checkpoints the owner hands over, under
     * {@code checkpoint-roots}.
     */
    public enum Owner {
        MERIDIAN, APPLICATION;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        static Owner parse(String database, String raw) {
            for (Owner o : values()) {
                if (o.wireName().equals(raw)) {
                    return o;
                }
            }
            throw BackupException.invalid("database '" + database + "': owner = \"" + Validation.printable(raw)
                    + "\" is unknown; use meridian (Meridian opens the database) or application (its owning process"
                    + " hands over checkpoints)");
        }
    }

    /** What a backup job reads: files stored at once ({@code meridian.backup.parallel-files}) and its time limit. */
    public record BackupLimits(int parallelFiles, Duration timeout) {}

    /**
     * What a restore job reads: files written at once ({@code meridian.restore.parallel-files}), its time limit, the
     * restore roots (named in its refusals), and the limits of the safety backup it takes first.
     */
    public record RestoreLimits(int parallelFiles, Duration timeout, List<Path> restoreRoots, BackupLimits safetyBackup) {
        public RestoreLimits {
            restoreRoots = List.copyOf(restoreRoots);
        }
    }

    /** What a verification reads: its time limit ({@code meridian.verify.timeout}). */
    public record VerifyLimits(Duration timeout) {}

    /** The limits of each job kind; jobs get these, never the whole settings. */
    public record JobLimits(BackupLimits backup, RestoreLimits restore, VerifyLimits verify) {}

    /** The job limits these settings give. */
    public JobLimits jobLimits() {
        BackupLimits backup = new BackupLimits(backupParallelFiles, backupTimeout);
        return new JobLimits(backup, new RestoreLimits(restoreParallelFiles, restoreTimeout, restoreRoots, backup),
                new VerifyLimits(verifyTimeout));
    }

    /**
     * Loads the configuration: system properties, then {@code file} if given, then the embedded
     * {@code application.conf}, then Pekko's reference settings.
     */
    public static Config load(Optional<Path> file) {
        ConfigFactory.invalidateCaches();
        Config defaults = ConfigFactory.parseResources("application.conf");
        Config base = ConfigFactory.systemProperties();
        if (file.isPresent()) {
            Path p = file.get();
            if (!Files.isRegularFile(p)) {
                throw BackupException.invalid("config file " + p + " does not exist or is not a file");
            }
            try {
                base = base.withFallback(ConfigFactory.parseFile(p.toFile(), ConfigParseOptions.defaults().setAllowMissing(false)));
            } catch (ConfigException e) {
                throw BackupException.invalid("config file " + p + " is not valid HOCON: " + e.getMessage());
            }
        }
        try {
            return base.withFallback(defaults).withFallback(ConfigFactory.defaultReference()).resolve();
        } catch (ConfigException e) {
            throw BackupException.invalid("configuration is invalid: " + e.getMessage());
        }
    }

    /**
     * Reads and checks the settings of a loaded configuration.
     *
     * @throws BackupException (invalid_argument) naming the key, for a bad value or for a key under {@code meridian}
     *         that nothing reads ({@link ConfigKeys})
     */
    public static Settings from(Config c) {
        try {
            ConfigKeys.check(c);
            return parse(c);
        } catch (ConfigException e) {
            throw BackupException.invalid("configuration is invalid: " + e.getMessage());
        }
    }

    private static Settings parse(Config c) {
        Config m = c.getConfig("meridian");
        int port = m.getInt("http.port");
        if (port < 0 || port > 65535) {
            throw BackupException.invalid("meridian.http.port " + port + " is out of range 0..65535");
        }
        Path repo = repositoryDirectory(m);
        List<Path> roots = new ArrayList<>();
        for (String r : m.getStringList("restore-roots")) {
            roots.add(absolute(r));
        }
        Map<String, DatabaseSettings> dbs = new LinkedHashMap<>();
        Set<Path> paths = new HashSet<>();
        List<Path> checkpointRoots = new ArrayList<>();
        for (String r : m.getStringList("checkpoint-roots")) {
            checkpointRoots.add(absolute(r));
        }
        boolean embedded = m.hasPath("embedded") && m.getBoolean("embedded");
        for (Config d : m.getConfigList("databases")) {
            DatabaseSettings db = database(d, checkpointRoots, embedded);
            if (dbs.putIfAbsent(db.name(), db) != null) {
                throw BackupException.invalid("meridian.databases lists '" + db.name() + "' twice; names must be unique");
            }
            if (!paths.add(db.path())) {
                throw BackupException.invalid("meridian.databases: two databases share the path " + db.path());
            }
            if (db.path().startsWith(repo) || repo.startsWith(db.path())) {
                throw BackupException.invalid("database '" + db.name() + "' at " + db.path()
                        + " overlaps the repository at " + repo + "; keep them in separate directories");
            }
        }
        Path state = stateDir(m, dbs);
        checkDbPaths(dbs, repo, state);
        checkCheckpointRoots(dbs, repo, state);
        Encryption.parse(m.getString("repository.encryption"));
        replicas(m, repo, dbs);
        long rate = m.getBytes("io.rate-limit");
        if (rate < 0) {
            throw BackupException.invalid("meridian.io.rate-limit must be >= 0 (0 = unlimited)");
        }
        return new Settings(c, m.getString("http.host"), port, repo,
                Compression.parse(m.getString("repository.compression")), rate, roots, dbs,
                positive(m, "database.queue-size"), m.getBoolean("backup.auto-verify"),
                positive(m, "backup.parallel-files"), positive(m, "restore.parallel-files"),
                positive(m, "hash-dispatcher.thread-pool-executor.fixed-pool-size"),
                m.getDuration("backup.timeout"), m.getDuration("verify.timeout"), m.getDuration("restore.timeout"),
                m.getDuration("retention.interval"), m.getDuration("ask-timeout"), m.getBoolean("log.json"),
                tokens(m));
    }

    /**
     * {@code meridian.state-dir}, absolute (a relative path resolves against the working directory, as the
     * repository path does): the local state (job journal, fingerprint and catalog caches), one directory per
     * repository under it.
     */
    public Path stateDir() {
        return stateDir(config.getConfig("meridian"), databases);
    }

    private static Path stateDir(Config m, Map<String, DatabaseSettings> dbs) {
        String raw = m.getString("state-dir");
        if (raw.isBlank()) {
            throw BackupException.invalid("meridian.state-dir is empty; set it to a local directory the service can"
                    + " create and write (default var/state)");
        }
        Path state = absolute(raw);
        for (DatabaseSettings db : dbs.values()) {
            if (state.startsWith(db.path()) || db.path().startsWith(state)) {
                throw BackupException.invalid("meridian.state-dir " + state + " overlaps database '" + db.name() + "' at "
                        + db.path() + "; keep them in separate directories");
            }
        }
        return state;
    }

    /**
     * The repository's local directory: {@code meridian.repository.url} when it is a directory, else
     * {@code meridian.repository.path} (with an s3:// URL, path is the local working directory). Checks the S3
     * settings too.
     *
     * @throws BackupException (invalid_argument) when url is a directory and an explicitly set path names another one,
     *         or the s3:// URL, its endpoint or the lock TTL is malformed
     */
    private static Path repositoryDirectory(Config m) {
        String url = m.getString("repository.url").trim();
        Path path = absolute(m.getString("repository.path"));
        if (url.isEmpty()) {
            return path;
        }
        if (S3Location.isS3Url(url)) {
            // The repository is the bucket; path stays the local working directory (upload spool, journal, caches).
            s3Location(m);
            Duration ttl = m.getDuration("repository.s3.lock-ttl");
            if (ttl.toMillis() < 1000) {
                throw BackupException.invalid("meridian.repository.s3.lock-ttl " + ttl + " is too short; use at least 1s (default 60s)");
            }
            return path;
        }
        Path dir = absolute(url.startsWith("file://") ? url.substring("file://".length()) : url);
        boolean pathSet = !m.getString("repository.path")
                .equals(ConfigFactory.parseResources("application.conf").getString("meridian.repository.path"));
        if (pathSet && !dir.equals(path)) {
            throw BackupException.invalid("meridian.repository.url is " + dir + " and meridian.repository.path is " + path
                    + "; they name two repositories. Keep one of them");
        }
        return dir;
    }

    private static Optional<S3Location> s3Location(Config m) {
        String url = m.getString("repository.url").trim();
        if (!S3Location.isS3Url(url)) {
            return Optional.empty();
        }
        return Optional.of(S3Location.parse(url, m.getString("repository.s3.endpoint"), m.getString("repository.s3.region"),
                m.getBoolean("repository.s3.path-style")));
    }

    /** The S3 repository of {@code meridian.repository.url}, or empty when the repository is a local directory. */
    public Optional<S3Location> s3Repository() {
        return s3Location(config.getConfig("meridian"));
    }

    /** {@code meridian.repository.s3.lock-ttl}: how long an S3 repository lock lasts without a refresh. */
    public Duration s3LockTtl() {
        return config.getDuration("meridian.repository.s3.lock-ttl");
    }

    /**
     * One {@code meridian.repository.replicas} element: a repository that receives a copy of every backup the
     * primary publishes (docs/operations.md, "Replicas").
     *
     * @param name       unique among the replicas: [a-z0-9][a-z0-9_-]{0,62}; the {@code replica} label of its metrics
     * @param url        as configured ({@code s3://bucket/prefix} or a directory)
     * @param s3         the S3 location when {@code url} is s3://, else empty
     * @param directory  the absolute directory when {@code url} is not s3://, else null
     * @param lockTtl    the S3 lock object's time to live ({@code s3.lock-ttl}, default the primary's)
     * @param encryption the mode a new replica is created with, and an existing one must have
     * @param password   {@code password-file} only (never the primary's environment variables)
     */
    public record Replica(String name, String url, Optional<S3Location> s3, Path directory, Duration lockTtl,
            Encryption encryption, Password.Source password) {
        /** The replica's URL, with the endpoint for S3: for logs and errors. */
        public String describe() {
            return s3.map(S3Location::describe).orElse(directory == null ? url : directory.toString());
        }
    }

    private static final java.util.regex.Pattern REPLICA_NAME = java.util.regex.Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");

    /** {@code meridian.repository.replicas}, checked; empty by default. */
    public List<Replica> replicas() {
        return replicas(config.getConfig("meridian"), repositoryPath, databases);
    }

    /** {@code meridian.repository.replica-interval}: how often each replica is compared with the primary (default 5m). */
    public Duration replicaInterval() {
        return config.getDuration("meridian.repository.replica-interval");
    }

    /**
     * Reads and checks the replicas. A key read from an element must be listed in {@link ConfigKeys#REPLICA}.
     *
     * @throws BackupException (invalid_argument) naming the replica and the key: a bad or duplicate name, a missing or
     *         malformed url, a url that is the primary repository (or a database's directory), an unknown encryption,
     *         aes-256-gcm without a password-file, or a password file that is not a readable file
     */
    private static List<Replica> replicas(Config m, Path primaryDir, Map<String, DatabaseSettings> dbs) {
        List<Replica> out = new ArrayList<>();
        if (m.getDuration("repository.replica-interval").toMillis() < 1000) {
            throw BackupException.invalid("meridian.repository.replica-interval " + m.getDuration("repository.replica-interval")
                    + " is too short; use at least 1s (default 5m)");
        }
        Optional<S3Location> primaryS3 = s3Location(m);
        Set<String> names = new HashSet<>();
        Set<String> places = new HashSet<>();
        int i = 0;
        for (Config r : m.getConfigList("repository.replicas")) {
            String at = "meridian.repository.replicas[" + i++ + "]";
            String name = r.hasPath("name") ? r.getString("name") : "";
            if (!REPLICA_NAME.matcher(name).matches()) {
                throw BackupException.invalid(at + ".name '" + name + "' is not a replica name: 1..63 characters a-z, 0-9,"
                        + " '_', '-', starting with a letter or digit (it labels the replica's metrics)");
            }
            at = "replica '" + name + "'";
            if (!names.add(name)) {
                throw BackupException.invalid("meridian.repository.replicas lists " + at + " twice; names must be unique");
            }
            String url = r.hasPath("url") ? r.getString("url").trim() : "";
            if (url.isEmpty()) {
                throw BackupException.invalid(at + " has no url; set it to s3://bucket/prefix or a directory");
            }
            Optional<S3Location> s3 = Optional.empty();
            Path dir = null;
            String place;
            if (S3Location.isS3Url(url)) {
                Config s = r.hasPath("s3") ? r.getConfig("s3") : ConfigFactory.empty();
                try {
                    s3 = Optional.of(S3Location.parse(url, s.hasPath("endpoint") ? s.getString("endpoint") : "",
                            s.hasPath("region") ? s.getString("region") : m.getString("repository.s3.region"),
                            s.hasPath("path-style") && s.getBoolean("path-style")));
                } catch (BackupException e) {
                    throw BackupException.invalid(at + ": " + e.getMessage().replace("meridian.repository.s3.", "s3."));
                }
                place = s3.get().bucket() + "/" + s3.get().prefix() + " at " + s3.get().endpoint().map(Object::toString).orElse("");
                if (primaryS3.isPresent() && primaryS3.get().bucket().equals(s3.get().bucket())
                        && primaryS3.get().prefix().equals(s3.get().prefix())
                        && primaryS3.get().endpoint().equals(s3.get().endpoint())) {
                    throw BackupException.invalid(at + " at " + url + " is the primary repository; a replica must be"
                            + " another bucket or prefix");
                }
            } else {
                dir = absolute(url.startsWith("file://") ? url.substring("file://".length()) : url);
                place = dir.toString();
                if (primaryS3.isEmpty() && (dir.startsWith(primaryDir) || primaryDir.startsWith(dir))) {
                    throw BackupException.invalid(at + " at " + dir + (dir.equals(primaryDir) ? " is" : " overlaps")
                            + " the primary repository at " + primaryDir + "; a replica must be a separate directory,"
                            + " ideally on another disk or host");
                }
                for (DatabaseSettings db : dbs.values()) {
                    if (dir.startsWith(db.path()) || db.path().startsWith(dir)) {
                        throw BackupException.invalid(at + " at " + dir + " overlaps database '" + db.name() + "' at "
                                + db.path() + "; keep them in separate directories");
                    }
                }
            }
            if (!places.add(place)) {
                throw BackupException.invalid(at + " at " + url + " is the same repository as another replica; list it once");
            }
            Duration ttl = r.hasPath("s3.lock-ttl") ? r.getDuration("s3.lock-ttl") : m.getDuration("repository.s3.lock-ttl");
            if (ttl.toMillis() < 1000) {
                throw BackupException.invalid(at + ": s3.lock-ttl " + ttl + " is too short; use at least 1s (default 60s)");
            }
            Encryption encryption;
            try {
                encryption = Encryption.parse(r.hasPath("encryption") ? r.getString("encryption") : "none");
            } catch (BackupException e) {
                throw BackupException.invalid(at + ": " + e.getMessage());
            }
            if (!r.hasPath("encryption") && Encryption.parse(m.getString("repository.encryption")) != Encryption.NONE) {
                // A replica of an encrypted primary is never plaintext by default: that must be a visible choice.
                throw BackupException.invalid(at + " sets no encryption, but the primary repository is encrypted "
                        + "(meridian.repository.encryption = " + m.getString("repository.encryption") + "), so its copies "
                        + "would be plaintext; set encryption = \"aes-256-gcm\" with a password-file, or encryption = "
                        + "\"none\" to copy in plaintext on purpose");
            }
            String file = r.hasPath("password-file") ? r.getString("password-file").trim() : "";
            Password.Source password = Password.Source.none();
            if (!file.isEmpty()) {
                Path p = absolute(file);
                if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
                    throw BackupException.invalid(at + ": password-file " + p + " is not a readable file; check the path"
                            + " and its permissions");
                }
                password = new Password.Source(p, "meridian.repository.replicas '" + name + "' password-file", Map.of());
            } else if (encryption == Encryption.AES_256_GCM) {
                throw BackupException.invalid(at + " has encryption = aes-256-gcm but no password-file; set password-file"
                        + " to a file whose first line is the replica's password");
            }
            out.add(new Replica(name, url, s3, dir, ttl, encryption, password));
        }
        return List.copyOf(out);
    }

    /** {@code meridian.auth.tokens}. A key read from an element must be listed in {@link ConfigKeys#TOKEN}. */
    private static List<AuthToken> tokens(Config m) {
        List<AuthToken> out = new ArrayList<>();
        if (!m.hasPath("auth.tokens")) {
            return out;
        }
        int i = 0;
        for (Config t : m.getConfigList("auth.tokens")) {
            i++;
            String name = t.hasPath("name") ? t.getString("name") : "token-" + i;
            String token = t.getString("token");
            if (token.length() < 16) {
                throw BackupException.invalid("meridian.auth.tokens: token '" + name + "' is shorter than 16 characters; use a long random value");
            }
            Set<Scope> scopes = new HashSet<>();
            for (String s : t.getStringList("scopes")) {
                try {
                    scopes.add(Scope.valueOf(s.toUpperCase(java.util.Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    throw BackupException.invalid("meridian.auth.tokens: token '" + name + "' has unknown scope '" + s + "'; use read, backup or admin");
                }
            }
            if (scopes.isEmpty()) {
                throw BackupException.invalid("meridian.auth.tokens: token '" + name + "' has no scopes; give read, backup or admin");
            }
            out.add(new AuthToken(name, token, scopes));
        }
        return out;
    }

    /**
     * A checkpoint root holds directories that the owning application writes and Meridian may remove: it must not
     * lie in the repository, the state directory or any database directory, nor contain a database directory.
     */
    private static void checkCheckpointRoots(Map<String, DatabaseSettings> dbs, Path repo, Path state) {
        for (DatabaseSettings db : dbs.values()) {
            for (Path root : db.checkpointRoots()) {
                if (root.startsWith(repo) || repo.startsWith(root) || root.startsWith(state) || state.startsWith(root)) {
                    throw BackupException.invalid("database '" + db.name() + "': checkpoint root " + root
                            + " overlaps the repository at " + repo + " or the state directory at " + state
                            + "; give the owning application a directory of its own");
                }
                for (DatabaseSettings other : dbs.values()) {
                    if (root.startsWith(other.path()) || other.path().startsWith(root)) {
                        throw BackupException.invalid("database '" + db.name() + "': checkpoint root " + root
                                + " overlaps database '" + other.name() + "' at " + other.path()
                                + "; put checkpoints in a directory beside the database, not in or around it");
                    }
                }
            }
        }
    }

    /**
     * One {@code meridian.databases} element. A key read here must be listed in {@link ConfigKeys#DATABASE}.
     * {@code globalRoots} ({@code meridian.checkpoint-roots}) apply when the element sets no {@code checkpoint-roots}.
     */
    private static DatabaseSettings database(Config d, List<Path> globalRoots, boolean embedded) {
        String name = Validation.databaseName(d.getString("name"));
        Path path = absolute(d.getString("path"));
        boolean create = d.hasPath("create-if-missing") && d.getBoolean("create-if-missing");
        int seed = d.hasPath("seed-keys") ? d.getInt("seed-keys") : 0;
        if (seed < 0 || seed > 10_000_000) {
            throw BackupException.invalid("database '" + name + "': seed-keys must be 0..10000000");
        }
        Schedule schedule = d.hasPath("schedule") ? Schedule.parse(d.getString("schedule")) : null;
        Map<BackupType, RetentionPolicy> retention = new EnumMap<>(BackupType.class);
        retention.put(BackupType.SCHEDULED, new RetentionPolicy(7, null, null, null, null, null));
        if (d.hasPath("retention")) {
            Config r = d.getConfig("retention");
            for (String typeName : r.root().keySet()) {
                BackupType type = BackupType.parse(typeName.replace('-', '_'));
                retention.put(type, policy(name, typeName, r.getConfig(typeName)));
            }
        }
        Owner owner = d.hasPath("owner") ? Owner.parse(name, d.getString("owner")) : Owner.MERIDIAN;
        List<Path> roots = globalRoots;
        if (d.hasPath("checkpoint-roots")) {
            roots = new ArrayList<>();
            for (String r : d.getStringList("checkpoint-roots")) {
                roots.add(absolute(r));
            }
        }
        if (owner == Owner.APPLICATION) {
            // Embedded (meridian.embedded, set by the embedding API), the application registers its handle, so a
            // timer can take the checkpoint through it.
            if (schedule != null && !embedded) {
                throw BackupException.invalid("database '" + name + "': schedule = \"" + schedule.spec() + "\" cannot"
                        + " apply to a database with owner = application: Meridian never opens it, so it cannot take a"
                        + " checkpoint on a timer. The owning process decides when: it makes a checkpoint under"
                        + " checkpoint-roots and hands it over (POST /api/v1/databases/" + name + "/backups with"
                        + " checkpoint_dir), or it embeds Meridian (dev.meridian.backup.embed.Meridian, which sets"
                        + " meridian.embedded = true). Set schedule = off (retention still runs)");
            }
            if (create || seed > 0) {
                throw BackupException.invalid("database '" + name + "': create-if-missing and seed-keys need Meridian to"
                        + " open the database, which it never does with owner = application; remove them");
            }
        }
        List<DbPath> dbPaths = d.hasPath("db-paths") ? dbPaths(name, d) : List.of();
        if (!dbPaths.isEmpty() && owner == Owner.APPLICATION) {
            throw BackupException.invalid("database '" + name + "': db-paths tells Meridian how to open the database,"
                    + " which it never does with owner = application (the owner's checkpoints hold every SST); remove it");
        }
        return new DatabaseSettings(name, path, create, seed, schedule, retention, owner, roots, dbPaths);
    }

    /**
     * {@code db-paths = [{ path = "/abs/dir", target-size = 100GiB }, ...]}: the owner's RocksDB db_paths in the
     * owner's order (the first is path_id 0), each path absolute, none twice, each target size in bytes (HOCON
     * size units) at least 0.
     */
    private static List<DbPath> dbPaths(String db, Config d) {
        List<DbPath> out = new ArrayList<>();
        List<? extends Config> entries = d.getConfigList("db-paths");
        for (int i = 0; i < entries.size(); i++) {
            Config e = entries.get(i);
            String where = "database '" + db + "': db-paths[" + i + "]";
            if (!e.hasPath("path") || !e.hasPath("target-size")) {
                throw BackupException.invalid(where + " needs both path and target-size, as the owner passes them to"
                        + " DbPath(path, targetSize), e.g. { path = \"/data/" + db + "-cold\", target-size = 100GiB }");
            }
            String raw = e.getString("path");
            if (raw.isBlank() || !Path.of(raw).isAbsolute()) {
                throw BackupException.invalid(where + ".path = \"" + Validation.printable(raw) + "\" is not an absolute"
                        + " path; give the directory exactly as the owning application passes it to Options.setDbPaths");
            }
            long size = e.getBytes("target-size");
            if (size < 0) {
                throw BackupException.invalid(where + ".target-size must be >= 0 bytes, got " + size);
            }
            DbPath p = new DbPath(Path.of(raw), size);
            for (DbPath seen : out) {
                if (seen.path().equals(p.path())) {
                    throw BackupException.invalid(where + ".path " + p.path() + " is listed twice; each of RocksDB's"
                            + " db_paths is a different directory");
                }
            }
            out.add(p);
        }
        if (out.isEmpty()) {
            throw BackupException.invalid("database '" + db + "': db-paths is empty; remove it, or list the owner's"
                    + " db_paths");
        }
        return out;
    }

    /**
     * RocksDB deletes every SST in a db path that the database does not list as live, so a db path must belong to
     * its database alone: not the repository, the state directory, a checkpoint root, nor another database's
     * directory or db path (in or around any of them).
     */
    private static void checkDbPaths(Map<String, DatabaseSettings> dbs, Path repo, Path state) {
        for (DatabaseSettings db : dbs.values()) {
            for (DbPath p : db.dbPaths()) {
                Path dir = p.path();
                String what = "database '" + db.name() + "': db-paths entry " + dir;
                if (overlaps(dir, repo) || overlaps(dir, state)) {
                    throw BackupException.invalid(what + " overlaps the repository at " + repo + " or the state"
                            + " directory at " + state + "; RocksDB removes files it does not know from its db paths,"
                            + " so give the database directories of its own");
                }
                for (DatabaseSettings other : dbs.values()) {
                    for (Path root : other.checkpointRoots()) {
                        if (overlaps(dir, root)) {
                            throw BackupException.invalid(what + " overlaps the checkpoint root " + root + " of database '"
                                    + other.name() + "'; keep them apart");
                        }
                    }
                    if (other == db) {
                        continue;
                    }
                    if (overlaps(dir, other.path())) {
                        throw BackupException.invalid(what + " overlaps database '" + other.name() + "' at "
                                + other.path() + "; RocksDB removes the SSTs of its db paths that it does not list, so"
                                + " no two databases may share one");
                    }
                    for (DbPath o : other.dbPaths()) {
                        if (overlaps(dir, o.path())) {
                            throw BackupException.invalid(what + " overlaps db-paths entry " + o.path() + " of database '"
                                    + other.name() + "'; RocksDB removes the SSTs of its db paths that it does not list,"
                                    + " so no two databases may share one");
                        }
                    }
                }
            }
        }
    }

    private static boolean overlaps(Path a, Path b) {
        return a.startsWith(b) || b.startsWith(a);
    }

    /** One type's policy; its keys are {@link RetentionPolicy#RULES}, checked by {@link ConfigKeys} beforehand. */
    private static RetentionPolicy policy(String db, String type, Config p) {
        Duration within = p.hasPath("keep-within") ? p.getDuration("keep-within") : null;
        if (within != null && (within.isNegative() || within.isZero())) {
            throw BackupException.invalid("database '" + db + "' retention." + type + ".keep-within must be positive");
        }
        return new RetentionPolicy(count(db, type, p, "keep-last"), count(db, type, p, "keep-hourly"),
                count(db, type, p, "keep-daily"), count(db, type, p, "keep-weekly"), count(db, type, p, "keep-monthly"),
                within);
    }

    private static Integer count(String db, String type, Config p, String key) {
        if (!p.hasPath(key)) {
            return null;
        }
        int n = p.getInt(key);
        if (n < 1 || n > 100_000) {
            throw BackupException.invalid("database '" + db + "' retention." + type + "." + key + " = " + n
                    + " is out of range; use 1..100000 (remove the rule to keep everything)");
        }
        return n;
    }

    /** {@code meridian.<key>} as an int of at least 1 ({@code m} is the {@code meridian} section). */
    public static int positive(Config m, String key) {
        int n = m.getInt(key);
        if (n < 1) {
            throw BackupException.invalid("meridian." + key + " must be at least 1, got " + n);
        }
        return n;
    }

    private static Path absolute(String p) {
        return Path.of(p).toAbsolutePath().normalize();
    }

    public Optional<DatabaseSettings> database(String name) {
        return Optional.ofNullable(databases.get(name));
    }
}
