package dev.meridian.backup.rocks;

import java.nio.file.Path;

/**
 * One entry of RocksDB's {@code db_paths} ({@code DBOptions::db_paths}, {@code DbPath(path, target_size)} in
 * {@code include/rocksdb/options.h}): a directory for SST files and the bytes RocksDB aims to keep in it before
 * placing newer files in the next one. RocksDB does not record db_paths in the OPTIONS file, so Meridian takes them
 * from its configuration ({@code db-paths} of a database).
 *
 * @param path absolute directory
 * @param targetSizeBytes target size in bytes, at least 0
 */
public record DbPath(Path path, long targetSizeBytes) {
    public DbPath {
        if (!path.isAbsolute() || targetSizeBytes < 0) {
            throw new IllegalArgumentException("a db path needs an absolute path and a target size >= 0: " + path
                    + ", " + targetSizeBytes);
        }
        path = path.normalize();
    }
}
