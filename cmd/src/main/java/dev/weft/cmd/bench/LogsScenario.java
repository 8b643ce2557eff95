package dev.weft.cmd.bench;

import java.net.URI;
import java.util.function.UnaryOperator;

/**
 * {@code weft bench logs}: 1,000 WebSocket viewers of one live stub workflow's {@code /logs} (JSON
 * text frames, the legacy {@code LogLine}), then a bare Netty server sending the very same frames,
 * read back from weft's store, to as many clients of the same kind; the rounds and what they time
 * are {@link LiveLogRounds}'. Three rounds (one under {@code --quick}); the best round of each side
 * counts, as the one least disturbed by whatever else the machine was doing. Target: weft at least
 * 70 % of the bare server.
 */
final class LogsScenario {
    static final String NAME = "logs";
    static final double TARGET = 0.70;

    static final LiveLogRounds.Stream STREAM = new LiveLogRounds.Stream(NAME, "/logs viewers", "lines/s", TARGET,
            false, false,
            (w, rkey) -> URI.create(w.wsBase() + "/logs/" + w.knot.host() + "/" + rkey + "/" + LiveLogRounds.WORKFLOW),
            UnaryOperator.identity());

    private LogsScenario() {
    }

    static Outcome run(BenchContext ctx) throws Exception {
        return LiveLogRounds.run(ctx, STREAM);
    }
}
