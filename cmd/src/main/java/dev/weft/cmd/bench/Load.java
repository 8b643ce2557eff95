package dev.weft.cmd.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * How busy the machine is, for every scenario alike: figures count only when the machine was
 * otherwise idle, that is when the one-minute load average was below {@link #IDLE_BELOW} as the
 * scenario started, and other processes kept less than {@link #OTHERS_BELOW} of a core busy on
 * average while it ran. {@link #awaitIdle} waits, bounded, for an earlier load to fall;
 * {@link Usage} then says how much CPU other processes took while the scenario ran, which the
 * load average read before it cannot show (a build started halfway, say).
 */
final class Load {
    /** The one-minute load average below which the machine counts as idle. */
    static final double IDLE_BELOW = 1.5;
    /**
     * Cores other processes may keep busy on average during a scenario whose figures count. A
     * build that starts after the load was read takes a core or more; the bench's own background
     * (the kernel, the JVM of the launcher) stays well under a tenth.
     */
    static final double OTHERS_BELOW = 0.25;
    /**
     * The longest wait for the load to fall. The one-minute average decays by e every minute: after
     * a scenario that kept both cores and a few more threads busy (load 3 to 4), an idle machine is
     * below 1.5 again within 40 to 60 s.
     */
    static final long MAX_WAIT_SECONDS = 90;
    /** How often the kernel recomputes the load average. */
    private static final long POLL_SECONDS = 5;
    private static final Path LOADAVG = Path.of("/proc/loadavg");
    private static final Path STAT = Path.of("/proc/stat");
    private static final Path SELF_STAT = Path.of("/proc/self/stat");

    private Load() {
    }

    /** The one-minute load average from /proc/loadavg (else the JVM's view), or NaN when unknown. */
    static double oneMinute() {
        try {
            String s = Files.readString(LOADAVG);
            return parseLoadavg(s);
        } catch (IOException | RuntimeException e) {
            double l = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
            return l < 0 ? Double.NaN : l;
        }
    }

    /** The first field of a /proc/loadavg line. */
    static double parseLoadavg(String line) {
        return Double.parseDouble(line.trim().split("\\s+", 2)[0]);
    }

    /** {@code load average 0.42}, or {@code load average unknown}. */
    static String describe(double load) {
        return Double.isNaN(load) ? "load average unknown" : "load average " + Fmt.fixed(load, 2);
    }

    static String describeNow() {
        return describe(oneMinute());
    }

    /**
     * The load as a scenario started.
     *
     * @param before the one-minute load average when it started (NaN when unknown)
     * @param waited how long it waited for the load to fall, in seconds
     */
    record Gate(double before, long waited) {
        /** Whether its figures count: the load is known and was below {@link #IDLE_BELOW}. */
        boolean idle() {
            return !Double.isNaN(before) && before < IDLE_BELOW;
        }

        /** {@code counted (load 0.42)} or {@code not counted (load 1.82)}. */
        String verdict() {
            return (idle() ? "counted" : "not counted") + " (load " + load() + ")";
        }

        /**
         * With what other processes took during the scenario ({@code others} cores, NaN when
         * unknown): {@code counted (load 0.42, other processes 0.03 cores)}, {@code not counted
         * (load 1.82)} or {@code not counted (other processes 0.61 cores)}.
         */
        String verdict(double others) {
            if (!idle()) return verdict();
            if (Double.isNaN(others)) return verdict();
            String o = "other processes " + Fmt.fixed(others, 2) + " cores";
            return others < OTHERS_BELOW ? "counted (load " + load() + ", " + o + ")" : "not counted (" + o + ")";
        }

        /** Whether the figures count, given what other processes took during the scenario. */
        boolean counted(double others) {
            return idle() && (Double.isNaN(others) || others < OTHERS_BELOW);
        }

        private String load() {
            return Double.isNaN(before) ? "unknown" : Fmt.fixed(before, 2);
        }
    }

    /**
     * Waits until the one-minute load average is below {@link #IDLE_BELOW}, at most
     * {@link #MAX_WAIT_SECONDS}, saying so while it waits; then says the load it starts at and
     * whether its figures will count.
     */
    static Gate awaitIdle(BenchContext ctx, String scenario) throws InterruptedException {
        long t0 = System.nanoTime();
        long limit = t0 + TimeUnit.SECONDS.toNanos(MAX_WAIT_SECONDS);
        double load = oneMinute();
        long lastSaid = 0;
        while (!Double.isNaN(load) && load >= IDLE_BELOW && System.nanoTime() < limit) {
            long now = System.nanoTime();
            if (lastSaid == 0 || now - lastSaid >= TimeUnit.SECONDS.toNanos(15)) {
                ctx.say(scenario, "waiting for the machine to be idle: " + describe(load) + ", not below "
                        + Fmt.fixed(IDLE_BELOW, 1) + " (at most " + MAX_WAIT_SECONDS + " s in all)");
                lastSaid = now;
            }
            Thread.sleep(TimeUnit.SECONDS.toMillis(POLL_SECONDS));
            load = oneMinute();
        }
        Gate g = new Gate(load, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0));
        ctx.say(scenario, describe(load) + " at the start" + (g.waited() > 0 ? " (after waiting " + g.waited() + " s)" : "")
                + ": figures " + (g.idle() ? "count" : "NOT counted, the machine is not idle (load >= "
                + Fmt.fixed(IDLE_BELOW, 1) + ")"));
        return g;
    }

    /**
     * CPU time taken on the whole machine and by this process (with the children it has waited
     * for) since {@link #start}: the difference is what other processes took meanwhile.
     */
    static final class Usage {
        private final long[] machine0;
        private final long self0;

        private Usage(long[] machine0, long self0) {
            this.machine0 = machine0;
            this.self0 = self0;
        }

        /** Starts counting; null when /proc is not there to read. */
        static Usage start() {
            long[] m = machineTicks();
            long s = selfTicks();
            return m == null || s < 0 ? null : new Usage(m, s);
        }

        /**
         * The cores other processes kept busy on average since the start (0 to the number of
         * cores), or NaN when unknown.
         */
        double othersCores() {
            long[] m = machineTicks();
            long s = selfTicks();
            if (m == null || s < 0) return Double.NaN;
            long total = m[1] - machine0[1];
            if (total <= 0) return Double.NaN;
            long others = Math.max(0, (m[0] - machine0[0]) - (s - self0));
            return (double) others / total * Runtime.getRuntime().availableProcessors();
        }

        /** {@code other processes kept 0.05 of 2 cores busy}. */
        String describe() {
            double c = othersCores();
            return Double.isNaN(c) ? "CPU of other processes unknown"
                    : "other processes kept " + Fmt.fixed(c, 2) + " of " + Runtime.getRuntime().availableProcessors()
                    + " cores busy";
        }
    }

    /** {busy, total} clock ticks of all CPUs from /proc/stat, or null. */
    private static long[] machineTicks() {
        try {
            for (String line : Files.readAllLines(STAT)) {
                if (!line.startsWith("cpu ")) continue;
                return parseCpuLine(line);
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or /proc not mounted
        }
        return null;
    }

    /** {busy, total} of a {@code cpu ...} line: busy is everything but idle and iowait. */
    static long[] parseCpuLine(String line) {
        String[] f = line.trim().split("\\s+");
        long total = 0;
        long idle = 0;
        // user nice system idle iowait irq softirq steal [guest guest_nice, already in user and nice]
        for (int i = 1; i < f.length && i <= 8; i++) {
            long v = Long.parseLong(f[i]);
            total += v;
            if (i == 4 || i == 5) idle += v;
        }
        return new long[]{total - idle, total};
    }

    /** utime + stime + cutime + cstime of this process in clock ticks, or -1. */
    private static long selfTicks() {
        try {
            return parseSelfStat(Files.readString(SELF_STAT));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The CPU fields of a /proc/[pid]/stat line (fields 14 to 17, after the command in parentheses). */
    static long parseSelfStat(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
        // f[0] is field 3 (state): utime is field 14, so f[11]; stime f[12], cutime f[13], cstime f[14].
        return Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
    }
}
