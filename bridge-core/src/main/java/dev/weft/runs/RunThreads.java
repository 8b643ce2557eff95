package dev.weft.runs;

import dev.weft.spi.GoDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Owns every thread the run runtime starts: each run's virtual thread, and the short ones that
 * carry a timeout or a cancel to a provider. Whoever starts a thread owns its end: {@link #close}
 * interrupts every thread still alive and waits, within a bound, for all of them to end, logging
 * each one that did not (with where it is stuck). Once closing began nothing new is started.
 */
final class RunThreads {
    private static final Logger log = LoggerFactory.getLogger(RunThreads.class);

    private final Set<Thread> live = ConcurrentHashMap.newKeySet();
    /** Set once, under this object's lock, so that no thread starts after {@link #close} took its list. */
    private volatile boolean stopping;

    /**
     * Runs {@code task} on a new virtual thread named {@code name}. Returns false, starting nothing,
     * once {@link #close} began.
     */
    boolean start(String name, Runnable task) {
        Thread t = Thread.ofVirtual().name(name).unstarted(() -> {
            try {
                task.run();
            } finally {
                live.remove(Thread.currentThread());
            }
        });
        synchronized (this) {
            if (stopping) {
                log.debug("{} not started: the runtime is stopping", name);
                return false;
            }
            live.add(t);
            t.start();
        }
        return true;
    }

    /** Whether {@link #close} began: an interrupt a run thread sees now means weft is stopping. */
    boolean stopping() {
        return stopping;
    }

    /** Threads started and not ended yet. */
    int alive() {
        return live.size();
    }

    /**
     * Interrupts every live thread and waits at most {@code bound}, in total, for them all to end.
     * Returns the threads that did not end, each of them logged; they are left running.
     */
    List<Thread> close(Duration bound) {
        List<Thread> all;
        synchronized (this) {
            stopping = true;
            all = List.copyOf(live);
        }
        if (all.isEmpty()) return List.of();
        log.info("stopping {} run thread(s): interrupting them, waiting up to {}", all.size(), GoDuration.format(bound));
        for (Thread t : all) t.interrupt();
        long deadline = System.nanoTime() + bound.toNanos();
        boolean interrupted = false;
        List<Thread> unended = new ArrayList<>();
        for (Thread t : all) {
            try {
                Duration left = interrupted ? Duration.ZERO : Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
                if (!t.join(left)) unended.add(t);
            } catch (InterruptedException e) {
                interrupted = true;
                if (t.isAlive()) unended.add(t);
            }
        }
        for (Thread t : unended) {
            log.warn("{} did not end within {} of its interrupt (its provider ignores interrupts?); left running at {}",
                    t.getName(), GoDuration.format(bound), where(t));
        }
        if (interrupted) Thread.currentThread().interrupt();
        return List.copyOf(unended);
    }

    /** Where a thread is, for the log: the JDK call it waits in, then the frames of the code that called it. */
    private static String where(Thread t) {
        List<StackTraceElement> stack = Arrays.asList(t.getStackTrace());
        if (stack.isEmpty()) return "(no stack)";
        int first = 0;
        while (first < stack.size() && "java.base".equals(stack.get(first).getModuleName())) first++;
        return stack.subList(Math.max(0, Math.min(first, stack.size()) - 1), stack.size()).stream().limit(4)
                .map(StackTraceElement::toString).collect(Collectors.joining(" <- "));
    }
}
