package dev.weft.cmd.bench;

import dev.weft.model.RunState;
import dev.weft.model.WorkflowId;
import dev.weft.spi.CancelReason;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryUsage;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * {@code weft bench inflight}: many stub workflows that hang ({@code hang: true}) accepted,
 * persisted and held at once, then cancelled, in a child JVM started with {@code -Xmx256m} from the
 * same class path, so the heap limit is real and nothing the parent holds is counted.
 *
 * <p>The child (this class's {@link #main}) publishes one push pipeline per workflow on an
 * in-process knot as fast as the knot takes them, and waits until every run is {@code running} in
 * the store, which the stub reaches right before it parks its virtual thread in
 * {@code awaitCancel}: a run counted as held is a parked virtual thread. It then prints the heap
 * (after a full GC), the platform threads (ThreadMXBean, which does not count virtual threads),
 * cancels every workflow through the run manager and waits until every run is {@code cancelled}.
 */
final class InflightScenario {
    static final String NAME = "inflight";
    static final String HEAP = "-Xmx256m";
    static final String WORKFLOW = "hang.yml";
    static final String YAML = """
            engine: stub
            stub:
              steps:
                - name: build
                  command: make
                  output: ["started, now waiting to be cancelled"]
              hang: true
            """;
    private static final String RESULT = "RESULT ";
    private static final String PROGRESS = "progress: ";

    private InflightScenario() {
    }

    static Outcome run(BenchContext ctx) throws IOException, InterruptedException {
        int n = ctx.pick(10_000, 2_000);
        List<String> cmd = BenchContext.javaCommand(List.of(HEAP, "-XX:+ExitOnOutOfMemoryError"),
                InflightScenario.class, List.of(Integer.toString(n)));
        ctx.say(NAME, n + " hanging stub workflows in a child JVM: java " + HEAP + " ... "
                + InflightScenario.class.getSimpleName() + " " + n);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        // A child that stops making progress must not hold the whole bench up.
        long limitSeconds = ctx.pick(600, 240);
        CompletableFuture<Process> watchdog = p.onExit().completeOnTimeout(null, limitSeconds, TimeUnit.SECONDS);
        watchdog.thenAccept(exited -> {
            if (exited == null) p.destroyForcibly();
        });
        Map<String, String> result = new HashMap<>();
        boolean outOfMemory = false;
        String lastProgress = "";
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith(RESULT)) {
                    for (String kv : line.substring(RESULT.length()).split(" ")) {
                        int eq = kv.indexOf('=');
                        if (eq > 0) result.put(kv.substring(0, eq), kv.substring(eq + 1));
                    }
                    continue;
                }
                if (line.contains("OutOfMemoryError")) outOfMemory = true;
                if (line.startsWith(PROGRESS)) lastProgress = line.substring(PROGRESS.length());
                if (!line.startsWith("WARNING: ") && !line.isBlank()) ctx.say(NAME, "  " + line);
            }
        }
        if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly();
        if (outOfMemory) {
            ctx.say(NAME, "the child JVM ran out of its 256 MiB heap; last progress: " + lastProgress);
            return new Outcome(NAME, "OutOfMemoryError (" + lastProgress + ")", "-", n + " held in 256 MiB: no",
                    Outcome.Verdict.MISSED);
        }
        if (p.exitValue() != 0 || !result.containsKey("held")) {
            return Outcome.failed(NAME, "child JVM exit " + p.exitValue() + (lastProgress.isEmpty() ? ""
                    : " (" + lastProgress + ")"));
        }
        long held = Long.parseLong(result.get("held"));
        long cancelled = Long.parseLong(result.get("cancelled"));
        String figure = held + " held, heap " + Fmt.mib(Long.parseLong(result.get("heap"))) + ", "
                + result.get("platform") + " platform threads";
        Outcome.Verdict v = held == n && cancelled == n ? Outcome.Verdict.MET : Outcome.Verdict.MISSED;
        return new Outcome(NAME, figure, "-", n + " held in 256 MiB: " + held + "/" + n, v);
    }

    /** The child: {@code InflightScenario N}. Exit 0 with a RESULT line, or 1. */
    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[0]);
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        say("max heap " + Fmt.mib(Runtime.getRuntime().maxMemory()) + "; platform threads before start "
                + threads.getThreadCount());
        long held = 0;
        long cancelled = 0;
        long heapHeld;
        int platformHeld;
        try (WeftUnderTest w = WeftUnderTest.start(true, null, Map.of())) {
            String[] rkeys = new String[n];
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                rkeys[i] = w.rkey(i);
                w.knot.publishPipeline(rkeys[i], w.pushRecord(i, WORKFLOW, YAML));
            }
            long published = System.nanoTime() - t0;
            long persisted = await(w, c -> total(c) >= n, 180);
            long running = await(w, c -> c.getOrDefault(RunState.RUNNING, 0L) >= n, 180);
            Map<RunState, Long> counts = w.weft.store().runs().countByState();
            held = counts.getOrDefault(RunState.RUNNING, 0L);
            say("published " + n + " pipelines on the knot in " + Fmt.seconds(published) + "; all " + total(counts)
                    + " runs persisted after " + Fmt.seconds(persisted - t0) + "; " + held + " running (held) after "
                    + Fmt.seconds(running - t0) + " (" + Fmt.count(n / ((running - t0) / 1e9)) + " workflows/s)");
            long before = memory.getHeapMemoryUsage().getUsed();
            for (int i = 0; i < 3; i++) System.gc();
            heapHeld = memory.getHeapMemoryUsage().getUsed();
            platformHeld = threads.getThreadCount();
            say("while holding " + held + " runs (run manager: " + w.weft.runs().activeCount() + " active): heap used "
                    + Fmt.mib(before) + " before GC, " + Fmt.mib(heapHeld) + " after a full GC, of "
                    + Fmt.mib(Runtime.getRuntime().maxMemory()) + "; platform threads " + platformHeld + " (peak "
                    + threads.getPeakThreadCount() + "); virtual threads: one per held run, " + held);

            long c0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                w.weft.runs().cancel(new WorkflowId(w.knot.host(), rkeys[i], WORKFLOW), CancelReason.REQUESTED);
            }
            long requested = System.nanoTime() - c0;
            long done = await(w, c -> c.getOrDefault(RunState.CANCELLED, 0L) >= n, 180);
            counts = w.weft.store().runs().countByState();
            cancelled = counts.getOrDefault(RunState.CANCELLED, 0L);
            say("cancel requested for all in " + Fmt.seconds(requested) + "; " + cancelled + " cancelled after "
                    + Fmt.seconds(done - c0) + "; run manager active " + w.weft.runs().activeCount()
                    + "; heap used " + Fmt.mib(memory.getHeapMemoryUsage().getUsed()) + ", platform threads "
                    + threads.getThreadCount());
            System.out.println(RESULT + "held=" + held + " cancelled=" + cancelled + " heap=" + heapHeld
                    + " platform=" + platformHeld + " accept=" + (running - t0) + " cancel=" + (done - c0));
        } catch (Exception | OutOfMemoryError e) {
            say("failed: " + e);
            e.printStackTrace(System.out);
            System.out.flush();
            System.exit(1);
        }
        System.out.flush();
        System.exit(0);
    }

    private static long total(Map<RunState, Long> counts) {
        return counts.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Polls the store's run counts until {@code done} holds; returns the nanoTime it did (or the limit passed). */
    private static long await(WeftUnderTest w, Predicate<Map<RunState, Long>> done, int limitSeconds)
            throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + TimeUnit.SECONDS.toNanos(limitSeconds);
        long nextReport = start + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            Map<RunState, Long> c = w.weft.store().runs().countByState();
            long now = System.nanoTime();
            if (done.test(c)) return now;
            if (now > deadline) {
                say("gave up waiting after " + limitSeconds + " s: " + c);
                return now;
            }
            if (now > nextReport) {
                MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
                say(PROGRESS + "runs by state " + c + ", heap used " + Fmt.mib(heap.getUsed()));
                nextReport = now + TimeUnit.SECONDS.toNanos(5);
            }
            Thread.sleep(50);
        }
    }

    private static void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
