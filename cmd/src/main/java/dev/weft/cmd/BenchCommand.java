package dev.weft.cmd;

import dev.weft.cmd.bench.Bench;

import java.io.PrintStream;
import java.util.List;

/** {@code weft bench}: the benchmark scenarios of docs/performance.md, in {@link Bench}. */
final class BenchCommand {
    private BenchCommand() {
    }

    static int run(List<String> args, PrintStream out, PrintStream err) {
        return Bench.run(args, out, err);
    }
}
