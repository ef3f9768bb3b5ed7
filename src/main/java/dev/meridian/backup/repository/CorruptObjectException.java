package dev.meridian.backup.repository;

import java.io.IOException;

/** An object that exists but does not hold what its name and the manifest promise. */
public final class CorruptObjectException extends IOException {
    public CorruptObjectException(String problem) {
        super(problem);
    }
}
