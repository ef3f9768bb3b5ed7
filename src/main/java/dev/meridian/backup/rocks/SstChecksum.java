package dev.meridian.backup.rocks;

import dev.meridian.backup.store.BlockingGuard;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.rocksdb.Options;
import org.rocksdb.RocksDBException;
import org.rocksdb.SstFileReader;
import org.rocksdb.Status;

/**
 * RocksDB's own verdict on one table file: reads every block of an SST (data, index, filter, meta-index, footer)
 * and checks the checksum RocksDB stored with it, exactly as {@code sst_dump --command=verify} does, without
 * opening a database.
 *
 * <p>Default options are enough: block checksums do not depend on the comparator, merge operator or compression
 * the file was written with (a {@code rocksdb.ReverseBytewiseComparator} table verifies the same way). Plain and
 * cuckoo tables carry no block checksums, so there is nothing to check in them; they are recognized by their footer
 * magic number and passed, rather than reported as corrupt by a block-based reader.
 */
public final class SstChecksum {
    static {
        RocksDbLibrary.load();
    }

    // Footer magic numbers (table/*/..._factory and format.h in RocksDB) of formats that have no block checksums.
    private static final long PLAIN_TABLE = 0x8242229663bf9564L;
    private static final long LEGACY_PLAIN_TABLE = 0x4f3418eb7a8f13b8L;
    private static final long CUCKOO_TABLE = 0x926789d0c5f17873L;

    private SstChecksum() {}

    /**
     * Checks the block checksums of the SST at {@code file}. Blocks the calling thread while it reads the whole file.
     *
     * @param file the table file
     * @param name how to name the file in the answer (RocksDB's messages name the path read, often a temporary one)
     * @return RocksDB's reason when the file is corrupt (for example "block checksum mismatch: ... in 000009.sst
     *     offset 10452184 size 4165, block_type = Data"); empty when every block checks out
     * @throws IOException when the file cannot be read at all (an I/O error, not a verdict on its content)
     */
    public static Optional<String> corruption(Path file, String name) throws IOException {
        BlockingGuard.check("verify SST checksums of " + name);
        if (withoutBlockChecksums(file)) {
            return Optional.empty();
        }
        try (Options options = new Options(); SstFileReader reader = new SstFileReader(options)) {
            reader.open(file.toString());
            reader.verifyChecksum();
            return Optional.empty();
        } catch (RocksDBException e) {
            String reason = (e.getMessage() == null ? "unreadable" : e.getMessage()).replace(file.toString(), name);
            Status.Code code = e.getStatus() == null ? null : e.getStatus().getCode();
            if (code == Status.Code.IOError) {
                throw new IOException("could not read " + name + ": " + reason, e);
            }
            return Optional.of(reason);
        }
    }

    private static boolean withoutBlockChecksums(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < Long.BYTES) {
                return false; // too short for any table: RocksDB says so
            }
            ByteBuffer magic = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            while (magic.hasRemaining()) {
                if (ch.read(magic, size - Long.BYTES + magic.position()) < 0) {
                    return false;
                }
            }
            long m = magic.flip().getLong();
            return m == PLAIN_TABLE || m == LEGACY_PLAIN_TABLE || m == CUCKOO_TABLE;
        }
    }
}
