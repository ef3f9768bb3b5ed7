package dev.meridian.backup.bench;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Rounds in rotating order and the statistics the comparisons report over them: per-round times in ms, medians, and
 * the median of per-round ratios (both contenders of a round run back to back, so that ratio is the steadier one
 * when the machine's load drifts during the run).
 */
final class Alternation {
    private Alternation() {}

    /**
     * Runs {@code runs} rounds, each contender once per round, the order rotated by one place every round; round
     * numbers start at 1 and {@code plan} gets the round number.
     */
    static List<Round> rounds(List<Contender> contenders, int runs, IntFunction<Contender.Plan> plan, Path work,
            HeapMeter heap, PrintStream log) throws Exception {
        List<Round> rounds = new ArrayList<>();
        for (int r = 0; r < runs; r++) {
            for (int k = 0; k < contenders.size(); k++) {
                Contender c = contenders.get((k + r) % contenders.size());
                log.printf("round %d/%d: %s%n", r + 1, runs, c.name());
                Round round = new Round(c.name(), r + 1, heap);
                c.run(plan.apply(r + 1), work, round);
                rounds.add(round);
            }
        }
        return rounds;
    }

    /** {@code contender}'s times for {@code op} in ms, in round order. */
    static List<Long> ms(List<Round> rounds, String contender, Operation op) {
        return rounds.stream().filter(r -> r.contender.equals(contender) && r.nanos.containsKey(op))
                .map(r -> r.nanos.get(op) / 1_000_000).toList();
    }

    /** The median (the mean of the middle two for an even count); {@code values} must not be empty. */
    static long median(List<Long> values) {
        return Math.round(medianOf(values.stream().map(Long::doubleValue).toList()));
    }

    static double medianOf(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** The median over rounds of {@code over[i] / under[i]} (a zero time counts as 1 ms). */
    static double pairedRatio(List<Long> over, List<Long> under) {
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < Math.min(over.size(), under.size()); i++) {
            ratios.add(over.get(i) / (double) Math.max(under.get(i), 1));
        }
        return medianOf(ratios);
    }
}
