package dev.weft.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.management.HotSpotDiagnosticMXBean;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Every live thread of this JVM, virtual threads included. {@link Thread#getAllStackTraces()} omits
 * virtual threads, so this reads the JDK's JSON thread dump
 * ({@link HotSpotDiagnosticMXBean#dumpThreads}), which lists the virtual threads created with the
 * Thread API or an executor while {@code jdk.trackAllThreads} is true (the default).
 *
 * <pre>{@code
 * Set<Long> before = LiveThreads.ids();
 * ... start something, close it ...
 * LiveThreads.assertAllEnded(before, Duration.ofSeconds(10), t -> false);
 * }</pre>
 */
public final class LiveThreads {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Threads of the JDK itself, and pools shared by the whole process that start on first use and
     * retire on their own when idle: none can be a provider's leak, and none can be stopped by one.
     * Carrier threads of virtual threads are recognised by their class instead (see
     * {@link #isJdkOrSharedPool}); the virtual threads they carry are listed on their own.
     */
    private static final Set<String> JDK_THREADS = Set.of(
            "Reference Handler", "Finalizer", "Signal Dispatcher", "Notification Thread", "Service Thread",
            "Monitor Deflation Thread", "Attach Listener", "Common-Cleaner", "process reaper",
            "VirtualThread-unparker", "VirtualThread-unblocker", "Read-Poller", "Write-Poller",
            "Keep-Alive-Timer", "Keep-Alive-SocketCleaner",
            // OkHttp's process-wide task runner and Okio's timeout watchdog (idle: gone within a minute).
            "OkHttp TaskRunner", "Okio Watchdog");
    /**
     * The loop of the JDK's I/O pollers for virtual threads ({@code MasterPoller},
     * {@code SubPoller-<n>}, {@code Read-Poller}...), started on a virtual thread's first socket I/O
     * and kept for the life of the JVM. A virtual thread blocked in I/O has {@code Poller.poll} on
     * its stack, never a poller loop.
     */
    private static final Pattern JDK_POLLER_LOOP = Pattern.compile("java\\.base/sun\\.nio\\.ch\\.Poller\\.\\w*[Ll]oop\\(");

    private LiveThreads() {
    }

    /**
     * One live thread.
     *
     * @param tid       the thread id ({@link Thread#threadId()})
     * @param virtual   a virtual thread
     * @param container the thread container it was listed in ({@code <root>}, an executor, a pool)
     * @param stack     its frames, innermost first
     */
    public record LiveThread(long tid, String name, boolean virtual, String container, List<String> stack) {
        /** {@code virtual thread #41 "weft-run-1" at dev.weft...(X.java:12)}, for failure messages. */
        public String describe() {
            String where = stack.stream().filter(f -> !f.startsWith("java.base/")).findFirst()
                    .orElse(stack.isEmpty() ? "?" : stack.get(0));
            return (virtual ? "virtual" : "platform") + " thread #" + tid + " \"" + name + "\" at " + where;
        }
    }

    /** Every thread alive now. */
    public static List<LiveThread> now() {
        JsonNode dump = dump();
        Set<Long> platform = new HashSet<>();
        Set<Long> carriers = new HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            platform.add(t.threadId());
            if (t.getClass().getName().equals("jdk.internal.misc.CarrierThread")) carriers.add(t.threadId());
        }
        // The carriers' pool container also lists its own helper threads (a delay scheduler).
        Set<String> carrierPools = new HashSet<>();
        List<LiveThread> all = new ArrayList<>();
        for (JsonNode container : dump.path("threadDump").path("threadContainers")) {
            String name = container.path("container").asText();
            for (JsonNode t : container.path("threads")) {
                long tid = t.path("tid").asLong();
                if (carriers.contains(tid)) carrierPools.add(name);
                // JDK 21 has no "virtual" field: a thread the platform list lacks is virtual.
                boolean virtual = t.has("virtual") ? t.path("virtual").asBoolean() : !platform.contains(tid);
                List<String> stack = new ArrayList<>();
                for (JsonNode f : t.path("stack")) stack.add(f.asText());
                all.add(new LiveThread(tid, t.path("name").asText(""), virtual, name, List.copyOf(stack)));
            }
        }
        return all.stream().filter(t -> !carrierPools.contains(t.container()) || t.virtual()).toList();
    }

    /** The ids of every thread alive now: a baseline for {@link #assertAllEnded}. */
    public static Set<Long> ids() {
        return now().stream().map(LiveThread::tid).collect(Collectors.toUnmodifiableSet());
    }

    /**
     * Whether a thread belongs to the JDK or to a pool the whole process shares: see
     * {@link #JDK_THREADS} and {@link #JDK_POLLER_LOOP}. An idle worker of the common fork-join pool
     * counts; one running a task does not.
     */
    public static boolean isJdkOrSharedPool(LiveThread t) {
        if (JDK_THREADS.contains(t.name())) return true;
        if (t.stack().stream().anyMatch(f -> JDK_POLLER_LOOP.matcher(f).lookingAt())) return true;
        return t.name().startsWith("ForkJoinPool.commonPool-worker-")
                && t.stack().stream().anyMatch(f -> f.contains("java.util.concurrent.ForkJoinPool.awaitWork"));
    }

    /**
     * The threads alive now that were not in {@code before}, other than the caller, the JDK's and
     * shared pools' ({@link #isJdkOrSharedPool}) and those {@code ignored} accepts.
     */
    public static List<LiveThread> startedSince(Set<Long> before, Predicate<LiveThread> ignored) {
        long self = Thread.currentThread().threadId();
        return now().stream()
                .filter(t -> !before.contains(t.tid()) && t.tid() != self)
                .filter(t -> !isJdkOrSharedPool(t) && !ignored.test(t))
                .toList();
    }

    /**
     * Waits up to {@code patience} for every thread started since {@code before} to end (see
     * {@link #startedSince}); fails naming those still alive. Waiting is for threads that are
     * already on their way out; a thread that never ends fails however long the wait.
     */
    public static void assertAllEnded(Set<Long> before, Duration patience, Predicate<LiveThread> ignored) {
        long deadline = System.nanoTime() + patience.toNanos();
        while (true) {
            List<LiveThread> left = startedSince(before, ignored);
            if (left.isEmpty()) return;
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("threads left after close (" + left.size() + "):\n  "
                        + left.stream().map(LiveThread::describe).collect(Collectors.joining("\n  ")));
            }
            try {
                Thread.sleep(50); // polling for the end of threads, not waiting in place of an event
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for threads to end", e);
            }
        }
    }

    private static JsonNode dump() {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("weft-threads");
            Path file = dir.resolve("threads.json"); // must not exist yet
            ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                    .dumpThreads(file.toString(), HotSpotDiagnosticMXBean.ThreadDumpFormat.JSON);
            JsonNode n = JSON.readTree(file.toFile());
            Files.delete(file);
            return n;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot dump threads", e);
        } finally {
            if (dir != null) {
                try {
                    Files.deleteIfExists(dir);
                } catch (IOException ignored) {
                    // a temporary directory left behind
                }
            }
        }
    }
}
