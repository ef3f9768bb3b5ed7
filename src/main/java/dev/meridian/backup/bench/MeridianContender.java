package dev.meridian.backup.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.meridian.backup.config.Settings;
import dev.meridian.backup.engine.Engine;
import dev.meridian.backup.model.BackupRequest;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.VerifyResult;
import dev.meridian.backup.rocks.LiveDatabase;
import dev.meridian.backup.runtime.Blocking;
import dev.meridian.backup.server.Server;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Meridian as a user runs it: the whole engine in this JVM ({@link Server} without HTTP) over a fresh repository,
 * each operation through the {@link Engine} facade, so every time includes the actors, the journal, checkpoints,
 * fsyncs and manifest publication. Settings not fixed here (parallel files, pool sizes) come from the usual
 * configuration, so {@code -Dmeridian.backup.parallel-files=4} works as it does for {@code serve}.
 */
final class MeridianContender implements Contender {
    static final String DATABASE = "bench";
    private final String compression;
    /** The password file of an encrypted repository (aes-256-gcm), or null for today's plaintext one. */
    private final Path passwordFile;
    /** The S3 server each round's repository goes to (a fresh prefix), or null for a local directory. */
    private final BenchS3 s3;

    MeridianContender(String compression) {
        this(compression, null);
    }

    /** With a non-null {@code passwordFile}, every repository is created encrypted with the password it holds. */
    MeridianContender(String compression, Path passwordFile) {
        this(compression, passwordFile, null);
    }

    /** As above, with each round's repository on {@code s3} under a fresh prefix (removed afterwards) when non-null. */
    MeridianContender(String compression, Path passwordFile, BenchS3 s3) {
        this.compression = compression;
        this.passwordFile = passwordFile;
        this.s3 = s3;
    }

    @Override
    public String name() {
        return passwordFile == null ? "Meridian" : "Meridian encrypted";
    }

    @Override
    public void run(Plan plan, Path work, Round round) throws Exception {
        Path db = work.resolve("meridian-db");
        Path repository = work.resolve("meridian-repository");
        Path restoreRoot = work.resolve("meridian-restore");
        String url = s3 == null ? null : s3.newUrl("meridian");
        try {
            BenchData.copyDatabase(plan.source(), db);
            Files.createDirectories(restoreRoot);
            Map<String, Object> s3Config = url == null ? Map.of() : s3.meridianConfig(url);
            Settings settings = settings(db, repository, restoreRoot, compression, plan.rateLimit(), passwordFile, s3Config);
            Server server = Server.start(settings, false, e -> List.of());
            try {
                Engine first = server.engine();
                BackupSummary last = round.time(Operation.FULL_BACKUP, () -> await(first.createBackup(DATABASE, request(), null)));
                round.bytes.put(Operation.FULL_BACKUP, last.sizeBytes());
                round.repositoryBytes = url == null ? BenchData.sizeOf(repository) : s3.bytesUnder(url);
                if (plan.has(Operation.INCREMENTAL)) {
                    if (plan.reopenBeforeIncremental()) {
                        server.close();
                        try (LiveDatabase live = LiveDatabase.open(DATABASE, db, false)) {
                            BenchData.writeChange(live.handle(), plan.changeBytes(), plan.changeSeed());
                        }
                        server = Server.start(settings, false, e -> List.of());
                    } else {
                        await(server.engine().withDatabase(DATABASE, live -> {
                            BenchData.writeChange(live.handle(), plan.changeBytes(), plan.changeSeed());
                            return null;
                        }));
                    }
                }
                Engine engine = server.engine();
                if (plan.has(Operation.INCREMENTAL)) {
                    last = round.time(Operation.INCREMENTAL, () -> await(engine.createBackup(DATABASE, request(), null)));
                }
                if (plan.has(Operation.NEXT_INCREMENTAL)) {
                    await(engine.withDatabase(DATABASE, live -> {
                        BenchData.writeChange(live.handle(), plan.changeBytes(), ColdOperation.NEXT_SEED);
                        return null;
                    }));
                    last = round.time(Operation.NEXT_INCREMENTAL, () -> await(engine.createBackup(DATABASE, request(), null)));
                }
                BackupSummary backup = last;
                if (plan.has(Operation.VERIFY)) {
                    VerifyResult v = round.time(Operation.VERIFY,
                            () -> await(engine.verify(backup.backupId(), Engine.newRequestId(), null)));
                    if (!v.valid()) {
                        throw new IllegalStateException("Meridian's verify found damage in a backup it just wrote: " + v.errors());
                    }
                    round.bytes.put(Operation.VERIFY, v.bytesChecked());
                }
                if (plan.has(Operation.RESTORE)) {
                    Path target = restoreRoot.resolve("restored");
                    round.time(Operation.RESTORE, () -> await(engine.restore(backup.backupId(), target.toString(), false,
                            Engine.newRequestId(), null)));
                    long restored = BenchData.sizeOf(target);
                    if (restored != backup.sizeBytes()) {
                        throw new IllegalStateException("Meridian restored " + restored + " bytes of a " + backup.sizeBytes()
                                + "-byte backup");
                    }
                    round.bytes.put(Operation.RESTORE, restored);
                }
            } finally {
                server.close();
            }
        } finally {
            BenchData.deleteTrees(db, repository, stateDir(repository), restoreRoot);
            if (url != null) {
                s3.clear(url);
            }
        }
    }

