package dev.meridian.backup.engine;

import dev.meridian.backup.hash.Blake3Warmup;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.FileEntry;
import dev.meridian.backup.model.Manifest;
import dev.meridian.backup.model.Progress;
import dev.meridian.backup.repository.Compression;
import dev.meridian.backup.repository.IoThrottle;
import dev.meridian.backup.repository.ManifestCodec;
import dev.meridian.backup.repository.ObjectCodec;
import dev.meridian.backup.store.PendingBlob;
import dev.meridian.backup.store.mem.MemBlobStore;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the engine's hot paths once on synthetic data in the background at start, so that the first real backup or
 * restore does not pay for loading and interpreting them: object encoding (Blake3, zstd, the copy loop), object
 * decoding, and the manifest's JSON (Jackson builds its serializers on first use). A server started by an agent over
 * stdio, or {@code --repo} work, runs its first operation right after start, when all of this is still cold.
 *
 * <p>Bounded: one daemon thread (not a Pekko dispatcher thread), {@link #PASSES} passes over a {@link #DATA_LEN}-byte
 * temporary file, stopped after {@link #MAX_MILLIS} ms; it never touches the repository or a database, and a failure
 * only logs at debug level. The SIMD hashing kernel is warmed separately by {@link Blake3Warmup}.
 */
public final class EngineWarmup {
    private static final Logger log = LoggerFactory.getLogger(EngineWarmup.class);
    private static final int DATA_LEN = 2 << 20;
    private static final int PASSES = 4;
    private static final long MAX_MILLIS = 15_000;
    private static final AtomicBoolean STARTED = new AtomicBoolean();

    private EngineWarmup() {}

    /** Starts the warm-up once per JVM, in the background; returns at once. */
    public static void start(Compression compression) {
        Blake3Warmup.start();
        if (!Boolean.parseBoolean(System.getProperty("meridian.warmup", "true")) || !STARTED.compareAndSet(false, true)) {
            return;
        }
        Thread t = new Thread(() -> run(compression), "meridian-engine-warmup");
        t.setDaemon(true);
        t.setPriority(Thread.NORM_PRIORITY - 1);
        t.start();
    }

    private static void run(Compression compression) {
        long start = System.nanoTime();
        long deadline = start + TimeUnit.MILLISECONDS.toNanos(MAX_MILLIS);
        Path file = null;
        try {
            file = Files.createTempFile("meridian-warmup-", ".bin");
            writeSample(file);
            int passes = 0;
            while (passes < PASSES && System.nanoTime() < deadline) {
                onePass(file, compression);
                passes++;
            }
            log.debug("engine warm-up: {} passes over {} bytes in {} ms", passes, DATA_LEN,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        } catch (Exception | LinkageError e) {
            log.debug("engine warm-up stopped early: {}", e.toString());
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (Exception e) {
                    log.debug("engine warm-up could not remove {}: {}", file, e.toString());
                }
            }
        }
    }

    /** Half random, half a repeated pattern, like the benchmark's values: compressible enough for zstd to be used. */
    static void writeSample(Path file) throws Exception {
        byte[] data = new byte[DATA_LEN];
        SplittableRandom random = new SplittableRandom(7);
        byte[] pattern = "meridian-warm-up".getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < DATA_LEN; i += 1024) {
            byte[] noise = new byte[512];
            random.nextBytes(noise);
            System.arraycopy(noise, 0, data, i, 512);
            for (int j = 512; j < 1024; j++) {
                data[i + j] = pattern[j % pattern.length];
            }
        }
        Files.write(file, data);
    }

    static void onePass(Path file, Compression compression) throws Exception {
        MemBlobStore store = new MemBlobStore();
        ObjectCodec.Encoded encoded;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ); PendingBlob blob = store.create()) {
            encoded = ObjectCodec.encode(ch, compression, blob, IoThrottle.UNLIMITED, Progress.NONE, 0, DATA_LEN);
            blob.commit("warm-up");
        }
        try (var in = store.open("warm-up")) {
            ObjectCodec.decode(in, DATA_LEN, encoded.hash(), Channels.newChannel(OutputStream.nullOutputStream()),
                    IoThrottle.UNLIMITED, Progress.NONE, 0, DATA_LEN);
        }
        List<FileEntry> files = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            files.add(new FileEntry(String.format("%06d.sst", i + 1), DATA_LEN, encoded.hash(), encoded.hash()));
        }
        Instant now = Instant.now();
        BackupId id = BackupId.parse("20261126T021948123Z-7f3a2c");
        Manifest m = ManifestCodec.seal(new Manifest(Manifest.FORMAT, id, "warm-up", BackupType.MANUAL, "", List.of("t"), now,
                now, 0, 0, 1, null, null, DATA_LEN, encoded.storedLength(), files, null));
        ManifestCodec.decode(ManifestCodec.key("warm-up", id), ManifestCodec.encode(m));
    }
}
