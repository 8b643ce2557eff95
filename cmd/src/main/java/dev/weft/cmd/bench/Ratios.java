package dev.weft.cmd.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Per-round ratios of weft to a reference and their median, the figure that counts. */
final class Ratios {
    private Ratios() {
    }

    /** {@code 62.0 %, 76.2 %, 89.0 % (median 76.2 %)}; "-" when there are none. */
    static String describe(List<Double> ratios) {
        if (ratios.isEmpty()) return "-";
        List<String> parts = new ArrayList<>();
        for (double r : ratios) parts.add(Fmt.percent(r));
        return String.join(", ", parts) + " (median " + Fmt.percent(median(ratios)) + ")";
    }

    static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
