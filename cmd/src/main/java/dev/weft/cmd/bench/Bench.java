package dev.weft.cmd.bench;

import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code weft bench [scenario...] [--quick] [--pg | --db URL] [--vectors FILE] [--go-encode DIR]}: runs the
 * benchmark scenarios of docs/performance.md in order, each printing its figures and, where there
 * is one, the reference measured in the same run, then a summary against the targets.
 *
 * <p>Exit status: 0 when every scenario ran and checked its own results (a missed target is a
 * figure, not an error), 1 when a scenario failed or its verification did not hold, 2 on bad usage.
 */
public final class Bench {
    /** Every scenario, in the order they run. */
    public static final List<String> SCENARIOS = List.of("wire", "inflight", "pending", "push", "logs", "cilogs", "events", "query");

    private Bench() {
    }

    public static int run(List<String> args, PrintStream out, PrintStream err) {
        boolean quick = false;
        Path vectors = null;
        Path goEncode = null;
        BenchContext.Postgres postgres = null;
        Set<String> chosen = new LinkedHashSet<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--quick" -> quick = true;
                case "--pg" -> postgres = new BenchContext.Postgres.Throwaway();
                case "--db" -> {
                    if (i + 1 >= args.size()) {
                        err.println("weft bench: --db needs a postgresql:// URL");
                        return 2;
                    }
                    postgres = given(args.get(++i), err);
                    if (postgres == null) return 2;
                }
                case "--vectors", "--go-encode" -> {
                    if (i + 1 >= args.size()) {
                        err.println("weft bench: " + a + " needs a value");
                        return 2;
                    }
                    Path p = Path.of(args.get(++i));
                    if (a.equals("--vectors")) vectors = p;
                    else goEncode = p;
                }
                case "-h", "--help" -> {
                    usage(out);
                    return 0;
                }
                default -> {
                    if (a.startsWith("--vectors=")) {
                        vectors = Path.of(a.substring("--vectors=".length()));
                    } else if (a.startsWith("--db=")) {
                        postgres = given(a.substring("--db=".length()), err);
                        if (postgres == null) return 2;
                    } else if (a.startsWith("--go-encode=")) {
                        goEncode = Path.of(a.substring("--go-encode=".length()));
                    } else if (SCENARIOS.contains(a)) {
                        chosen.add(a);
                    } else {
                        err.println("weft bench: unknown scenario or flag " + a);
                        usage(err);
                        return 2;
                    }
                }
            }
        }
        if (chosen.isEmpty()) chosen.addAll(SCENARIOS);
        if (postgres != null && !chosen.contains(PendingScenario.NAME)) {
            err.println("weft bench: --pg and --db apply to the pending scenario only");
            return 2;
        }
        // weft logs one info line per trigger and status; thousands of them would time the console.
        dev.weft.cmd.LogSetup.defaultLevel("warn", System.getenv());
        Path shared = sharedDir();
        BenchContext ctx = new BenchContext(quick,
                vectors != null ? vectors : shared.resolve("wire").resolve("vectors.jsonl"),
                goEncode != null ? goEncode : shared.resolve("bench").resolve("go-encode"), out, postgres);

        Instant start = Instant.now();
        out.println("weft bench" + (quick ? " --quick" : "") + ": " + String.join(", ", chosen) + " on "
                + Runtime.getRuntime().availableProcessors() + " cores, Java " + Runtime.version() + ", "
                + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", " + ctx.load());
        List<Row> rows = new ArrayList<>();
        for (String s : chosen) {
            out.println();
            out.println("== " + s + " ==");
            Load.Gate gate;
            try {
                gate = Load.awaitIdle(ctx, s);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                out.println(s + ": interrupted");
                return 130;
            }
            Load.Usage usage = Load.Usage.start();
            Instant t0 = Instant.now();
            List<Outcome> os;
            try {
                os = switch (s) {
                    case "wire" -> List.of(WireScenario.run(ctx));
                    case "inflight" -> List.of(InflightScenario.run(ctx));
                    case "pending" -> PendingScenario.run(ctx);
                    case "push" -> PushScenario.run(ctx);
                    case "logs" -> List.of(LogsScenario.run(ctx));
                    case "cilogs" -> List.of(CiLogsScenario.run(ctx));
                    case "events" -> List.of(EventsScenario.run(ctx));
                    case "query" -> QueryScenario.run(ctx);
                    default -> throw new IllegalStateException(s);
                };
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                out.println(s + ": interrupted");
                return 130;
            } catch (Exception e) {
                out.println(s + ": failed: " + e);
                e.printStackTrace(out);
                os = List.of(Outcome.failed(s, e.toString()));
            }
            double others = usage != null ? usage.othersCores() : Double.NaN;
            for (Outcome o : os) rows.add(new Row(o, gate, others));
            out.println(s + ": took " + Fmt.seconds(Duration.between(t0, Instant.now()).toNanos()) + "; "
                    + Load.describe(gate.before()) + " at the start, " + ctx.load() + " at the end (this bench's own"
                    + " work included)" + (usage != null ? "; " + usage.describe() : "") + "; figures "
                    + gate.verdict(others));
        }

        out.println();
        out.println("== summary (" + Fmt.seconds(Duration.between(start, Instant.now()).toNanos()) + ", "
                + ctx.load() + " at the end; figures count when the load was below " + Fmt.fixed(Load.IDLE_BELOW, 1)
                + " as their scenario started and other processes kept less than " + Fmt.fixed(Load.OTHERS_BELOW, 2)
                + " cores busy while it ran) ==");
        out.println(String.format("%-20s %-42s %-30s %-50s %-5s %s", "scenario", "weft", "reference (same run)", "target",
                "load", "verdict"));
        boolean failed = false;
        for (Row r : rows) {
            Outcome o = r.outcome();
            out.println(String.format("%-20s %-42s %-30s %-50s %-5s %s", o.scenario(), o.figure(), o.reference(),
                    o.target(), Double.isNaN(r.gate().before()) ? "?" : Fmt.fixed(r.gate().before(), 2),
                    verdict(o, r.gate(), r.others())));
            failed |= o.verdict() == Outcome.Verdict.FAILED;
        }
        out.flush();
        return failed ? 1 : 0;
    }

    /** {@code --db}'s value, or null (with the reason printed) when it is not a PostgreSQL URL. */
    private static BenchContext.Postgres given(String url, PrintStream err) {
        if (url.startsWith("postgresql://") || url.startsWith("postgres://") || url.startsWith("jdbc:postgresql:")) {
            return new BenchContext.Postgres.Given(url);
        }
        err.println("weft bench: --db takes a PostgreSQL URL (postgresql://user@host:port/database), got " + url
                + "; the SQLite figures need no flag");
        return null;
    }

    /** One summary row: what a scenario measured, the load it started at, the cores others took meanwhile. */
    private record Row(Outcome outcome, Load.Gate gate, double others) {
    }

    /**
     * The verdict, marked {@code not counted (load X)} when the machine was not idle as the
     * scenario started, or {@code not counted (other processes X cores)} when others took CPU
     * while it ran.
     */
    static String verdict(Outcome o, Load.Gate gate, double others) {
        if (gate.counted(others) || o.verdict() == Outcome.Verdict.FAILED
                || o.verdict() == Outcome.Verdict.NO_TARGET) {
            return o.verdict().label;
        }
        return o.verdict().label + ", " + gate.verdict(others);
    }

    static void usage(PrintStream out) {
        out.println("""
                usage: weft bench [scenario...] [--quick] [--pg | --db URL] [--vectors FILE] [--go-encode DIR]

                scenarios (default: all, in this order):
                  wire      LogLine and status records encoded per second (JMH) vs Go's encoding/json
                  inflight  10,000 hanging stub workflows held at once in a child JVM with -Xmx256m, then cancelled
                  pending   500, then 2,000 triggers/s from an in-process knot: knot publish to pending on /events,
                            p50/p99/max, and whether the last trigger's pending comes within 1 s
                  push      100 pushes/s over 50 repositories of an in-process upgraded knot (refUpdate, git fetch
                            of the commit, compile): refUpdate to pending on /events, p50/p99, fetch vs the rest
                  logs      1,000 /logs viewers of one live workflow vs a bare Netty server, lines/s
                  cilogs    1,000 sh.tangled.ci.subscribePipelineLogs subscribers of one live workflow (binary
                            DAG-CBOR frames) vs a bare Netty server, frames/s, median of 3 rounds (target >= 90 %)
                  events    /events backfill of 1,000,000 statuses to one client vs a bare Netty server, median of 3 rounds
                  query     sh.tangled.ci.queryPipelines for a repo with 100,000 pipelines among 1,000,000: first page
                            and a 30-commit filter, p99 (target <= 10 ms), median of 3 rounds

                Before each scenario the bench waits (at most 90 s) for the one-minute load average to fall
                below 1.5; figures of a scenario started at a higher load, or during which other processes
                kept 0.25 cores or more busy, are marked "not counted".

                --quick       smaller sizes and shorter timings (about 2 minutes in all)
                --pg          pending also runs its 500/s round on PostgreSQL, with one instance and with three
                              (the /events client on an instance that does not consume the knot), on a throw-away
                              server started from the machine's PostgreSQL binaries (initdb, pg_ctl, postgres on
                              PATH, /usr/local/bin or /usr/lib/postgresql/*/bin) and removed at the end
                --db URL      as --pg, on an existing database (postgresql://user[:password]@host[:port]/database);
                              the bench's rows stay in it; WEFT_SECRETS_KEY_FILE and WEFT_DB_PASSWORD_FILE are passed on
                --vectors     golden vector file (default ../shared/wire/vectors.jsonl beside the repository)
                --go-encode   directory of the Go reference encoder (default ../shared/bench/go-encode)
                """);
    }

    /**
     * {@code ../shared} next to the repository this build came from (the jar lives in
     * {@code <repo>/cmd/target}); else {@code ../shared} from the working directory.
     */
    static Path sharedDir() {
        try {
            CodeSource src = Bench.class.getProtectionDomain().getCodeSource();
            if (src != null) {
                for (Path p = Path.of(src.getLocation().toURI()).toAbsolutePath(); p != null; p = p.getParent()) {
                    if (Files.isRegularFile(p.resolve("pom.xml")) && Files.isDirectory(p.resolve("cmd"))) {
                        Path shared = p.resolveSibling("shared");
                        if (Files.isDirectory(shared)) return shared.normalize();
                        break;
                    }
                }
            }
        } catch (URISyntaxException | RuntimeException e) {
            // fall through to the working directory
        }
        return Path.of("..", "shared").toAbsolutePath().normalize();
    }
}
