package dev.meridian.backup.cli;

import picocli.CommandLine.Option;

/**
 * A client verb that only the server can carry out: it changes a database or deletes backups, and {@code --repo}
 * work is read-only. {@code --repo} is accepted only to say so (it is hidden from the verb's help).
 */
abstract class ServerVerb extends Verb {
    @Option(names = "--repo", hidden = true, paramLabel = "DIR|URL")
    String repoGiven;

    /** Refuses --repo with {@code why} (exit 2). */
    void requireServer(String why) {
        if (repoGiven != null) {
            throw new CliException(CliException.USAGE, why + "; drop --repo (it is for list, show, stats, verify, "
                    + "restore --target and unlock)");
        }
    }
}
