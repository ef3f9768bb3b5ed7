package dev.meridian.backup.runtime;

import dev.meridian.backup.repository.FileFingerprints;
import dev.meridian.backup.repository.JobJournal;
import dev.meridian.backup.repository.Repository;
import java.time.Clock;

/**
 * What every job needs besides its own request and limits: the repository, the local journal and fingerprint
 * cache, metrics and the clock. Settings are not here: each job gets the small limits record it reads.
 */
public record JobContext(Repository repository, JobJournal journal, FileFingerprints fingerprints, Metrics metrics,
        Clock clock) {
    public static final String IO_DISPATCHER = "meridian.io-dispatcher";
    public static final String ROCKSDB_DISPATCHER = "meridian.rocksdb-dispatcher";
    public static final String HASH_DISPATCHER = "meridian.hash-dispatcher";
}
