package dev.weft.cmd.bench;

import dev.weft.logs.LogFeed;
import dev.weft.model.WorkflowId;
import dev.weft.spi.CancelReason;
import dev.weft.store.RunRecord;
import dev.weft.store.StepRecord;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code weft bench logs}: 1,000 WebSocket viewers of one live stub workflow's {@code /logs}, then
 * a bare Netty server ({@link BareWsServer}) sending the very same frames (read back from weft's
 * store) to as many clients of the same kind, in the same run, in alternating rounds (three, one
 * under {@code --quick}); the best round of each side counts, as the one least disturbed by
 * whatever else the machine was doing. In each round the bare server's clients connect first and
 * idle until weft is done; their connect time sizes the workflow's initial wait.
 *
 * <p>The workflow's first step waits a few seconds on one line while the viewers connect (each
 * gets the step's start line then); its second step prints its lines without delay, so weft stores
 * and fans them out while they are produced, as it would a chatty build; a third step keeps the
 * workflow running, as a build would, until the bench cancels it once every viewer has the second
 * step's end. weft's figure counts the frames every viewer received from the first line after the
 * wait to that end line, over that time; the bare server's counts every frame from its start
 * signal (all clients connected) to the last frame. Every viewer must receive every line and the
 * close 1000 that ends a complete log, on both sides. Target: weft at least 70 % of the bare
 * server.
 */
final class LogsScenario {
    static final String NAME = "logs";
    static final double TARGET = 0.70;
    static final String WORKFLOW = "logs.yml";

