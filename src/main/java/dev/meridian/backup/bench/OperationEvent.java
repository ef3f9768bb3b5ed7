package dev.meridian.backup.bench;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

/**
 * Marks each timed operation in a flight recording, so a profile of a whole benchmark run can be cut into the
 * windows of one contender's operation (see docs/performance.md). Costs nothing when no recording runs.
 */
@Name("dev.meridian.bench.Operation")
@Label("Benchmark operation")
@Category("Meridian")
@Description("One timed operation of one contender in one round of the benchmark")
final class OperationEvent extends jdk.jfr.Event {
    @Label("Contender")
    String contender;

    @Label("Operation")
    String operation;

    @Label("Round")
    int round;
}
