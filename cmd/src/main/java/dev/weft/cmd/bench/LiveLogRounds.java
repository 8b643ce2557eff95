package dev.weft.cmd.bench;

import dev.weft.model.WorkflowId;
import dev.weft.spi.CancelReason;
import dev.weft.store.RunRecord;
import dev.weft.store.StepRecord;
import dev.weft.store.StoredFrame;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;

/**
 * The machinery {@code logs} and {@code cilogs} share: 1,000 WebSocket viewers of one live stub
 * workflow's log on one of weft's log endpoints, then a bare Netty server ({@link BareWsServer})
 * sending the very same frames to as many clients of the same kind, in the same run, in
 * alternating rounds (three, one under {@code --quick}). In each round the bare server's clients
 * connect first and idle until weft is done; their connect time sizes the workflow's initial wait.
 * What differs between the two scenarios is a {@link Stream}: the endpoint, text or binary frames,
 * how weft's stored lines become that endpoint's frames, the target, and whether each side's best
 * round or the median of the per-round ratios counts.
 *
 * <p>The workflow's first step waits a few seconds on one line while the viewers connect (each
 * gets the step's start line then); its second step prints its lines without delay, so weft stores
 * and fans them out while they are produced, as it would a chatty build; a third step keeps the
 * workflow running, as a build would, until the bench cancels it once every viewer has the second
 * step's end. weft's figure counts the frames every viewer received from the first line after the
 * wait to that end line, over that time; the bare server's counts every frame from its start
 * signal (all clients connected) to the last frame. Every viewer must receive every frame (as many
 * as weft stored lines, of the stream's kind, as many bytes as the bare server sends) and the close
 * 1000 that ends a complete log, on both sides.
 */
final class LiveLogRounds {
    static final String WORKFLOW = "logs.yml";

    /**
     * One log endpoint under test.
     *
     * @param scenario its name in the bench's output
     * @param viewers  what its clients are, for the output ("/logs viewers")
     * @param unit     its rate's unit ("lines/s")
     * @param target   weft / bare to reach
     * @param binary   whether its frames are binary (else text)
     * @param median   whether the median of the per-round ratios counts (else each side's best round)
     * @param uri      the stream of the workflow of pipeline {@code rkey} on weft
     * @param wire     weft's stored frames of that workflow, in order, to what the endpoint sends for them
     */
    record Stream(String scenario, String viewers, String unit, double target, boolean binary, boolean median,
                  BiFunction<WeftUnderTest, String, URI> uri, UnaryOperator<List<byte[]>> wire) {
    }

    private LiveLogRounds() {
    }

    static String yaml(int lines, String wait, boolean linger) {
        StringBuilder b = new StringBuilder("""
                engine: stub
                stub:
                  steps:
                    - name: wait
                      command: sleep
                      output: ["waiting for viewers"]
                      delay: %s
                    - name: stream
                      command: ./build.sh
                      output:
                """.formatted(wait));
        for (int i = 1; i <= lines; i++) {
            b.append(String.format(Locale.ROOT,
                    "            - \"[%05d] compiling src/main/java/dev/weft/module%03d/Source%05d.java ... ok\"%n",
                    i, i % 97, i));
        }
        // Keeps the workflow live after its lines, as a build does; the bench cancels it once every
        // viewer has every line, so this step's line is never printed.
        if (linger) b.append("""
                    - name: linger
                      command: sleep
                      output: ["never printed"]
                      delay: 1h
                """);
        return b.toString();
    }

