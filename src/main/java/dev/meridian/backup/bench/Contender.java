package dev.meridian.backup.bench;

import java.nio.file.Path;
import java.util.Set;

/** One way of backing up and restoring the benchmark database, measured in rounds. */
interface Contender {
    String name();

    /**
     * Runs {@code plan.operations()} in order on fresh copies made under {@code work} (which the contender empties
     * again before returning), recording each into {@code round}.
     */
    void run(Plan plan, Path work, Round round) throws Exception;

    /**
     * What one round does. A round that includes {@link Operation#INCREMENTAL} first writes {@code changeBytes} of new
     * data with {@code changeSeed}, so every contender in a round gets the same change. {@code rateLimit} in bytes
     * per second applies to backup and restore I/O (0: none). With {@code reopenBeforeIncremental}, the database is
     * closed after the full backup, the change is written through an open of its own, and the incremental runs on
     * the database opened anew (Meridian: a new engine), as {@code bench --cold} runs it in a new process:
     * RocksDB writes a new MANIFEST at every open, so that incremental also stores the new CURRENT. With
     * {@link Operation#NEXT_INCREMENTAL}, 1% other new data ({@link ColdOperation#NEXT_SEED}) is then written through
     * the open database and backed up again by the same engine: a running engine's next incremental.
     */
    record Plan(Path source, long sourceBytes, Set<Operation> operations, long changeBytes, long changeSeed, long rateLimit,
                boolean reopenBeforeIncremental) {
        public Plan {
            operations = Set.copyOf(operations);
        }

        Plan(Path source, long sourceBytes, Set<Operation> operations, long changeBytes, long changeSeed, long rateLimit) {
            this(source, sourceBytes, operations, changeBytes, changeSeed, rateLimit, false);
        }

        boolean has(Operation op) {
            return operations.contains(op);
        }
    }
}
