package dev.weft.cmd.bench;

import dev.weft.wire.CiLogFrames;

import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code weft bench cilogs}: 1,000 subscribers of one live stub workflow on
 * {@code /xrpc/sh.tangled.ci.subscribePipelineLogs?pipeline=<tid>} (binary DAG-CBOR frames, one
 * per stored line, converted for each connection as it is written), then a bare Netty server
 * sending the same frames, pre-encoded once with {@link CiLogFrames#stored} from weft's store, as
 * binary frames to as many clients of the same kind; the rounds and what they time are
 * {@link LiveLogRounds}'. Every subscriber must receive every frame (count and total bytes, all
 * binary) and close 1000 on both sides. Three rounds (one under {@code --quick}); the median of
 * the per-round ratios counts. Target: weft at least 90 % of the bare server.
 */
final class CiLogsScenario {
    static final String NAME = "cilogs";
    static final double TARGET = 0.90;

    static final LiveLogRounds.Stream STREAM = new LiveLogRounds.Stream(NAME, "subscribePipelineLogs subscribers",
            "frames/s", TARGET, true, true,
            (w, rkey) -> URI.create(w.wsBase() + "/xrpc/sh.tangled.ci.subscribePipelineLogs?pipeline=" + rkey),
            CiLogsScenario::wire);

    private CiLogsScenario() {
    }

    static Outcome run(BenchContext ctx) throws Exception {
        return LiveLogRounds.run(ctx, STREAM);
    }

    /**
     * The subscription's frames for weft's stored {@code /logs} frames of the bench's workflow. The
     * stub stamps every line, so {@code now} (used only for a line without a time) never shows.
     */
    static List<byte[]> wire(List<byte[]> stored) {
        Instant now = Instant.now();
        List<byte[]> frames = new ArrayList<>(stored.size());
        for (byte[] f : stored) frames.add(CiLogFrames.stored(f, LiveLogRounds.WORKFLOW, now));
        return frames;
    }
}
