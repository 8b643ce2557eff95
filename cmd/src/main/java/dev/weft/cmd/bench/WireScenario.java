package dev.weft.cmd.bench;

import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code weft bench wire}: records encoded per second by weft's {@code GoJson} over the vector
 * file, measured with JMH in a forked JVM, then Go's {@code encoding/json} on the same file through
 * {@code go-encode}, one after the other so neither competes with the other for the cores. The
 * ratio is weft's records per second over Go's, for all records and per shape. Target: at least 2x.
 */
final class WireScenario {
    static final String NAME = "wire";
    static final double TARGET = 2.0;

    private WireScenario() {
    }

    static Outcome run(BenchContext ctx) throws IOException, RunnerException, InterruptedException {
        Path vectors = ctx.vectors().toAbsolutePath();
        if (!Files.isReadable(vectors)) {
            ctx.say(NAME, "cannot read the vector file " + vectors + " (pass --vectors FILE)");
            return Outcome.failed(NAME, "no vectors at " + vectors);
        }
        Vectors.Inputs inputs = Vectors.load(vectors);
        int mismatched = inputs.mismatched();
        ctx.say(NAME, vectors + ": " + inputs.all().length + " vectors (" + inputs.logLines().length + " logline, "
                + inputs.statuses().length + " status); weft's encoding differs from " + mismatched);
        Map<String, Integer> sizes = Map.of("all", inputs.all().length, "allReused", inputs.all().length,
                "logline", inputs.logLines().length, "status", inputs.statuses().length);

        int warmups = ctx.pick(5, 2);
        int iterations = ctx.pick(8, 3);
        TimeValue time = TimeValue.seconds(1);
        Path jmhLog = Files.createTempFile("weft-bench-jmh", ".log");
        ctx.say(NAME, "JMH: fork 1, " + warmups + " warmup + " + iterations + " measured iterations of " + time
                + " per benchmark, 4 benchmarks (log: " + jmhLog + ")");
        Options options = new OptionsBuilder()
                .include("^" + Pattern.quote(WireEncodeBenchmark.class.getName()) + "\\.")
                .param("vectors", vectors.toString())
                .forks(1)
                .threads(1)
                .warmupIterations(warmups).warmupTime(time)
                .measurementIterations(iterations).measurementTime(time)
                .jvmArgsAppend(BenchContext.QUIET_LOGS)
                .shouldFailOnError(true)
                .verbosity(VerboseMode.NORMAL)
                .output(jmhLog.toString())
                .build();
        Collection<RunResult> results = new Runner(options).run();
        Map<String, double[]> weft = new HashMap<>(); // benchmark -> {records/s, error}
        for (RunResult r : results) {
            String label = r.getParams().getBenchmark();
            String method = label.substring(label.lastIndexOf('.') + 1);
            Result<?> primary = r.getPrimaryResult();
            int n = sizes.getOrDefault(method, 1);
            weft.put(method, new double[]{primary.getScore() * n, primary.getScoreError() * n});
        }

        int goSeconds = ctx.pick(5, 2);
        int goShapeSeconds = ctx.pick(3, 1);
        Path tmp = Files.createTempDirectory("weft-bench-wire");
        GoEncode.Result goAll = GoEncode.run(ctx, vectors, goSeconds);
        GoEncode.Result goLog = goAll.ok() ? GoEncode.run(ctx, Vectors.subset(vectors, "logline", tmp), goShapeSeconds) : goAll;
        GoEncode.Result goStatus = goAll.ok() ? GoEncode.run(ctx, Vectors.subset(vectors, "status", tmp), goShapeSeconds) : goAll;
        WeftUnderTest.deleteTree(tmp);
        if (goAll.ok()) {
            ctx.say(NAME, "go: " + goAll.line());
        } else {
            ctx.say(NAME, goAll.line());
        }

        ctx.say(NAME, String.format("%-34s %18s %18s %8s", "records/s", "weft", "go encoding/json", "weft/go"));
        line(ctx, "all vectors, fresh byte[] (headline)", weft.get("all"), goAll);
        line(ctx, "all vectors, reused WireBuffer", weft.get("allReused"), goAll);
        line(ctx, "logline vectors", weft.get("logline"), goLog);
        line(ctx, "status vectors", weft.get("status"), goStatus);

        double[] headline = weft.get("all");
        String figure = Fmt.count(headline[0]) + " records/s";
        if (!goAll.ok()) {
            return new Outcome(NAME, figure, "go not run", ">= 2x Go (" + TARGET + ")", Outcome.Verdict.UNCHECKED);
        }
        double ratio = headline[0] / goAll.recordsPerSecond();
        return new Outcome(NAME, figure, Fmt.count(goAll.recordsPerSecond()) + " records/s (Go)",
                ">= 2x Go: " + Fmt.times(ratio), Outcome.atLeast(ratio, TARGET));
    }

    private static void line(BenchContext ctx, String label, double[] weft, GoEncode.Result go) {
        String w = weft == null ? "-" : Double.isNaN(weft[1]) ? Fmt.count(weft[0])
                : Fmt.count(weft[0]) + " ±" + Fmt.percent(weft[1] / weft[0]).replace(" ", "");
        String g = go.ok() ? Fmt.count(go.recordsPerSecond()) : "-";
        String r = weft != null && go.ok() ? Fmt.times(weft[0] / go.recordsPerSecond()) : "-";
        ctx.say(NAME, String.format("%-34s %18s %18s %8s", label, w, g, r));
    }
}
