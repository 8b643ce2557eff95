package dev.weft.cmd.bench;

import dev.weft.config.WeftConfig;
import dev.weft.daemon.Weft;
import dev.weft.knot.UpgradedKnot;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.netty.buffer.ByteBuf;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code weft bench push}: an in-process upgraded knot ({@link UpgradedKnot}: git smart HTTP and
 * {@code /events} on one port) holds 50 repositories registered by repo DID; pushes (refUpdates of
 * real commits, made before the clock starts) go out at 100 per second, round-robin over the
 * repositories, to a weft with {@code WEFT_FIRST_STATUS_DELAY=0} and {@code WEFT_STATUS_GAP=0}.
 * Latency per push: from just before the knot publishes the refUpdate to the arrival of the
 * pipeline's {@code pending} on weft's {@code /events}, which implies the push was stored, its
 * workflows fetched over git and compiled, the pipeline record and the run stored and published.
 * Target p99 at most 50 ms with warm caches: every repository is fetched once before the measured
 * phase, so each measured push fetches one new commit into an existing cache. The split shows the
 * git fetch ({@code weft.builds.fetch}) against the rest.
 */
final class PushScenario {
    static final String NAME = "push";
    static final int REPOS = 50;
    static final int PER_SECOND = 100;
    static final double TARGET_P99_MS = 50;
    static final String OWNER = "did:plc:weftbenchowner";
    static final String WORKFLOW = """
            engine: stub
            when:
              - event: push
                branch: main
            stub:
              steps:
                - name: build
                  command: make
                  output: ["ok"]
            """;

    private PushScenario() {
    }

    static String repoDid(int r) {
        return String.format("did:plc:weftbenchrepo%02d", r);
    }

    /** What the bench saw of each push, indexed in publication order. */
    private static final class Pushes {
        final UpgradedKnot.Push[] pushes;
        final long[] sentNanos;
        final long[] seenNanos;
        final Map<String, Integer> bySha = new ConcurrentHashMap<>();
        final Map<String, Integer> byPipeline = new ConcurrentHashMap<>();
        final AtomicInteger seen = new AtomicInteger();

        Pushes(int n) {
            pushes = new UpgradedKnot.Push[n];
            sentNanos = new long[n];
            seenNanos = new long[n];
        }

        /** On the client's event loop: a pipeline record maps its TID to its push; a pending marks it seen. */
        void onFrame(ByteBuf content, long nanos) {
            String frame = content.toString(StandardCharsets.UTF_8);
            if (frame.contains("\"nsid\":\"sh.tangled.pipeline\"")) {
                String rkey = between(frame, "{\"rkey\":\"", "\"");
                String sha = between(frame, "\"newSha\":\"", "\"");
                Integer i = sha == null ? null : bySha.get(sha);
                if (rkey != null && i != null) byPipeline.put(rkey, i);
                return;
            }
            if (!frame.contains("\"status\":\"pending\"")) return;
            String rkey = between(frame, "/sh.tangled.pipeline/", "\"");
            Integer i = rkey == null ? null : byPipeline.get(rkey);
            if (i != null && seenNanos[i] == 0) {
                seenNanos[i] = nanos;
                seen.incrementAndGet();
            }
        }

        static String between(String s, String from, String to) {
            int a = s.indexOf(from);
            if (a < 0) return null;
            int b = s.indexOf(to, a + from.length());
            return b < 0 ? null : s.substring(a + from.length(), b);
        }

        boolean drain(int expected, Duration limit) throws InterruptedException {
            long end = System.nanoTime() + limit.toNanos();
            while (seen.get() < expected && System.nanoTime() < end) Thread.sleep(20);
            return seen.get() >= expected;
        }
    }

