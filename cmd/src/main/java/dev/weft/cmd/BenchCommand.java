package dev.weft.cmd;

import java.io.PrintStream;
import java.util.List;

/** {@code weft bench}: placeholder until the benchmark scenarios land (see docs/performance.md). */
final class BenchCommand {
    private BenchCommand() {
    }

    static int run(List<String> args, PrintStream out, PrintStream err) {
        err.println("weft bench: not built yet");
        return 2;
    }
}
