package dev.meridian.backup.bench;

import dev.meridian.backup.store.file.DurableFiles;
import dev.meridian.backup.store.file.FileBlobStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.rocksdb.CompactRangeOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.FlushOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The benchmark's data: a RocksDB database of 1 KiB values, each half random bytes and half a repeated pattern (so
 * about 50% compressible), the "1% new data" change, and durable file copies.
 */
final class BenchData {
    static final int VALUE_SIZE = 1024;
    private static final int RANDOM_PART = VALUE_SIZE / 2;
    private static final int BATCH = 1000;
    private static final int COPY_BUFFER = 1 << 20;

    private BenchData() {}

    /**
     * Builds a database of about {@code mib} MiB of values in {@code dir}. RocksDB compression is off so the database
     * is about that size on disk; it is flushed and compacted into bottom-level SSTs of the default target size,
     * the shape a long-lived database settles into.
     */
    static void generate(Path dir, long mib, long seed) throws IOException {
        try (Options options = new Options().setCreateIfMissing(true).setErrorIfExists(true)
                .setCompressionType(CompressionType.NO_COMPRESSION)
                // Loading sorted keys into L0 then compacting once is faster than compacting while loading; L0 stall
                // triggers only apply while auto compaction is on.
                .setDisableAutoCompactions(true);
                RocksDB db = RocksDB.open(options, dir.toString());
                WriteOptions wo = new WriteOptions().setDisableWAL(true)) {
            fill(db, wo, "key", mib << 20, seed);
            flush(db);
            db.compactRange();
        } catch (RocksDBException e) {
            throw new IOException("building the benchmark database in " + dir + " failed: " + e.getMessage(), e);
        }
    }

    /** SSTs in the many-SSTs dataset: the field report of issue 7 item 6 had 2,574. */
    static final int MANY_SSTS = 2_500;

    /**
     * Builds a database of about {@code mib} MiB split into about {@code files} small SSTs: the same values as
     * {@link #generate}, compacted with a target file size of {@code mib / files}, so the SSTs sit non-overlapping
     * in the bottom level (a database tuned for small files, or one with many column families, looks like this) and
     * an open with default options has no compaction to do. It measures the per-file costs: opening, fingerprinting,
     * hashing setup, manifest entries, fsyncs.
     */
    static void generateManySsts(Path dir, long mib, int files, long seed) throws IOException {
        long target = Math.max(16 * 1024, (mib << 20) / files);
        try (Options options = new Options().setCreateIfMissing(true).setErrorIfExists(true)
                .setCompressionType(CompressionType.NO_COMPRESSION)
                .setDisableAutoCompactions(true)
                .setTargetFileSizeBase(target)
                .setTargetFileSizeMultiplier(1);
                RocksDB db = RocksDB.open(options, dir.toString());
                WriteOptions wo = new WriteOptions().setDisableWAL(true)) {
            fill(db, wo, "key", mib << 20, seed);
            flush(db);
            // One flushed file would only be moved down; forcing the bottom level rewrites it into target-size SSTs.
            try (CompactRangeOptions rewrite = new CompactRangeOptions()
                    .setBottommostLevelCompaction(CompactRangeOptions.BottommostLevelCompaction.kForce)) {
                db.compactRange(db.getDefaultColumnFamily(), null, null, rewrite);
            }
        } catch (RocksDBException e) {
            throw new IOException("building the many-SSTs benchmark database in " + dir + " failed: " + e.getMessage(), e);
        }
    }

    /** Writes {@code bytes} of new values under keys no earlier write used, then flushes them into a new SST. */
    static void writeChange(RocksDB db, long bytes, long seed) {
        try (WriteOptions wo = new WriteOptions()) {
            fill(db, wo, "new" + seed + "-", bytes, seed);
            flush(db);
        } catch (RocksDBException e) {
            throw new IllegalStateException("writing the benchmark's new data failed: " + e.getMessage(), e);
        }
    }

    private static void fill(RocksDB db, WriteOptions wo, String prefix, long bytes, long seed) throws RocksDBException {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] value = new byte[VALUE_SIZE];
        byte[] pattern = "meridian-backup:".getBytes(StandardCharsets.US_ASCII);
        for (int i = RANDOM_PART; i < VALUE_SIZE; i++) {
            value[i] = pattern[i % pattern.length];
        }
        byte[] noise = new byte[RANDOM_PART];
        long count = Math.max(1, bytes / VALUE_SIZE);
        for (long start = 0; start < count; start += BATCH) {
            try (WriteBatch batch = new WriteBatch()) {
                for (long i = start; i < Math.min(count, start + BATCH); i++) {
                    random.nextBytes(noise);
                    System.arraycopy(noise, 0, value, 0, RANDOM_PART);
                    batch.put(String.format("%s%012d", prefix, i).getBytes(StandardCharsets.US_ASCII), value);
                }
                db.write(wo, batch);
            }
        }
    }

    private static void flush(RocksDB db) throws RocksDBException {
        try (FlushOptions fo = new FlushOptions().setWaitForFlush(true)) {
            db.flush(fo);
        }
    }

    /** Whether a file in a database directory is part of the database (LOCK and info logs are not). */
    static boolean isDatabaseFile(Path p) {
        String name = p.getFileName().toString();
        return Files.isRegularFile(p) && !name.equals("LOCK") && !name.startsWith("LOG");
    }

    /**
     * Copies a database directory's files into a new directory the way {@code cp -a} then {@code sync} would: read and
     * write through a 1 MiB buffer, one file after another, each file fsynced, then the directory. Returns the bytes
     * copied. Setup copies are fsynced too, so their write-back never lands inside a timed operation.
     */
    static long copyDatabase(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        ByteBuffer buf = ByteBuffer.allocateDirect(COPY_BUFFER);
        long total = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(from, BenchData::isDatabaseFile)) {
            for (Path src : files) {
                try (FileChannel in = FileChannel.open(src, StandardOpenOption.READ);
                        FileChannel out = FileChannel.open(to.resolve(src.getFileName().toString()),
                                StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    while (in.read(buf.clear()) >= 0) {
                        buf.flip();
                        while (buf.hasRemaining()) {
                            total += out.write(buf);
                        }
                    }
                    out.force(true);
                }
            }
        }
        DurableFiles.fsyncDirectory(to);
        return total;
    }

    /** Removes a contender's directories, whatever state a failed operation left them in. */
    static void deleteTrees(Path... dirs) throws IOException {
        for (Path d : dirs) {
            DurableFiles.deleteTree(d);
        }
    }

    /** Bytes in the regular files under {@code dir}. */
    static long sizeOf(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).sum();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Bytes of the database's own files (what a backup must hold; not the LOCK file or RocksDB's info logs). */
    static long databaseBytes(Path dir) throws IOException {
        long total = 0;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, BenchData::isDatabaseFile)) {
            for (Path p : s) {
                total += Files.size(p);
            }
        }
        return total;
    }

    /** Counts the database's files and its SSTs. */
    static int[] fileCounts(Path dir) throws IOException {
        int files = 0;
        int ssts = 0;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, BenchData::isDatabaseFile)) {
            for (Path p : s) {
                files++;
                if (p.getFileName().toString().endsWith(".sst")) {
                    ssts++;
                }
            }
        }
        return new int[] {files, ssts};
    }
}
