package dev.meridian.backup.embed;

import java.nio.file.Files;
import java.nio.file.Path;

/** The configuration file of a test host: one application-owned database, everything else under {@code work}. */
final class HostConfig {
    private HostConfig() {}

    /**
     * Writes {@code <work>/meridian.conf} for database {@code name} at {@code <work>/<name>}, with {@code extra}
     * (HOCON members, e.g. {@code schedule = off}) added to its entry; returns the file.
     */
    static Path write(Path work, String name, String extra) throws Exception {
        return write(work, name, extra, "");
    }

    /** As {@link #write(Path, String, String)}, with {@code settings} (e.g. {@code io.rate-limit = 512KiB}) in meridian. */
    static Path write(Path work, String name, String extra, String settings) throws Exception {
        Files.createDirectories(work.resolve("restores"));
        Path conf = work.resolve("meridian.conf");
        Files.writeString(conf, """
                meridian {
                  repository.path = "%1$s/repository"
                  state-dir = "%1$s/state"
                  restore-roots = ["%1$s/restores"]
                  %4$s
                  databases = [ { name = "%2$s", path = "%1$s/%2$s", owner = "application"%3$s } ]
                }
                """.formatted(work, name, extra.isEmpty() ? "" : ", " + extra, settings));
        return conf;
    }
}