    private LogsScenario() {
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

    static Outcome run(BenchContext ctx) throws Exception {
        int viewers = 1000;
        int lines = ctx.pick(3000, 1000);
        int rounds = ctx.pick(3, 1);
        double bestWeft = 0;
        List<Double> ratios = new ArrayList<>();
        double bestBare = 0;
        try (BareWsServer bare = new BareWsServer();
             WsClients bareClients = new WsClients(2);
             WeftUnderTest w = WeftUnderTest.start(true, null, Map.of());
             WsClients clients = new WsClients(2)) {
            int port = bare.start();
            URI bareUri = URI.create("ws://127.0.0.1:" + port + "/");
            int waitSeconds = ctx.pick(6, 4);
            for (int round = 1; round <= rounds; round++) {
                // The bare server's clients connect first and wait: how long 1,000 handshakes take
                // on this machine now sets how long the workflow waits for weft's viewers.
                Viewers bareCrowd = new Viewers(viewers);
                long c0 = System.nanoTime();
                bareCrowd.connect(bareClients, bareUri, 120);
                long connectNanos = System.nanoTime() - c0;
                waitSeconds = (int) Math.min(60, Math.max(ctx.pick(6, 4), Math.ceil(3 * connectNanos / 1e9) + 2));
                ctx.say(NAME, "round " + round + "/" + rounds + ": " + viewers + " viewers of one live stub workflow"
                        + " printing " + lines + " lines; " + viewers + " bare clients connected in "
                        + Fmt.seconds(connectNanos) + ", so the workflow first waits " + waitSeconds + " s");

                WeftSide weft = weft(ctx, w, clients, round, viewers, lines, waitSeconds, true);
                if (weft.wrong != 0) return Outcome.failed(NAME, weft.wrong + " viewers missed lines");

                long t0 = System.nanoTime();
                bare.go(weft.frames);
                if (!bareCrowd.awaitClosed(300)) {
                    bareCrowd.closeAll();
                    throw new IllegalStateException(bareCrowd.openCount() + " bare clients still open after 300 s");
                }
                bare.hold();
                long t1 = bareCrowd.latestLast();
                int wrong = bareCrowd.wrong(weft.frames.size());
                double bareRate = bareCrowd.totalFrames() / ((t1 - t0) / 1e9);
                ctx.say(NAME, "  bare netty: " + Fmt.count(bareCrowd.totalFrames()) + " frames to " + viewers
                        + " clients in " + Fmt.seconds(t1 - t0) + ": " + Fmt.count(bareRate) + " lines/s"
                        + (wrong == 0 ? "" : "; " + wrong + " clients wrong, e.g. "
                        + bareCrowd.firstWrong(weft.frames.size())));
                ctx.say(NAME, "  weft / bare this round: " + Fmt.percent(weft.rate / bareRate));
                ratios.add(weft.rate / bareRate);
                bestWeft = Math.max(bestWeft, weft.rate);
                bestBare = Math.max(bestBare, bareRate);
            }
            if (!ctx.quick()) {
                // The same lines from a workflow that ends right after printing them: viewers still
                // catching up then read a finished log.
                ctx.say(NAME, "one more round, not counted for the target: the workflow ends right after its lines");
                WeftSide finished = weft(ctx, w, clients, rounds + 1, viewers, lines, waitSeconds, false);
                if (finished.wrong != 0) return Outcome.failed(NAME, finished.wrong + " viewers missed lines");
                ctx.say(NAME, "  finished workflow: weft " + Fmt.count(finished.rate) + " lines/s, "
                        + Fmt.percent(finished.rate / bestBare) + " of the best bare round");
            }
        }
        double ratio = bestWeft / bestBare;
        ctx.say(NAME, "best of " + rounds + ": weft " + Fmt.count(bestWeft) + " lines/s, bare " + Fmt.count(bestBare)
                + " lines/s; weft / bare " + Fmt.percent(ratio) + " (target >= 70 %); per round "
                + Ratios.describe(ratios));
        return new Outcome(NAME, Fmt.count(bestWeft) + " lines/s", Fmt.count(bestBare) + " lines/s (bare)",
                ">= 70 % of bare: " + Fmt.percent(ratio), Outcome.atLeast(ratio, TARGET));
    }

    /** weft's side of a round: its delivery rate, how many viewers went wrong, and the frames it stored. */
    private record WeftSide(double rate, int wrong, List<byte[]> frames) {
    }

    private static WeftSide weft(BenchContext ctx, WeftUnderTest w, WsClients clients, int round, int viewers,
                                 int lines, int waitSeconds, boolean linger) throws Exception {
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
        Viewers crowd = new Viewers(viewers, mark);
        URI uri = URI.create(w.wsBase() + "/logs/" + w.knot.host() + "/" + rkey + "/" + WORKFLOW);
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
        List<byte[]> frames = new ArrayList<>((int) stored);
        for (dev.weft.store.StoredFrame l : w.weft.store().logs().after(runId, 0, (int) stored)) frames.add(l.frame());
        int wrong = crowd.wrong(stored);
        long t0 = crowd.earliestSecond();
        long t1 = crowd.latestMark();
        long delivered = viewers * (mark - 1); // each viewer's first frame came before the window
        double rate = delivered / ((t1 - t0) / 1e9);
        ctx.say(NAME, "  weft: viewers connected " + Fmt.seconds(ready - accepted) + " after the workflow was accepted; "
                + stored + " lines stored; every viewer received "
                + (wrong == 0 ? "all " + stored + " and close 1000" : "NOT all: " + wrong + " viewers wrong, e.g. "
                + crowd.firstWrong(stored)));
        if (t0 < ready) ctx.say(NAME, "  weft: warning: lines flowed before every viewer was connected");
        ctx.say(NAME, "  weft: " + Fmt.count(delivered) + " frames delivered in " + Fmt.seconds(t1 - t0) + ": "
                + Fmt.count(rate) + " lines/s (" + produced(w, runId) + ")");
        return new WeftSide(rate, wrong, frames);
    }

    /** How fast the stub wrote the streaming step, from its start and end times in the store. */
    private static String produced(WeftUnderTest w, long runId) {
        for (StepRecord s : w.weft.store().logs().steps(runId)) {
            if (s.name().equals("stream") && s.endedAt() != null) {
                long nanos = s.endedAt() - s.startedAt();
                return "the stub wrote its lines in " + Fmt.seconds(nanos);
            }
        }
        return "the stub's write time is unknown";
    }
}
