package dev.weft.cmd.bench;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What every scenario is given: the size of the run, where the shared reference material is, and
 * how to start a child JVM from the same class path.
 *
 * @param quick    the shorter variant ({@code --quick}): fewer items and shorter timings
 * @param vectors  the golden vector file for {@code wire}
 * @param goEncode the directory of the Go reference encoder
 * @param out      where figures are printed
 * @param postgres where {@code pending} also measures PostgreSQL ({@code --pg}, {@code --db}), or null
 */
record BenchContext(boolean quick, Path vectors, Path goEncode, PrintStream out, Postgres postgres) {

    BenchContext(boolean quick, Path vectors, Path goEncode, PrintStream out) {
        this(quick, vectors, goEncode, out, null);
    }

    /** The PostgreSQL {@code pending} runs on besides SQLite. */
    sealed interface Postgres {
        /** {@code --pg}: a server the bench starts from the machine's binaries and removes. */
        record Throwaway() implements Postgres {
        }

        /** {@code --db URL}: the operator's database, used as it is (the bench's rows stay in it). */
        record Given(String url) implements Postgres {
        }
    }

    /** Log level handed to child JVMs: the bench keeps weft's per-status info lines off the console. */
    static final String QUIET_LOGS = "-D" + dev.weft.cmd.LogSetup.LEVEL_PROPERTY + "=warn";

    void say(String scenario, String line) {
        out.println(scenario + ": " + line);
        out.flush();
    }

    /** The size to use: {@code full} normally, {@code quick} under {@code --quick}. */
    int pick(int full, int quick) {
        return quick() ? quick : full;
    }

    /** CPU time this JVM has used, or -1 when the platform does not say. */
    static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    /** The machine's one-minute load average, which says how much of the 2 cores the bench really had. */
    String load() {
        return Load.describeNow();
    }

    /** {@code java [jvmArgs] -cp <this class path> mainClass args}: a child JVM running this very build. */
    static List<String> javaCommand(List<String> jvmArgs, Class<?> main, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        cmd.add(QUIET_LOGS);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        cmd.addAll(args);
        return cmd;
    }
}