    static Outcome run(BenchContext ctx, Stream s) throws Exception {
        String name = s.scenario();
        String unit = s.unit();
        int viewers = 1000;
        int lines = ctx.pick(3000, 1000);
        int rounds = ctx.pick(3, 1);
        List<Double> weftRates = new ArrayList<>();
        List<Double> bareRates = new ArrayList<>();
        List<Double> ratios = new ArrayList<>();
        try (BareWsServer bare = new BareWsServer(s.binary());
             WsClients bareClients = new WsClients(2);
             WeftUnderTest w = WeftUnderTest.start(true, null, Map.of());
             WsClients clients = new WsClients(2)) {
            int port = bare.start();
            URI bareUri = URI.create("ws://127.0.0.1:" + port + "/");
            int waitSeconds = ctx.pick(6, 4);
            for (int round = 1; round <= rounds; round++) {
                // The bare server's clients connect first and wait: how long 1,000 handshakes take
                // on this machine now sets how long the workflow waits for weft's viewers.
                Viewers bareCrowd = new Viewers(viewers, s.binary());
                long c0 = System.nanoTime();
                bareCrowd.connect(bareClients, bareUri, 120);
                long connectNanos = System.nanoTime() - c0;
                waitSeconds = (int) Math.min(60, Math.max(ctx.pick(6, 4), Math.ceil(3 * connectNanos / 1e9) + 2));
                ctx.say(name, "round " + round + "/" + rounds + ": " + viewers + " " + s.viewers()
                        + " of one live stub workflow printing " + lines + " lines; " + viewers
                        + " bare clients connected in " + Fmt.seconds(connectNanos) + ", so the workflow first waits "
                        + waitSeconds + " s");

                WeftSide weft = weft(ctx, s, w, clients, round, viewers, lines, waitSeconds, true);
                if (weft.wrong != 0) return Outcome.failed(name, weft.wrong + " viewers missed frames");

                long t0 = System.nanoTime();
                bare.go(weft.frames);
                if (!bareCrowd.awaitClosed(300)) {
                    bareCrowd.closeAll();
                    throw new IllegalStateException(bareCrowd.openCount() + " bare clients still open after 300 s");
                }
                bare.hold();
                long t1 = bareCrowd.latestLast();
                int wrong = bareCrowd.wrong(weft.frames.size(), weft.bytes);
                double bareRate = bareCrowd.totalFrames() / ((t1 - t0) / 1e9);
                ctx.say(name, "  bare netty: " + Fmt.count(bareCrowd.totalFrames()) + " frames to " + viewers
                        + " clients in " + Fmt.seconds(t1 - t0) + ": " + Fmt.count(bareRate) + " " + unit
                        + (wrong == 0 ? "" : "; " + wrong + " clients wrong, e.g. "
                        + bareCrowd.firstWrong(weft.frames.size(), weft.bytes)));
                ctx.say(name, "  weft / bare this round: " + Fmt.percent(weft.rate / bareRate));
                weftRates.add(weft.rate);
                bareRates.add(bareRate);
                ratios.add(weft.rate / bareRate);
            }
            if (!ctx.quick()) {
                // The same lines from a workflow that ends right after printing them: viewers still
                // catching up then read a finished log.
                ctx.say(name, "one more round, not counted for the target: the workflow ends right after its lines");
                WeftSide finished = weft(ctx, s, w, clients, rounds + 1, viewers, lines, waitSeconds, false);
                if (finished.wrong != 0) return Outcome.failed(name, finished.wrong + " viewers missed frames");
                double bareRef = s.median() ? Ratios.median(bareRates) : max(bareRates);
                ctx.say(name, "  finished workflow: weft " + Fmt.count(finished.rate) + " " + unit + ", "
                        + Fmt.percent(finished.rate / bareRef) + " of the " + (s.median() ? "median" : "best")
                        + " bare round");
            }
        }
        String target = Math.round(s.target() * 100) + " %";
        if (s.median()) {
            double ratio = Ratios.median(ratios);
            double weftRate = Ratios.median(weftRates);
            double bareRate = Ratios.median(bareRates);
            ctx.say(name, "median of " + rounds + " round" + (rounds == 1 ? "" : "s") + ": weft " + Fmt.count(weftRate)
                    + " " + unit + ", bare " + Fmt.count(bareRate) + " " + unit + "; weft / bare " + Fmt.percent(ratio)
                    + " (the median of the per-round ratios; target >= " + target + "); per round "
                    + Ratios.describe(ratios));
            return new Outcome(name, Fmt.count(weftRate) + " " + unit + " (median)",
                    Fmt.count(bareRate) + " " + unit + " (bare)",
                    ">= " + target + " of bare, median: " + Fmt.percent(ratio), Outcome.atLeast(ratio, s.target()));
        }
        double bestWeft = max(weftRates);
        double bestBare = max(bareRates);
        double ratio = bestWeft / bestBare;
        ctx.say(name, "best of " + rounds + ": weft " + Fmt.count(bestWeft) + " " + unit + ", bare " + Fmt.count(bestBare)
                + " " + unit + "; weft / bare " + Fmt.percent(ratio) + " (target >= " + target + "); per round "
                + Ratios.describe(ratios));
        return new Outcome(name, Fmt.count(bestWeft) + " " + unit, Fmt.count(bestBare) + " " + unit + " (bare)",
                ">= " + target + " of bare: " + Fmt.percent(ratio), Outcome.atLeast(ratio, s.target()));
    }

