package dev.weft.cmd.bench;

import dev.weft.model.PipelineId;
import dev.weft.model.Trigger;
import dev.weft.spi.ProviderConfigException;
import io.netty.buffer.ByteBuf;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code weft bench pending}: an in-process knot publishes a push pipeline (one stub workflow that
 * prints a line and succeeds) every 2 ms, 500 per second, to a weft with
 * {@code WEFT_FIRST_STATUS_DELAY=0} and {@code WEFT_STATUS_GAP=0}, while one {@code /events}
 * client watches. Latency per trigger: from just before the knot publishes the frame (a proxy for
 * "frame received", a loopback hop earlier) to the arrival of that workflow's {@code pending}
 * status at the {@code /events} client, which implies it was persisted and published. A warm-up
 * at the same rate (8 s, 2 s under {@code --quick}) comes first and is not counted; the bench waits
 * until its triggers are all pending, so the measured phase starts warm and with nothing queued. Target: p99 at most 20 ms.
 *
 * <p>The split printed after the total uses each trigger's {@code received_at} in the store (wall
 * clock), the moment weft's knot client read the frame off the socket: knot publish to frame read,
 * then frame read to pending seen. The median per two-second window shows whether a queue builds.
 */
final class PendingScenario {
    static final String NAME = "pending";
    static final int PER_SECOND = 500;
    static final int WARMUP_PER_SECOND = 500;
    static final int WINDOW_SECONDS = 2;
    static final double TARGET_P99_MS = 20;

    static final String WORKFLOW = "build.yml";
    static final String YAML = """
            engine: stub
            stub:
              steps:
                - name: build
                  command: make
                  output: ["ok"]
            """;

    private PendingScenario() {
    }

    static Outcome run(BenchContext ctx) throws Exception {
        int warmup = WARMUP_PER_SECOND * ctx.pick(8, 2);
        int measured = PER_SECOND * ctx.pick(20, 5);
        int total = warmup + measured;
        ctx.say(NAME, warmup + " warm-up triggers at " + WARMUP_PER_SECOND + "/s, a pause until they are all pending, then "
                + measured + " measured triggers at " + PER_SECOND + "/s; WEFT_FIRST_STATUS_DELAY=0s WEFT_STATUS_GAP=0s");
        try (WeftUnderTest w = WeftUnderTest.start(true, null,
                Map.of("WEFT_FIRST_STATUS_DELAY", "0s", "WEFT_STATUS_GAP", "0s"));
             WsClients clients = new WsClients(1)) {
            String[] rkeys = new String[total];
            String[] records = new String[total];
            Map<String, Integer> index = new HashMap<>();
            for (int i = 0; i < total; i++) {
                rkeys[i] = w.rkey(i);
                records[i] = w.pushRecord(i, WORKFLOW, YAML);
                index.put(rkeys[i], i);
            }
            long[] sentNanos = new long[total];
            long[] sentWallNanos = new long[total];
            long[] seenNanos = new long[total];
            AtomicInteger seen = new AtomicInteger();
            String marker = "/sh.tangled.pipeline/";
            clients.connect(URI.create(w.wsBase() + "/events"), (ByteBuf content, long nanos) -> {
                String frame = content.toString(StandardCharsets.UTF_8);
                if (!frame.contains("\"status\":\"pending\"")) return;
                int at = frame.indexOf(marker);
                if (at < 0) return;
                int start = at + marker.length();
                int end = frame.indexOf('"', start);
                Integer i = index.get(frame.substring(start, end));
                if (i != null && seenNanos[i] == 0) {
                    seenNanos[i] = nanos;
                    seen.incrementAndGet();
                }
            }).get(10, TimeUnit.SECONDS);

            publish(w, rkeys, records, sentNanos, sentWallNanos, 0, warmup, WARMUP_PER_SECOND);
            long drainLimit = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (seen.get() < warmup && System.nanoTime() < drainLimit) Thread.sleep(20);
            Thread.sleep(1000);

            long cpu0 = BenchContext.processCpuNanos();
            long begin = System.nanoTime();
            long lateMax = publish(w, rkeys, records, sentNanos, sentWallNanos, warmup, total, PER_SECOND);
            long publishNanos = System.nanoTime() - begin;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (seen.get() < total && System.nanoTime() < deadline) Thread.sleep(20);
            long cpu = BenchContext.processCpuNanos() - cpu0;
            int arrived = seen.get() - warmup;
            long lastSeen = 0;
            for (int i = warmup; i < total; i++) lastSeen = Math.max(lastSeen, seenNanos[i]);
            ctx.say(NAME, "measured phase: published " + measured + " in " + Fmt.seconds(publishNanos) + " ("
                    + Fmt.count(measured / (publishNanos / 1e9)) + "/s, worst lateness of the pacer "
                    + Fmt.millis(lateMax) + "); pending seen for " + arrived + " of " + measured + ", the last "
                    + Fmt.seconds(lastSeen - begin) + " after the first publish: weft kept "
                    + Fmt.count(arrived / ((lastSeen - begin) / 1e9)) + " triggers/s");
            if (cpu > 0) {
                ctx.say(NAME, "process CPU (weft, knot and client together): " + Fmt.millis(cpu / measured)
                        + " per trigger; " + ctx.load());
            }

            List<Long> latencies = new ArrayList<>();
            List<Long> toRead = new ArrayList<>();
            List<Long> readToSeen = new ArrayList<>();
            int missing = 0;
            for (int i = warmup; i < total; i++) {
                if (seenNanos[i] == 0) {
                    missing++;
                    continue;
                }
                long latency = seenNanos[i] - sentNanos[i];
                latencies.add(latency);
                Optional<Trigger> t = w.weft.store().trigger(new PipelineId(w.knot.host(), rkeys[i]));
                if (t.isPresent()) {
                    long hop = nanosOf(t.get().receivedAt()) - sentWallNanos[i];
                    toRead.add(hop);
                    readToSeen.add(latency - hop);
                }
            }
            if (latencies.isEmpty()) {
                ctx.say(NAME, "no pending status arrived for the measured triggers");
                return Outcome.failed(NAME, "no pending statuses seen");
            }
            Percentiles p = new Percentiles(toArray(latencies));
            ctx.say(NAME, "knot publish -> pending on /events: " + p.summary() + " (" + p.count() + " triggers"
                    + (missing > 0 ? ", " + missing + " never seen" : "") + ")");
            if (!toRead.isEmpty()) {
                ctx.say(NAME, "  knot publish -> frame read by weft's knot client (the trigger's received_at): "
                        + new Percentiles(toArray(toRead)).summary());
                ctx.say(NAME, "  frame read -> pending on /events: " + new Percentiles(toArray(readToSeen)).summary());
            }
            ctx.say(NAME, "  p50 by " + WINDOW_SECONDS + " s of the measured phase: " + trend(sentNanos, seenNanos, warmup,
                    total, begin));
            double p99 = p.at(99) / 1e6;
            Outcome.Verdict v = missing > 0 ? Outcome.Verdict.FAILED : Outcome.atMost(p99, TARGET_P99_MS);
            return new Outcome(NAME, "p50 " + Fmt.millis(p.at(50)) + ", p99 " + Fmt.millis(p.at(99)), "-",
                    "p99 <= 20 ms: " + Fmt.millis(p.at(99)), v);
        }
    }

