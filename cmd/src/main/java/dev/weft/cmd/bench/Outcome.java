package dev.weft.cmd.bench;

/**
 * What one scenario measured, for the closing summary of {@code weft bench}.
 *
 * @param scenario  its name
 * @param figure    weft's headline figure, with its unit
 * @param reference the reference's figure in the same run, or "-"
 * @param target    the target as the issue states it, with the measured ratio or value against it
 * @param verdict   whether the target was met
 */
record Outcome(String scenario, String figure, String reference, String target, Verdict verdict) {

    enum Verdict {
        MET("met"), MISSED("MISSED"), NO_TARGET("-"), UNCHECKED("no reference"), FAILED("FAILED");

        final String label;

        Verdict(String label) {
            this.label = label;
        }
    }

    static Verdict atLeast(double value, double target) {
        return value >= target ? Verdict.MET : Verdict.MISSED;
    }

    static Verdict atMost(double value, double target) {
        return value <= target ? Verdict.MET : Verdict.MISSED;
    }

    static Outcome failed(String scenario, String why) {
        return new Outcome(scenario, why, "-", "-", Verdict.FAILED);
    }
}
