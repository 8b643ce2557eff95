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
 * status at the {@code /events} client, which implies it was persisted and published. The first
 * triggers warm the JIT up and are not counted. Target: p99 at most 20 ms.
 *
 * <p>The split printed after the total uses the store's {@code received_at} of each trigger (wall
 * clock): knot publish to trigger persisted, then trigger persisted to pending seen.
 */
final class PendingScenario {
    static final String NAME = "pending";
    static final int PER_SECOND = 500;
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
        int warmup = PER_SECOND * ctx.pick(3, 1);
        int measured = PER_SECOND * ctx.pick(20, 5);
        int total = warmup + measured;
        ctx.say(NAME, total + " triggers at " + PER_SECOND + "/s (" + warmup + " warm-up, " + measured
                + " measured); WEFT_FIRST_STATUS_DELAY=0s WEFT_STATUS_GAP=0s");
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

            long period = 1_000_000_000L / PER_SECOND;
            long cpu0 = BenchContext.processCpuNanos();
            long begin = System.nanoTime();
            long lateMax = 0;
            for (int i = 0; i < total; i++) {
                long due = begin + i * period;
                long now;
                while ((now = System.nanoTime()) < due) LockSupport.parkNanos(due - now);
                lateMax = Math.max(lateMax, now - due);
                sentWallNanos[i] = wallNanos();
                sentNanos[i] = System.nanoTime();
                w.knot.publishPipeline(rkeys[i], records[i]);
            }
            long publishNanos = System.nanoTime() - begin;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (seen.get() < total && System.nanoTime() < deadline) Thread.sleep(20);
            long cpu = BenchContext.processCpuNanos() - cpu0;
            int arrived = seen.get();
            long lastSeen = 0;
            for (int i = 0; i < total; i++) lastSeen = Math.max(lastSeen, seenNanos[i]);
            ctx.say(NAME, "published " + total + " in " + Fmt.seconds(publishNanos) + " ("
                    + Fmt.count(total / (publishNanos / 1e9)) + "/s, worst lateness of the pacer "
                    + Fmt.millis(lateMax) + "); pending seen for " + arrived + " of " + total + ", the last "
                    + Fmt.seconds(lastSeen - begin) + " after the first publish: weft handled "
                    + Fmt.count(arrived / ((lastSeen - begin) / 1e9)) + " triggers/s");
            if (cpu > 0) {
                ctx.say(NAME, "process CPU (weft, knot and client together): " + Fmt.millis(cpu / total)
                        + " per trigger; " + ctx.load());
            }

            List<Long> total1 = new ArrayList<>();
            List<Long> toPersisted = new ArrayList<>();
            List<Long> persistedToSeen = new ArrayList<>();
            int missing = 0;
            for (int i = warmup; i < total; i++) {
                if (seenNanos[i] == 0) {
                    missing++;
                    continue;
                }
                long latency = seenNanos[i] - sentNanos[i];
                total1.add(latency);
                Optional<Trigger> t = w.weft.store().trigger(new PipelineId(w.knot.host(), rkeys[i]));
                if (t.isPresent()) {
                    long received = nanosOf(t.get().receivedAt());
                    long hop = received - sentWallNanos[i];
                    toPersisted.add(hop);
                    persistedToSeen.add(latency - hop);
                }
            }
            if (total1.isEmpty()) {
                ctx.say(NAME, "no pending status arrived for the measured triggers");
                return Outcome.failed(NAME, "no pending statuses seen");
            }
            Percentiles p = new Percentiles(toArray(total1));
            ctx.say(NAME, "knot publish -> pending on /events: " + p.summary() + " (" + p.count() + " triggers"
                    + (missing > 0 ? ", " + missing + " never seen" : "") + ")");
            if (!toPersisted.isEmpty()) {
                ctx.say(NAME, "  of which knot publish -> trigger received (store received_at): "
                        + new Percentiles(toArray(toPersisted)).summary());
                ctx.say(NAME, "  and trigger received -> pending on /events: "
                        + new Percentiles(toArray(persistedToSeen)).summary());
            }
            double p99 = p.at(99) / 1e6;
            Outcome.Verdict v = missing > 0 ? Outcome.Verdict.FAILED : Outcome.atMost(p99, TARGET_P99_MS);
            return new Outcome(NAME, "p50 " + Fmt.millis(p.at(50)) + ", p99 " + Fmt.millis(p.at(99)), "-",
                    "p99 <= 20 ms: " + Fmt.millis(p.at(99)), v);
        }
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