    static List<Outcome> run(BenchContext ctx) throws Exception {
        int warm = PER_SECOND * ctx.pick(5, 2);
        int measured = PER_SECOND * ctx.pick(20, 5);
        int total = REPOS + warm + measured;
        ctx.say(NAME, REPOS + " repositories on one upgraded knot; one push per repository to warm the caches, "
                + warm + " warm-up pushes at " + PER_SECOND + "/s, then " + measured + " measured at " + PER_SECOND
                + "/s; WEFT_FIRST_STATUS_DELAY=0s WEFT_STATUS_GAP=0s");
        Path dir = Files.createTempDirectory("weft-bench-push");
        try (UpgradedKnot knot = new UpgradedKnot(dir.resolve("knot")).start()) {
            Pushes p = new Pushes(total);
            List<String> registrations = new ArrayList<>();
            for (int r = 0; r < REPOS; r++) {
                knot.createRepo(repoDid(r));
                knot.commit(repoDid(r), "main", Map.of(".tangled/workflows/build.yml", WORKFLOW));
                registrations.add(knot.host() + "/" + repoDid(r));
            }
            // Every commit is made before the clock starts: the bench measures weft, not JGit's writes.
            for (int i = 0; i < total; i++) {
                String repo = repoDid(i % REPOS);
                String old = knot.tip(repo, "main");
                String sha = knot.commit(repo, "main", Map.of("CHANGES", "push " + i + "\n"));
                p.pushes[i] = new UpgradedKnot.Push(repo, OWNER, "refs/heads/main", old, sha, List.of("CHANGES"), List.of());
                p.bySha.put(sha, i);
            }
            Map<String, String> cfg = new LinkedHashMap<>();
            cfg.put("WEFT_HOSTNAME", "weft-bench.localhost");
            cfg.put("WEFT_OWNER_DID", OWNER);
            cfg.put("WEFT_LISTEN", "127.0.0.1:0");
            cfg.put("WEFT_DB", dir.resolve("weft.db").toString());
            cfg.put("WEFT_DEV", "true");
            cfg.put("WEFT_REPOS", String.join(",", registrations));
            cfg.put("WEFT_FIRST_STATUS_DELAY", "0s");
            cfg.put("WEFT_STATUS_GAP", "0s");
            cfg.put("WEFT_JETSTREAM", "");
            try (Weft weft = Weft.builder(WeftConfig.from(cfg)).start();
                 WsClients clients = new WsClients(1)) {
                long connectBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (!weft.knots().isConnected(knot.host())) {
                    if (System.nanoTime() > connectBy) return List.of(Outcome.failed(NAME, "weft did not connect to the knot"));
                    Thread.sleep(20);
                }
                clients.connect(URI.create("ws://127.0.0.1:" + weft.port() + "/events"), p::onFrame).get(10, TimeUnit.SECONDS);

                publish(knot, p, 0, REPOS, 20);
                if (!p.drain(REPOS, Duration.ofSeconds(60))) {
                    return List.of(Outcome.failed(NAME, "only " + p.seen.get() + " of " + REPOS + " cache-warming pushes became pending"));
                }
                publish(knot, p, REPOS, REPOS + warm, PER_SECOND);
                p.drain(REPOS + warm, Duration.ofSeconds(60));
                Thread.sleep(1000);

                Timer fetch = weft.meters().find("weft.builds.fetch").timer();
                long fetchCount0 = fetch == null ? 0 : fetch.count();
                double fetchTotal0 = fetch == null ? 0 : fetch.totalTime(TimeUnit.NANOSECONDS);
                ctx.say(NAME, "measured phase: " + measured + " pushes at " + PER_SECOND + "/s; " + ctx.load());
                long cpu0 = BenchContext.processCpuNanos();
                long begin = System.nanoTime();
                publish(knot, p, REPOS + warm, total, PER_SECOND);
                boolean all = p.drain(total, Duration.ofSeconds(60));
                long stoppedAt = System.nanoTime();
                long cpu = BenchContext.processCpuNanos() - cpu0;

                List<Long> latencies = new ArrayList<>();
                int missing = 0;
                for (int i = REPOS + warm; i < total; i++) {
                    if (p.seenNanos[i] == 0) {
                        missing++;
                        latencies.add(stoppedAt - p.sentNanos[i]);
                    } else {
                        latencies.add(p.seenNanos[i] - p.sentNanos[i]);
                    }
                }
                Percentiles lat = new Percentiles(latencies.stream().mapToLong(Long::longValue).toArray());
                double p99 = lat.at(99) / 1e6;
                boolean met = all && p99 <= TARGET_P99_MS;
                ctx.say(NAME, "  refUpdate published -> pending on /events: " + lat.summary() + " (" + lat.count()
                        + " pushes" + (missing > 0 ? ", " + missing + " never pending, counted at the end of the wait" : "")
                        + "); target p99 <= " + Fmt.fixed(TARGET_P99_MS, 0) + " ms: " + (met ? "met" : "missed"));
                if (fetch != null) {
                    long n = fetch.count() - fetchCount0;
                    double mean = n > 0 ? (fetch.totalTime(TimeUnit.NANOSECONDS) - fetchTotal0) / n : 0;
                    StringBuilder pct = new StringBuilder();
                    for (ValueAtPercentile v : fetch.takeSnapshot().percentileValues()) {
                        pct.append(pct.isEmpty() ? "" : ", ").append("p").append(Fmt.fixed(v.percentile() * 100, 0))
                                .append(" ").append(Fmt.millis((long) v.value(TimeUnit.NANOSECONDS)));
                    }
                    ctx.say(NAME, "    of which the git fetch of the pushed commit (weft.builds.fetch): mean "
                            + Fmt.millis((long) mean) + " over the " + n + " measured fetches; " + pct
                            + " (recent window); the rest (store the push, compile, store and publish): about "
                            + Fmt.millis(Math.max(0, lat.at(50) - (long) mean)) + " at the median");
                }
                if (cpu > 0) ctx.say(NAME, "  process CPU (weft, knot and client together): "
                        + Fmt.millis(cpu / measured) + " per push; " + ctx.load());
                Outcome.Verdict v = !all && p.seen.get() <= REPOS + warm ? Outcome.Verdict.FAILED
                        : met ? Outcome.Verdict.MET : Outcome.Verdict.MISSED;
                return List.of(new Outcome(NAME + " " + PER_SECOND + "/s", "p50 " + Fmt.millis(lat.at(50)) + ", p99 "
                        + Fmt.millis(lat.at(99)) + ", max " + Fmt.millis(lat.max()), "-",
                        "p99 <= " + Fmt.fixed(TARGET_P99_MS, 0) + " ms: " + Fmt.millis(lat.at(99)), v));
            }
        } finally {
            WeftUnderTest.deleteTree(dir);
        }
    }

    /** Publishes pushes {@code from} (inclusive) to {@code to} at {@code perSecond}. */
    private static void publish(UpgradedKnot knot, Pushes p, int from, int to, int perSecond) {
        long period = 1_000_000_000L / perSecond;
        long begin = System.nanoTime();
        for (int i = from; i < to; i++) {
            long due = begin + (i - from) * period;
            long now;
            while ((now = System.nanoTime()) < due) LockSupport.parkNanos(due - now);
            p.sentNanos[i] = System.nanoTime();
            knot.refUpdate(p.pushes[i]);
        }
    }
}