    private static double max(List<Double> values) {
        double m = 0;
        for (double v : values) m = Math.max(m, v);
        return m;
    }

    /**
     * weft's side of a round: its delivery rate, how many viewers went wrong, and the frames the
     * endpoint sent for the stored lines (with their total size), which the bare server then sends.
     */
    private record WeftSide(double rate, int wrong, List<byte[]> frames, long bytes) {
    }

    private static WeftSide weft(BenchContext ctx, Stream s, WeftUnderTest w, WsClients clients, int round,
                                 int viewers, int lines, int waitSeconds, boolean linger) throws Exception {
        String name = s.scenario();
        String rkey = w.rkey(round);
        w.knot.publishPipeline(rkey, w.pushRecord(round, WORKFLOW, yaml(lines, waitSeconds + "s", linger)));
        WorkflowId id = new WorkflowId(w.knot.host(), rkey, WORKFLOW);
        long until = System.nanoTime() + 30_000_000_000L;
        Optional<RunRecord> run;
        while ((run = w.weft.store().runs().run(id)).isEmpty()) {
            if (System.nanoTime() > until) throw new IllegalStateException("the workflow was not accepted");
            Thread.sleep(10);
        }
        long accepted = System.nanoTime();
        // Frames up to the end of the streaming step: the wait step's start, line and end, the
        // stream's start, its lines and its end.
        long mark = lines + 5L;
        Viewers crowd = new Viewers(viewers, mark, s.binary());
        URI uri = s.uri().apply(w, rkey);
        crowd.connect(clients, uri, 120);
        long ready = System.nanoTime();
        if (!crowd.awaitMarked(300)) {
            crowd.closeAll();
            throw new IllegalStateException("viewers did not all get " + mark + " frames within 300 s");
        }
        if (linger) w.weft.runs().cancel(id, CancelReason.REQUESTED);
        if (!crowd.awaitClosed(60)) {
            crowd.closeAll();
            throw new IllegalStateException(crowd.openCount() + " viewers still open 60 s after the last line");
        }
        long runId = run.get().id();
        long stored = w.weft.store().logs().lastSeq(runId);
        List<byte[]> storedFrames = new ArrayList<>((int) stored);
        for (StoredFrame l : w.weft.store().logs().after(runId, 0, (int) stored)) storedFrames.add(l.frame());
        List<byte[]> frames = s.wire().apply(storedFrames);
        long bytes = 0;
        for (byte[] f : frames) bytes += f.length;
        int wrong = crowd.wrong(stored, bytes);
        long t0 = crowd.earliestSecond();
        long t1 = crowd.latestMark();
        long delivered = viewers * (mark - 1); // each viewer's first frame came before the window
        double rate = delivered / ((t1 - t0) / 1e9);
        ctx.say(name, "  weft: viewers connected " + Fmt.seconds(ready - accepted) + " after the workflow was accepted; "
                + stored + " lines stored; every viewer received "
                + (wrong == 0 ? "all " + stored + " as " + (s.binary() ? "binary" : "text") + " frames ("
                + Fmt.count(bytes) + " bytes) and close 1000"
                : "NOT all: " + wrong + " viewers wrong, e.g. " + crowd.firstWrong(stored, bytes)));
        if (t0 < ready) ctx.say(name, "  weft: warning: lines flowed before every viewer was connected");
        ctx.say(name, "  weft: " + Fmt.count(delivered) + " frames delivered in " + Fmt.seconds(t1 - t0) + ": "
                + Fmt.count(rate) + " " + s.unit() + " (" + produced(w, runId) + ")");
        return new WeftSide(rate, wrong, frames, bytes);
    }

    /** How fast the stub wrote the streaming step, from its start and end times in the store. */
    private static String produced(WeftUnderTest w, long runId) {
        for (StepRecord st : w.weft.store().logs().steps(runId)) {
            if (st.name().equals("stream") && st.endedAt() != null) {
                long nanos = st.endedAt() - st.startedAt();
                return "the stub wrote its lines in " + Fmt.seconds(nanos);
            }
        }
        return "the stub's write time is unknown";
    }
}
