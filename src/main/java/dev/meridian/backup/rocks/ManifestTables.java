package dev.meridian.backup.rocks;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * The SST files a database's current MANIFEST lists as live, each with its {@code path_id} (its index in the
 * owner's {@code db_paths}), read without opening the database: no LOCK, no LOG, no write of any kind. RocksDB
 * itself only learns where an SST lives when it opens the database, and an open that cannot find one has already
 * rotated the info LOG; this lets Meridian refuse before that.
 *
 * <p>Formats followed: the log format of {@code db/log_format.h} and {@code db/log_reader.cc} (32 KiB blocks,
 * records with a masked CRC32C, length, type; fragments FULL/FIRST/MIDDLE/LAST and their recyclable variants), and
 * the VersionEdit encoding of {@code db/version_edit.h} and {@code db/version_edit.cc} (kNewFile..kNewFile4 with the
 * kPathId custom field, kDeletedFile, kColumnFamily, kColumnFamilyDrop, blob file records, and the tags with
 * kTagSafeIgnoreMask as length-prefixed fields). A MANIFEST with anything this reader does not know (an
 * unignorable tag, a bad checksum, a compressed record) yields empty: the caller then knows nothing, and leaves the
 * decision to RocksDB.
 */
final class ManifestTables {
    private ManifestTables() {}

    /**
     * Loads this class and the ones {@link #read} uses. {@link LiveDatabase} calls it when it is loaded: from a
     * directory class path every class is a file to open, and the open path must still run, and report clearly, in
     * a process that has run out of file descriptors.
     */
    static void preload() {
        Class<?>[] used = {Table.class, Reader.class};
        assert used.length == 2;
    }

    /** One live SST: its file number, its index in db_paths, its column family id. */
    record Table(long number, int pathId, int columnFamily) {
        /** RocksDB's name for it ({@code MakeTableFileName}: six digits at least, {@code .sst}). */
        String fileName() {
            return String.format("%06d.sst", number);
        }
    }

    private static final int BLOCK = 32 * 1024;
    private static final int TAG_SAFE_IGNORE = 1 << 13;
    private static final int CUSTOM_TAG_NON_SAFE_IGNORE = 1 << 6;
    private static final int CUSTOM_PATH_ID = CUSTOM_TAG_NON_SAFE_IGNORE + 1;

    /**
     * The live SSTs of the database in {@code dir} by its CURRENT file, in file number order; empty when it has no
     * CURRENT or the MANIFEST holds something this reader does not understand.
     *
     * @throws IOException when CURRENT or the MANIFEST it names cannot be read
     */
    static Optional<List<Table>> read(Path dir) throws IOException {
        Path current = dir.resolve("CURRENT");
        if (!Files.isRegularFile(current)) {
            return Optional.empty();
        }
        String manifest = Files.readString(current, StandardCharsets.UTF_8).strip();
        if (!manifest.matches("MANIFEST-\\d+")) {
            return Optional.empty();
        }
        return parse(Files.readAllBytes(dir.resolve(manifest)));
    }

    static Optional<List<Table>> parse(byte[] data) {
        Optional<List<byte[]>> edits = records(data);
        if (edits.isEmpty()) {
            return Optional.empty();
        }
        Map<Long, Table> live = new LinkedHashMap<>();
        for (byte[] edit : edits.get()) {
            if (!apply(edit, live)) {
                return Optional.empty();
            }
        }
        List<Table> tables = new ArrayList<>(live.values());
        tables.sort(java.util.Comparator.comparingLong(Table::number));
        return Optional.of(tables);
    }

