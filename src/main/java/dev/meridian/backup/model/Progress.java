package dev.meridian.backup.model;

/** Receives progress of long work: bytes done out of a total known up front. Called from I/O threads. */
@FunctionalInterface
public interface Progress {
    Progress NONE = (done, total) -> {};

    void report(long bytesDone, long bytesTotal);
}
