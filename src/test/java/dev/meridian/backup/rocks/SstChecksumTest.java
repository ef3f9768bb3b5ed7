package dev.meridian.backup.rocks;

import static dev.meridian.backup.TestEnv.flip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.BuiltinComparator;
import org.rocksdb.EnvOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.Options;
import org.rocksdb.PlainTableConfig;
import org.rocksdb.RocksDB;
import org.rocksdb.SstFileWriter;

/**
 * RocksDB's block checksums, checked from a bare SST: every block type RocksDB checksums (data, index, meta-index,
 * footer) is caught wherever the damage lies, and no intact table is called corrupt whatever its comparator or
 * table format (a false alarm would fail every backup of that database).
 */
class SstChecksumTest {
    @TempDir
    Path dir;

    static {
        RocksDB.loadLibrary();
    }

    /** An SST of {@code count} x 1 KiB values (~20 MB for 20,000), written in the comparator's order. */
    private Path table(String name, int count, boolean reverse) throws Exception {
        Path file = dir.resolve(name);
        try (Options o = new Options(); EnvOptions eo = new EnvOptions()) {
            if (reverse) {
                o.setComparator(BuiltinComparator.REVERSE_BYTEWISE_COMPARATOR);
            }
            try (SstFileWriter w = new SstFileWriter(eo, o)) {
                w.open(file.toString());
                SplittableRandom r = new SplittableRandom(7);
                byte[] v = new byte[1024];
                for (int i = 0; i < count; i++) {
                    r.nextBytes(v);
                    int k = reverse ? count - 1 - i : i;
                    w.put(String.format("key%08d", k).getBytes(StandardCharsets.UTF_8), v);
                }
                w.finish();
            }
        }
        return file;
    }

    @Test
    void anIntactTableHasNoCorruption() throws Exception {
        assertEquals(Optional.empty(), SstChecksum.corruption(table("000010.sst", 20_000, false), "000010.sst"));
    }

    @Test
    void aFlippedByteInADataBlockIsNamedWithRocksDbsReasonAndTheGivenName() throws Exception {
        Path sst = table("000011.sst", 20_000, false);
        flip(sst, Files.size(sst) / 2);
        String reason = SstChecksum.corruption(sst, "000011.sst").orElseThrow();
        assertTrue(reason.contains("block checksum mismatch") && reason.contains("block_type = Data"), reason);
        assertTrue(reason.contains("000011.sst") && !reason.contains(dir.toString()), "named, not by its temporary path: " + reason);
    }

    @Test
    void damageInTheIndexMetaIndexOrFooterIsCaughtToo() throws Exception {
        Path sst = table("000012.sst", 20_000, false);
        long size = Files.size(sst);
        // Offsets from the end of a 20 MB table: inside the index block, the meta-index block, the footer.
        String[] expected = {"block_type = Index", "block_type = MetaIndex", "Footer"};
        long[] fromEnd = {3000, 100, 20};
        for (int i = 0; i < fromEnd.length; i++) {
            flip(sst, size - fromEnd[i]);
            String reason = SstChecksum.corruption(sst, "000012.sst").orElseThrow();
            assertTrue(reason.contains(expected[i]), fromEnd[i] + " bytes from the end: " + reason);
            flip(sst, size - fromEnd[i]);
        }
        assertEquals(Optional.empty(), SstChecksum.corruption(sst, "000012.sst"), "restored, it checks out again");
    }

    @Test
    void aReverseBytewiseTableVerifiesWithDefaultOptionsAndItsCorruptionIsCaught() throws Exception {
        Path sst = table("000013.sst", 5_000, true);
        assertEquals(Optional.empty(), SstChecksum.corruption(sst, "000013.sst"));
        flip(sst, Files.size(sst) / 2);
        assertTrue(SstChecksum.corruption(sst, "000013.sst").orElseThrow().contains("block checksum mismatch"));
    }

    @Test
    void aPlainTableHasNoBlockChecksumsAndIsNotCalledCorrupt() throws Exception {
        // A block-based reader calls a plain table "bad table magic number"; that false alarm would fail every
        // backup of a database using PlainTable.
        Path db = dir.resolve("plain");
        try (Options o = new Options().setCreateIfMissing(true).setTableFormatConfig(new PlainTableConfig())
                .useFixedLengthPrefixExtractor(4).setAllowMmapReads(true);
                RocksDB rdb = RocksDB.open(o, db.toString());
                FlushOptions fo = new FlushOptions().setWaitForFlush(true)) {
            for (int i = 0; i < 1000; i++) {
                rdb.put(String.format("key%08d", i).getBytes(StandardCharsets.UTF_8), new byte[100]);
            }
            rdb.flush(fo);
        }
        Path sst;
        try (var files = Files.list(db)) {
            sst = files.filter(p -> p.toString().endsWith(".sst")).findFirst().orElseThrow();
        }
        assertEquals(Optional.empty(), SstChecksum.corruption(sst, sst.getFileName().toString()));
    }

    @Test
    void aTruncatedFileIsCorruptAndAMissingOneIsAnIoError() throws Exception {
        Path sst = table("000014.sst", 100, false);
        try (RandomAccessFile f = new RandomAccessFile(sst.toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
        assertTrue(SstChecksum.corruption(sst, "000014.sst").isPresent());
        assertThrows(IOException.class, () -> SstChecksum.corruption(dir.resolve("000099.sst"), "000099.sst"));
    }
}