    /**
     * The MANIFEST {@code data} with every SST's path_id set to 0, as a database whose SSTs all live in its own
     * directory has it: kNewFile3's path_id field becomes 0 and kNewFile4's kPathId custom field is left out; every
     * other byte of every VersionEdit is kept, and the records are framed again (non-recyclable, {@code
     * db/log_writer.cc}). RocksDB 11.8 cannot open a database whose MANIFEST names a path_id past the end of its
     * db_paths (the process aborts with std::bad_alloc), so a copy of a db_paths database needs this to open with
     * the default layout.
     *
     * @return empty when the MANIFEST holds something this reader does not understand
     */
    static Optional<byte[]> withPathIdsZero(byte[] data) {
        Optional<List<byte[]>> edits = records(data);
        if (edits.isEmpty()) {
            return Optional.empty();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] edit : edits.get()) {
            Optional<byte[]> rewritten = resetPathIds(edit);
            if (rewritten.isEmpty()) {
                return Optional.empty();
            }
            frame(rewritten.get(), out);
        }
        return Optional.of(out.toByteArray());
    }

    /** The payload of every complete record, fragments joined; empty on a bad checksum or an unknown record type. */
    private static Optional<List<byte[]>> records(byte[] data) {
        List<byte[]> out = new ArrayList<>();
        ByteArrayOutputStream fragments = null;
        int pos = 0;
        while (pos < data.length) {
            int left = BLOCK - pos % BLOCK;
            if (left < 7) {
                pos += left; // a block's trailer, zero-filled
                continue;
            }
            if (pos + 7 > data.length) {
                break;
            }
            int length = (data[pos + 4] & 0xff) | (data[pos + 5] & 0xff) << 8;
            int type = data[pos + 6] & 0xff;
            if (type == 0 && length == 0) {
                pos += left; // preallocated, never written
                continue;
            }
            boolean recyclable = type >= 5 && type <= 8 || type == 11;
            int header = recyclable ? 11 : 7;
            if (pos + header + length > data.length) {
                break; // a torn last record: RocksDB ignores it as well
            }
            if (!checksumMatches(data, pos, header, length)) {
                return Optional.empty();
            }
            byte[] payload = java.util.Arrays.copyOfRange(data, pos + header, pos + header + length);
            pos += header + length;
            int kind = type == 11 ? 10 : recyclable ? type - 4 : type; // the recyclable variants as their plain kind
            switch (kind) {
                case 1 -> out.add(payload);
                case 2 -> {
                    fragments = new ByteArrayOutputStream();
                    fragments.writeBytes(payload);
                }
                case 3, 4 -> {
                    if (fragments == null) {
                        return Optional.empty();
                    }
                    fragments.writeBytes(payload);
                    if (kind == 4) {
                        out.add(fragments.toByteArray());
                        fragments = null;
                    }
                }
                case 10 -> { } // the user-defined timestamp size record: no files
                default -> {
                    return Optional.empty(); // 9 = compression, or a type from the future
                }
            }
        }
        return Optional.of(out);
    }

    /** Writes one record as FULL, or FIRST/MIDDLE.../LAST fragments across 32 KiB blocks. */
    private static void frame(byte[] payload, ByteArrayOutputStream out) {
        int pos = 0;
        boolean begin = true;
        do {
            int left = BLOCK - out.size() % BLOCK;
            if (left < 7) {
                out.writeBytes(new byte[left]);
                left = BLOCK;
            }
            int n = Math.min(payload.length - pos, left - 7);
            boolean end = pos + n == payload.length;
            int type = begin && end ? 1 : begin ? 2 : end ? 4 : 3;
            CRC32C crc = new CRC32C();
            crc.update(type);
            crc.update(payload, pos, n);
            int c = (int) crc.getValue();
            int masked = ((c >>> 15) | (c << 17)) + 0xa282ead8;
            out.write(masked);
            out.write(masked >>> 8);
            out.write(masked >>> 16);
            out.write(masked >>> 24);
            out.write(n);
            out.write(n >>> 8);
            out.write(type);
            out.write(payload, pos, n);
            pos += n;
            begin = false;
        } while (pos < payload.length);
    }

    /** One VersionEdit with its files' path_ids set to 0; empty when it holds a tag this reader does not know. */
    private static Optional<byte[]> resetPathIds(byte[] edit) {
        Reader in = new Reader(edit);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            while (in.more()) {
                int from = in.p;
                int tag = in.varint32();
                if (tag == 102) {
                    in.varint32();
                    in.varint64();
                    int pathAt = in.p;
                    in.varint32();
                    out.write(edit, from, pathAt - from);
                    out.write(0); // path_id 0, a one-byte varint
                    int rest = in.p;
                    in.varint64();
                    in.slice();
                    in.slice();
                    in.varint64();
                    in.varint64();
                    out.write(edit, rest, in.p - rest);
                } else if (tag == 103) {
                    newFile(in, false, true);
                    out.write(edit, from, in.p - from);
                    while (true) {
                        int fieldAt = in.p;
                        int custom = in.varint32();
                        if (custom == 1) {
                            out.write(edit, fieldAt, in.p - fieldAt);
                            break;
                        }
                        in.slice();
                        if (custom != CUSTOM_PATH_ID) {
                            out.write(edit, fieldAt, in.p - fieldAt);
                        }
                    }
                } else {
                    if (!skip(tag, in)) {
                        return Optional.empty();
                    }
                    out.write(edit, from, in.p - from);
                }
            }
        } catch (IndexOutOfBoundsException e) {
            return Optional.empty();
        }
        return Optional.of(out.toByteArray());
    }

    /** Reads past the fields of any tag but kNewFile3/kNewFile4; false for one this reader does not know. */
    private static boolean skip(int tag, Reader in) {
        switch (tag) {
            case 1, 201 -> in.slice();
            case 2, 3, 4, 9, 10 -> in.varint64();
            case 5 -> {
                in.varint32();
                in.slice();
            }
            case 6 -> {
                in.varint32();
                in.varint64();
            }
            case 7 -> newFile(in, false, false);
            case 100 -> newFile(in, false, true);
            case 200, 203, 300 -> in.varint32();
            case 202 -> { }
            case 400 -> {
                in.varint64();
                in.varint64();
                in.varint64();
                in.slice();
                in.slice();
                return skipBlobCustomFields(in);
            }
            case 401 -> {
                in.varint64();
                in.varint64();
                in.varint64();
                return skipBlobCustomFields(in);
            }
            default -> {
                if ((tag & TAG_SAFE_IGNORE) == 0) {
                    return false;
                }
                in.slice();
            }
        }
        return true;
    }

    /** The masked CRC32C of the type byte and the rest ({@code util/crc32c.h} Mask). */
    private static boolean checksumMatches(byte[] data, int pos, int header, int length) {
        int stored = (data[pos] & 0xff) | (data[pos + 1] & 0xff) << 8 | (data[pos + 2] & 0xff) << 16
                | (data[pos + 3] & 0xff) << 24;
        CRC32C crc = new CRC32C();
        crc.update(data, pos + 6, header - 6 + length);
        int c = (int) crc.getValue();
        int masked = ((c >>> 15) | (c << 17)) + 0xa282ead8;
        return masked == stored;
    }

    /** Applies one VersionEdit: its deletions first, then its additions (as {@code VersionBuilder::Apply}). */
    private static boolean apply(byte[] edit, Map<Long, Table> live) {
        Reader in = new Reader(edit);
        int columnFamily = 0;
        boolean dropped = false;
        List<Long> deleted = new ArrayList<>();
        List<long[]> added = new ArrayList<>();
        try {
            while (in.more()) {
                int tag = in.varint32();
                switch (tag) {
                    case 1, 201 -> in.slice(); // comparator, column family added (its name)
                    case 2, 3, 4, 9, 10 -> in.varint64(); // log numbers, next file number, last sequence
                    case 5 -> { // compact cursor: level, internal key
                        in.varint32();
                        in.slice();
                    }
                    case 6 -> { // deleted file: level, number
                        in.varint32();
                        deleted.add(in.varint64());
                    }
                    case 7 -> added.add(newFile(in, false, false)); // leveldb's kNewFile
                    case 100 -> added.add(newFile(in, false, true));
                    case 102 -> added.add(newFile(in, true, true));
                    case 103 -> {
                        long[] f = newFile(in, false, true);
                        while (true) {
                            int custom = in.varint32();
                            if (custom == 1) {
                                break; // kTerminate
                            }
                            byte[] field = in.slice();
                            if (custom == CUSTOM_PATH_ID) {
                                if (field.length != 1) {
                                    return false;
                                }
                                f[1] = field[0] & 0xff;
                            } else if ((custom & CUSTOM_TAG_NON_SAFE_IGNORE) != 0) {
                                return false;
                            }
                        }
                        added.add(f);
                    }
                    case 200 -> columnFamily = in.varint32();
                    case 202 -> dropped = true;
                    case 203, 300 -> in.varint32(); // max column family, atomic group size
                    case 400 -> { // blob file addition: number, count, bytes, checksum method, checksum value
                        in.varint64();
                        in.varint64();
                        in.varint64();
                        in.slice();
                        in.slice();
                        if (!skipBlobCustomFields(in)) {
                            return false;
                        }
                    }
                    case 401 -> { // blob file garbage: number, count, bytes
                        in.varint64();
                        in.varint64();
                        in.varint64();
                        if (!skipBlobCustomFields(in)) {
                            return false;
                        }
                    }
                    default -> {
                        if ((tag & TAG_SAFE_IGNORE) == 0) {
                            return false;
                        }
                        in.slice();
                    }
                }
            }
        } catch (IndexOutOfBoundsException e) {
            return false;
        }
        int cf = columnFamily;
        if (dropped) {
            live.values().removeIf(t -> t.columnFamily() == cf);
            return true;
        }
        deleted.forEach(live::remove);
        for (long[] f : added) {
            live.put(f[0], new Table(f[0], (int) f[1], cf));
        }
        return true;
    }

    /** Level, number, [path_id], size, smallest, largest, [smallest and largest seqno]; returns {number, path_id}. */
    private static long[] newFile(Reader in, boolean pathId, boolean seqnos) {
        in.varint32();
        long number = in.varint64();
        long path = pathId ? in.varint32() : 0;
        in.varint64();
        in.slice();
        in.slice();
        if (seqnos) {
            in.varint64();
            in.varint64();
        }
        return new long[] {number, path};
    }

    /** BlobFileAddition/BlobFileGarbage custom fields up to kEndMarker (1); false for an unignorable one. */
    private static boolean skipBlobCustomFields(Reader in) {
        while (true) {
            int custom = in.varint32();
            if (custom == 1) {
                return true;
            }
            if ((custom & CUSTOM_TAG_NON_SAFE_IGNORE) != 0) {
                return false;
            }
            in.slice();
        }
    }

    /** Varints and length-prefixed slices ({@code util/coding.h}); out-of-range reads throw. */
    private static final class Reader {
        private final byte[] b;
        int p;

        Reader(byte[] b) {
            this.b = b;
        }

        boolean more() {
            return p < b.length;
        }

        long varint64() {
            long v = 0;
            for (int shift = 0; shift <= 63; shift += 7) {
                int x = b[p++] & 0xff;
                v |= (long) (x & 0x7f) << shift;
                if (x < 0x80) {
                    return v;
                }
            }
            throw new IndexOutOfBoundsException("varint too long");
        }

        int varint32() {
            long v = varint64();
            if (v > 0xffffffffL) {
                throw new IndexOutOfBoundsException("varint32 too large");
            }
            return (int) v;
        }

        byte[] slice() {
            int n = varint32();
            if (n < 0 || p + n > b.length) {
                throw new IndexOutOfBoundsException("slice beyond the record");
            }
            byte[] s = java.util.Arrays.copyOfRange(b, p, p + n);
            p += n;
            return s;
        }
    }
}
