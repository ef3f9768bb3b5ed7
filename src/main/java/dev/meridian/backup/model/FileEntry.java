package dev.meridian.backup.model;

/**
 * One file of a backup. {@code blake3} is the hash of the file's bytes; {@code object} names the repository object
 * holding them. They are equal today; with encryption the object name will be a keyed hash instead.
 */
public record FileEntry(String name, long size, Hash blake3, Hash object) {
    public FileEntry {
        Validation.fileName(name);
        if (size < 0) {
            throw BackupException.invalid("file " + name + " has negative size " + size);
        }
        java.util.Objects.requireNonNull(blake3, "blake3");
        java.util.Objects.requireNonNull(object, "object");
    }
}
