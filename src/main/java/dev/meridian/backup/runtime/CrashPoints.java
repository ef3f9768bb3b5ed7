package dev.meridian.backup.runtime;

/**
 * Named instants inside backup and restore where the crash tests stop the process dead. When the system property
 * {@code meridian.test.crash-at} names a point, reaching it halts the JVM at once (no shutdown hooks, no flushing),
 * as a power cut or SIGKILL would. Without the property this does nothing.
 */
public final class CrashPoints {
    private static final String TARGET = System.getProperty("meridian.test.crash-at", "");

    private CrashPoints() {}

    public static void reach(String point) {
        if (!TARGET.isEmpty() && TARGET.equals(point)) {
            System.err.println("CRASH-POINT " + point);
            System.err.flush();
            Runtime.getRuntime().halt(137);
        }
    }
}
