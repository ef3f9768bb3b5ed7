package dev.meridian.backup.engine;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;

/**
 * Drops the log lines of the start-up warm-up's scratch work, whatever logback configuration is in use (the shipped
 * ones, {@code -Dlogback.configurationFile}, an embedding host's): every event logged on a thread of the rehearsal's
 * scratch engine ({@link EngineRehearsal}, threads Pekko names {@code meridian-rehearsal-<dispatcher>-<n>}), and every
 * event of another class than {@link EngineWarmup} logged on the warm-up's own thread ({@link EngineWarmup#THREAD}).
 * They are about a scratch database and repository nobody configured: "[published] Backup ... of warm-up", or, with
 * a full temporary directory, "[failed] Restore ... the disk that holds the repository is full", which is not true of
 * the repository the operator configured.
 *
 * <p>One exception passes: {@code DurableFiles}' warning that a filesystem refuses directory fsync, which is said once
 * per filesystem and true of it whoever meets it first. {@link EngineWarmup}'s own lines (debug level: what it did
 * and how long it took) pass. Installed as a turbo filter by {@link #install} when SLF4J is bound to logback; with
 * another binding the scratch lines are not filtered (docs/embedding.md).
 */
public final class RehearsalLogFilter extends TurboFilter {
    private static final String PREFIX = EngineRehearsal.SYSTEM_NAME + "-";
    private static final String DIRECTORY_FSYNC_WARNING = "dev.meridian.backup.store.file.DurableFiles";

    /** Adds the filter to logback's context once (nothing when SLF4J is bound to another backend). */
    static void install() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            synchronized (RehearsalLogFilter.class) {
                if (context.getTurboFilterList().stream().noneMatch(f -> f instanceof RehearsalLogFilter)) {
                    RehearsalLogFilter filter = new RehearsalLogFilter();
                    filter.setName("meridian-rehearsal");
                    filter.start();
                    context.addTurboFilter(filter);
                }
            }
        }
    }

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
        return decide(Thread.currentThread().getName(), logger == null ? "" : logger.getName());
    }

    /** DENY for an event of logger {@code loggerName} logged on thread {@code thread} by the scratch work, else NEUTRAL. */
    static FilterReply decide(String thread, String loggerName) {
        if (thread == null || DIRECTORY_FSYNC_WARNING.equals(loggerName)) {
            return FilterReply.NEUTRAL;
        }
        boolean scratch = thread.startsWith(PREFIX)
                || thread.equals(EngineWarmup.THREAD) && !EngineWarmup.class.getName().equals(loggerName);
        return scratch ? FilterReply.DENY : FilterReply.NEUTRAL;
    }
}
