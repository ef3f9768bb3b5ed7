package dev.meridian.backup.engine;

import dev.meridian.backup.config.Settings;
import dev.meridian.backup.repository.Repository;
import dev.meridian.backup.runtime.JobContext;
import java.time.Clock;

/**
 * What the engine reads: the whole settings (to check what callers name against the configuration) and the
 * context its jobs share. The accessors below are the job context's, so callers need not say {@code jobs()}.
 */
public record EngineContext(Settings settings, JobContext jobs) {
    public Repository repository() {
        return jobs.repository();
    }

    public Clock clock() {
        return jobs.clock();
    }
}
