package dev.meridian.backup.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.meridian.backup.backup.BackupJob.SourceFile;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** How a backup's small files are split into the tasks stored side by side ({@link BackupJob#spread}). */
class SmallFileBatchesTest {

    private static SourceFile file(String name, long size) {
        return new SourceFile(name, Path.of("/checkpoint", name), size, Optional.empty(), Optional.empty());
    }

    private static List<List<String>> names(List<List<SourceFile>> batches) {
        return batches.stream().map(b -> b.stream().map(SourceFile::name).toList()).toList();
    }

    @Test
    void aSmallIncrementalStoresItsNewSstBesideTheManifestAndCurrent() {
        // What a backup after a small change holds that the repository does not: after a reopen, CURRENT too.
        List<SourceFile> small = List.of(file("CURRENT", 16), file("MANIFEST-000029", 9_800), file("000033.sst", 690_000),
                file("OPTIONS-000031", 7_100));

        assertEquals(List.of(List.of("000033.sst"), List.of("MANIFEST-000029", "OPTIONS-000031", "CURRENT")),
                names(BackupJob.spread(small, 2)));
    }

    @Test
    void everyFileIsInExactlyOneBatchAndNoBatchIsEmpty() {
        List<SourceFile> small = List.of(file("a.sst", 900_000), file("b.sst", 800_000), file("c.sst", 10), file("d.log", 0),
                file("CURRENT", 16));

        for (int lanes = 1; lanes <= 8; lanes++) {
            List<List<SourceFile>> batches = BackupJob.spread(small, lanes);
            assertEquals(Math.min(lanes, small.size()), batches.size(), lanes + " lanes");
            for (List<SourceFile> b : batches) {
                assertFalse(b.isEmpty(), "an empty batch with " + lanes + " lanes");
            }
            assertEquals(small.stream().map(SourceFile::name).sorted().toList(),
                    batches.stream().flatMap(List::stream).map(SourceFile::name).sorted().collect(Collectors.toList()));
        }
    }

    @Test
    void batchesAreOfAboutEqualCostCountingEachFilesFixedCost() {
        // Many tiny files (a database of many small SSTs) split evenly by count, not all into the first batch.
        List<SourceFile> tiny = IntStream.range(0, 10).mapToObj(i -> file(i + ".sst", 1_000)).toList();

        List<List<SourceFile>> batches = BackupJob.spread(tiny, 2);

        assertEquals(List.of(5, 5), batches.stream().map(List::size).toList());
        assertEquals(List.of(List.of("0.sst", "2.sst", "4.sst", "6.sst", "8.sst"), List.of("1.sst", "3.sst", "5.sst", "7.sst", "9.sst")),
                names(batches));
    }
}
