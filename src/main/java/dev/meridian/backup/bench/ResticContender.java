package dev.meridian.backup.bench;

import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.rocks.LiveDatabase;
import dev.meridian.backup.store.file.DurableFiles;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.stream.Stream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * restic (the binary on PATH) backing up the benchmark database to a fresh repository on {@link BenchS3}, encrypted
 * as every restic repository is (AES-256-CTR + Poly1305, key derived with scrypt from the same password file
 * Meridian uses). restic knows nothing of RocksDB, so each backup first takes a RocksDB checkpoint (hard links) into
 * the same directory, then runs {@code restic backup .} there; the checkpoint is part of the timed backup, as
 * Meridian's own checkpoint is part of its. Because the directory is the same each time, restic finds the full backup
 * as the parent of the second and skips unchanged files. {@code restic init} is not timed (nor is Meridian's
 * repository creation). Restore is {@code restic restore latest --target DIR} and then an fsync of every restored
 * file and directory (Meridian's restore fsyncs before it answers; the time before the fsync is kept too), then an
 * untimed open of the result.
 */
final class ResticContender implements Contender {
    static final String INSTALL = "install restic: apt-get install restic";
    private final BenchS3 s3;
    private final Path passwordFile;

    ResticContender(BenchS3 s3, Path passwordFile) {
        this.s3 = s3;
        this.passwordFile = passwordFile;
    }

    /**
     * restic's version line, e.g. {@code restic 0.14.0 compiled with go1.19.8 on linux/amd64}.
     *
     * @throws BackupException unavailable, saying how to install restic, when there is no restic on PATH
     */
    static String version() throws InterruptedException {
        try {
            Process p = new ProcessBuilder("restic", "version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            if (p.waitFor() != 0) {
                throw new BackupException(ErrorCode.UNAVAILABLE, "restic version failed: " + out + "; " + INSTALL);
            }
            return out;
        } catch (IOException e) {
            throw new BackupException(ErrorCode.UNAVAILABLE, "restic is not installed (no restic on PATH); " + INSTALL);
        }
    }

    @Override
    public String name() {
        return "restic";
    }

    @Override
    public void run(Plan plan, Path work, Round round) throws Exception {
        Path db = work.resolve("restic-db");
        Path input = work.resolve("restic-input");
        Path cache = work.resolve("restic-cache");
        Path restored = work.resolve("restic-restore");
        String url = s3.newUrl("restic");
        try {
            BenchData.copyDatabase(plan.source(), db);
            restic(work, url, cache, "init");
            try (LiveDatabase live = LiveDatabase.open("bench", db, false)) {
                round.time(Operation.FULL_BACKUP, () -> backup(live, input, url, cache));
                round.bytes.put(Operation.FULL_BACKUP, plan.sourceBytes());
                round.repositoryBytes = s3.bytesUnder(url);
                if (plan.has(Operation.INCREMENTAL)) {
                    BenchData.writeChange(live.handle(), plan.changeBytes(), plan.changeSeed());
                    round.time(Operation.INCREMENTAL, () -> backup(live, input, url, cache));
                }
            }
            if (plan.has(Operation.RESTORE)) {
                round.time(Operation.RESTORE, () -> {
                    long start = System.nanoTime();
                    restic(work, url, cache, "restore", "latest", "--target", restored.toString());
                    round.partMs.put(Operation.RESTORE, (System.nanoTime() - start) / 1_000_000);
                    return fsyncTree(restored);
                });
                // Untimed proof that the restore produced an openable database, as Meridian's restore is checked.
                LiveDatabase.sequenceNumberOf(restored);
                round.bytes.put(Operation.RESTORE, BenchData.databaseBytes(restored));
            }
        } finally {
            BenchData.deleteTrees(db, input, cache, restored);
            s3.clear(url);
        }
    }

    /**
     * fsyncs every file under {@code dir}, then the directories, as Meridian's restore does before it reports: restic
     * leaves its restore in the page cache, and a restore that a power cut can undo is not finished.
     */
    private static Void fsyncTree(Path dir) throws IOException {
        List<Path> dirs = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (Files.isDirectory(p)) {
                    dirs.add(p);
                } else {
                    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                        ch.force(true);
                    }
                }
            }
        }
        for (Path d : dirs) {
            DurableFiles.fsyncDirectory(d);
        }
        return null;
    }

    /** A checkpoint into {@code input}, restic backup of it, the checkpoint removed after the clock stops. */
    private Void backup(LiveDatabase live, Path input, String url, Path cache) throws Exception {
        BenchData.deleteTrees(input);
        live.checkpoint(input);
        restic(input, url, cache, "backup", "--host", "bench", ".");
        return null;
    }

    /** Runs {@code restic -r <repo> <args>} in {@code dir}; a non-zero exit fails the round, quoting restic. */
    private Void restic(Path dir, String url, Path cache, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("restic", "--quiet", "--cache-dir", cache.toString(), "-r",
                s3.resticRepository(url)));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().putAll(s3.environment());
        pb.environment().put("RESTIC_PASSWORD_FILE", passwordFile.toString());
        pb.environment().remove("RESTIC_PASSWORD");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        int exit = p.waitFor();
        if (exit != 0) {
            throw new IllegalStateException("restic " + args[0] + " exited with " + exit + ": " + BenchS3.tail(out));
        }
        return null;
    }
}
