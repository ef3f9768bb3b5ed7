package dev.meridian.backup.engine;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * Drops the informational log lines of the start-up warm-up's scratch work: events below WARN logged on a thread of
 * the rehearsal's scratch engine ({@link EngineRehearsal}, threads Pekko names
 * {@code meridian-rehearsal-<dispatcher>-<n>}), or logged on the warm-up's own thread ({@link EngineWarmup#THREAD})
 * by another class than {@link EngineWarmup} (the repository code it runs says, for instance, that its scratch
 * repository has no catalog cache yet). They are about a scratch database and repository nobody configured, and
 * would mislead. Warnings and errors always pass: some are said once per process, such as a filesystem that refuses
 * directory fsync, and the scratch work may be the first to meet it. {@link EngineWarmup}'s own lines (debug level:
 * what it did and how long it took) pass. Used by conf/logback.xml and conf/logback-json.xml; a logback
 * configuration of one's own can add it the same way.
 */
public final class RehearsalLogFilter extends Filter<ILoggingEvent> {
    private static final String PREFIX = EngineRehearsal.SYSTEM_NAME + "-";

    @Override
    public FilterReply decide(ILoggingEvent event) {
        String thread = event.getThreadName();
        if (thread == null || event.getLevel().isGreaterOrEqual(Level.WARN)) {
            return FilterReply.NEUTRAL;
        }
        boolean scratch = thread.startsWith(PREFIX)
                || thread.equals(EngineWarmup.THREAD) && !EngineWarmup.class.getName().equals(event.getLoggerName());
        return scratch ? FilterReply.DENY : FilterReply.NEUTRAL;
    }
}