    /**
     * The benchmark's own database, repository and restore root over the usual configuration. Auto-verify is off
     * because verify is timed on its own; left on, it would hash in the background during the next operation.
     */
    /** The benchmark repository's local state directory (meridian.state-dir), beside it in the work directory. */
    static Path stateDir(Path repository) {
        return repository.resolveSibling(repository.getFileName() + "-state");
    }

    static Settings settings(Path db, Path repository, Path restoreRoot, String compression, long rateLimit) {
        return settings(db, repository, restoreRoot, compression, rateLimit, null);
    }

    /** As above; with {@code passwordFile}, the repository is encrypted (aes-256-gcm) with the password it holds. */
    static Settings settings(Path db, Path repository, Path restoreRoot, String compression, long rateLimit, Path passwordFile) {
        return settings(db, repository, restoreRoot, compression, rateLimit, passwordFile, Map.of());
    }

    /** As above, with {@code extra} settings on top (an S3 repository's url and endpoint; {@code repository} is then its local working directory). */
    static Settings settings(Path db, Path repository, Path restoreRoot, String compression, long rateLimit, Path passwordFile,
            Map<String, Object> extra) {
        Config encryption = ConfigFactory.parseMap(extra).withFallback(ConfigFactory.parseMap(passwordFile == null ? Map.of() : Map.of(
                "meridian.repository.encryption", "aes-256-gcm",
                "meridian.repository.password-file", passwordFile.toString())));
        Config bench = encryption.withFallback(ConfigFactory.parseMap(Map.of(
                "meridian.repository.path", repository.toString(),
                "meridian.state-dir", stateDir(repository).toString(),
                "meridian.repository.compression", compression,
                "meridian.io.rate-limit", rateLimit,
                "meridian.backup.auto-verify", false,
                "meridian.restore-roots", List.of(restoreRoot.toString()),
                "meridian.databases", List.of(Map.of("name", DATABASE, "path", db.toString(), "create-if-missing", false)))));
        return Settings.from(bench.withFallback(Settings.load(Optional.empty())).resolve());
    }

    private static BackupRequest request() {
        return new BackupRequest(Engine.newRequestId(), BackupType.MANUAL, "benchmark", List.of(), null, false);
    }

    /** Waits for the engine's answer, rethrowing its failure rather than the future's wrapper. */
    static <T> T await(CompletionStage<T> stage) throws Exception {
        return Blocking.await(stage, Long.MAX_VALUE);
    }
}
