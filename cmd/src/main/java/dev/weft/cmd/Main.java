package dev.weft.cmd;

import dev.weft.config.WeftConfig;
import dev.weft.daemon.Weft;
import dev.weft.wire.WireCheck;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** Entry point: {@code weft <command> [flags]}. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs a command and returns its exit code (tests call this directly). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            usage(err);
            return 2;
        }
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        try {
            return switch (args[0]) {
                case "serve" -> ServeCommand.run(rest, out, err);
                case "demo" -> DemoCommand.run(rest, out, err);
                case "doctor" -> dev.weft.cmd.doctor.DoctorCommand.run(rest, System.getenv(), out, err);
                case "healthcheck" -> HealthcheckCommand.run(rest, System.getenv(), out, err);
                case "wire-check" -> wireCheck(rest, out, err);
                case "bench" -> BenchCommand.run(rest, out, err);
                case "repos" -> NetworkCommands.repos(rest, out, err);
                case "members" -> NetworkCommands.members(rest, out, err);
                case "cancel" -> NetworkCommands.cancel(rest, out, err);
                case "runs" -> RunsCommand.run(rest, out, err);
                case "version", "--version" -> {
                    out.println("weft " + Weft.VERSION);
                    yield 0;
                }
                case "help", "--help", "-h" -> {
                    usage(out);
                    yield 0;
                }
                default -> {
                    err.println("weft: unknown command " + args[0]);
                    usage(err);
                    yield 2;
                }
            };
        } catch (WeftConfig.InvalidConfigException e) {
            err.println("weft: " + e.getMessage());
            return 2;
        }
    }

    private static int wireCheck(List<String> args, PrintStream out, PrintStream err) {
        if (args.size() != 1) {
            err.println("usage: weft wire-check FILE");
            return 2;
        }
        Path file = Path.of(args.get(0));
        if (!Files.isReadable(file)) {
            err.println("weft wire-check: cannot read " + file);
            return 2;
        }
        WireCheck.Result r = WireCheck.run(file, out);
        return r.failed() == 0 ? 0 : 1;
    }

    static void usage(PrintStream out) {
        out.println("""
                usage: weft <command> [flags]

                commands:
                  serve        run the spindle (configuration: WEFT_* variables or --flags; see README)
                  demo         run weft with an embedded knot and the stub provider, and watch a pipeline
                               (--once: exit after the first pipeline; 0 when every workflow succeeded;
                               --legacy: a legacy knot that sends sh.tangled.pipeline records itself)
                  doctor       check the configuration serve would use: database, knots, Jetstream, PLC,
                               providers' credentials, this spindle's public URL, the clock
                               (--json for a document; exit 1 when a check fails; --timeout 5s a call)
                  healthcheck  exit 0 when the local weft answers /healthz with 200 (WEFT_LISTEN's port;
                               --timeout 3s), for container health checks
                  wire-check   FILE: check the wire encoder against a golden vector file
                  bench        run the benchmarks (see docs/performance.md)
                  repos        list the registered repositories: from which record (or static), since when
                  members      list the spindle members and repo collaborators learnt from the Jetstream
                  cancel       PIPELINE-AT-URI WORKFLOW: cancel a workflow (queued in the database for
                               the running daemon; --wait 30s by default, --wait 0 to return at once)
                  runs         the newest runs (--limit 20); --group GROUP: that concurrency group's queue in
                               every repository (--repo DID or knot/owner/name: one), running first
                               these four read WEFT_DB (or --db, or its SPINDLE_/TACK_ aliases)
                  version      print the version
                """);
    }
}
