package dev.meridian.backup.bench;

import java.util.List;

/**
 * What one benchmark run measured; {@code bench --json} prints exactly this. Times are medians over the rounds (each
 * round's value is kept too); ratios are Meridian over BackupEngine from the same run. {@code scaling} and
 * {@code rateLimit} are null unless asked for.
 */
public record BenchReport(
        String date,
        Machine machine,
        Setup setup,
        DatabaseInfo database,
        String pageCache,
        List<OperationRow> operations,
        List<SizeRow> sizes,
        VerifyRow verify,
        List<HashRow> hashing,
        List<HeapRow> heap,
        Scaling scaling,
        RateLimit rateLimit,
        List<String> notes) {

    public BenchReport {
        operations = List.copyOf(operations);
        sizes = List.copyOf(sizes);
        hashing = List.copyOf(hashing);
        heap = List.copyOf(heap);
        notes = List.copyOf(notes);
    }

    /** Load averages show whether other work shared the machine during the run. */
    public record Machine(int cpus, String os, String java, long maxHeapBytes, boolean vectorModule,
            long memAvailableBytes, double loadAverageAtStart, double loadAverageAtEnd) {}

    public record Setup(int rounds, String order, String compression, int backupParallelFiles, int restoreParallelFiles,
            int hashPoolSize, String workDir) {}

    public record DatabaseInfo(String source, long bytes, int files, int sstFiles, long changeBytes) {}

    /** Medians in ms; null where the contender has no such operation. The copy column is one copy of the files. */
    public record OperationRow(String operation, List<Long> copyMs, List<Long> backupEngineMs, List<Long> meridianMs,
            Long copyMedianMs, Long backupEngineMedianMs, Long meridianMedianMs, Double meridianOverBackupEngine,
            String note) {}

    /** Size right after the full backup, and its ratio to the database's size. */
    public record SizeRow(String what, long bytes, double ofDatabase) {}

    public record VerifyRow(long bytes, long medianMs, double gibPerSecond) {}

    public record HashRow(String implementation, int bufferMib, List<Double> mibPerSecond, double medianMibPerSecond,
            double ofBouncyCastle) {}

    /** The whole JVM's heap during each Meridian operation (max over rounds); peakLive is -1 if no GC ran. */
    public record HeapRow(String operation, long peakUsedBytes, long peakLiveBytes) {}

    /** The same change on a database of N and of 4N MiB: incremental cost should follow the change, not the size. */
    public record Scaling(long changeBytes, List<ScalingRow> rows, Double meridianIncrementalGrowth,
            Double backupEngineIncrementalGrowth) {}

    public record ScalingRow(long databaseBytes, Long backupEngineFullMs, Long meridianFullMs,
            Long backupEngineIncrementalMs, Long meridianIncrementalMs) {}

    public record RateLimit(long limitBytesPerSecond, List<RateRow> rows) {}

    public record RateRow(String contender, String operation, long bytes, long ms, double achievedBytesPerSecond,
            double ofLimit) {}
}
