package dev.meridian.backup.cli;

import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * How a verb names one database, the same in every verb that takes one (create, list, stats, retention):
 * {@code --database DB}, the documented spelling, or a plain argument {@code DB} (as {@code create orders} and
 * {@code list orders} always took it, so scripts keep working). Both at once must agree; two different names are a
 * usage error (exit 2). copy, whose plain arguments are backup ids, takes {@code --database} only.
 */
final class DatabaseArgument {
    @Option(names = "--database", paramLabel = "DB", description = "The database (also accepted as a plain argument: DB).")
    String option;

    @Parameters(arity = "0..1", paramLabel = "DB", hidden = true, description = "The database, as --database DB.")
    String positional;

    /**
     * The database named, or null when none is.
     *
     * @throws CliException USAGE when the argument and {@code --database} name two different databases
     */
    String name() {
        if (option != null && positional != null && !option.equals(positional)) {
            throw new CliException(CliException.USAGE, "two databases given: '" + positional + "' as an argument and '"
                    + option + "' with --database; name one (with --database DB)");
        }
        return option != null ? option : positional;
    }
}