    /** Publishes triggers {@code from} (inclusive) to {@code to} at {@code perSecond}; returns the pacer's worst lateness. */
    private static long publish(WeftUnderTest w, String[] rkeys, String[] records, long[] sentNanos, long[] sentWallNanos,
                                int from, int to, int perSecond) {
        long period = 1_000_000_000L / perSecond;
        long begin = System.nanoTime();
        long lateMax = 0;
        for (int i = from; i < to; i++) {
            long due = begin + (i - from) * period;
            long now;
            while ((now = System.nanoTime()) < due) LockSupport.parkNanos(due - now);
            lateMax = Math.max(lateMax, now - due);
            sentWallNanos[i] = wallNanos();
            sentNanos[i] = System.nanoTime();
            w.knot.publishPipeline(rkeys[i], records[i]);
        }
        return lateMax;
    }

    /** The median latency of the triggers published in each window, to show whether a queue builds up. */
    private static String trend(long[] sent, long[] seen, int from, int to, long begin) {
        StringBuilder b = new StringBuilder();
        long window = TimeUnit.SECONDS.toNanos(WINDOW_SECONDS);
        List<Long> bucket = new ArrayList<>();
        long end = begin + window;
        for (int i = from; i <= to; i++) {
            if (i == to || sent[i] >= end) {
                if (!bucket.isEmpty()) {
                    if (!b.isEmpty()) b.append(", ");
                    b.append(Fmt.millis(new Percentiles(toArray(bucket)).at(50)).replace(" ms", ""));
                    bucket.clear();
                }
                end += window;
                if (i == to) break;
            }
            if (seen[i] != 0) bucket.add(seen[i] - sent[i]);
        }
        return b + " ms";
    }

    private static long wallNanos() {
        return nanosOf(Instant.now());
    }

    private static long nanosOf(Instant t) {
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    private static long[] toArray(List<Long> l) {
        return l.stream().mapToLong(Long::longValue).toArray();
    }
}
