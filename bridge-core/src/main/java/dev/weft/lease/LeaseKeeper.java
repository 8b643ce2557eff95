package dev.weft.lease;

import dev.weft.store.LeaseStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Takes, renews and hands back this instance's leases, and starts or stops the work each guards.
 * A caller says which leases it wants ({@link #want}) with what to do on gaining and on losing one;
 * the keeper's own thread ({@code weft-leases}, started by {@link #start}, ended by {@link #close})
 * then, every {@code every}, renews what it holds and tries for what it lacks, so work moves to
 * another instance within the lease time when its holder dies, and at once when it stops cleanly
 * ({@link #handBack}).
 *
 * <p>With {@code store == null} (SQLite: one instance has the database) every lease is this
 * instance's from the moment it is wanted, nothing is written and no thread runs, so a single
 * instance behaves as before leases existed.
 *
 * <p>Thread safety: every method may be called from any thread; they and the thread's rounds are
 * serialised, and the gain and loss actions run under that lock (so an action must not call back
 * into the keeper from another thread and wait for it).
 */
public final class LeaseKeeper implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LeaseKeeper.class);

    /** What to do when a lease is gained and when it is lost (or handed back). */
    public record Work(Runnable onGain, Runnable onLoss) {
    }

    /** Whether a wanted lease is held and when it was last renewed (explicit per-lease state). */
    private record Wanted(Work work, boolean held, Instant renewed) {
        Wanted holding(Instant at) {
            return new Wanted(work, true, at);
        }

        Wanted lacking() {
            return new Wanted(work, false, null);
        }
    }

    private final LeaseStore store;
    private final InstanceId instance;
    private final Duration ttl;
    private final Duration every;
    private final Clock clock;
    private final Map<String, Wanted> wanted = new LinkedHashMap<>();
    private Thread thread;
    private boolean handedBack;
    private boolean closed;

    /**
     * @param store null when this instance has the database to itself
     * @param ttl   how long a lease lasts without renewal: how long a dead instance's work waits
     * @param every how often leases are renewed and sought; well under {@code ttl}
     */
    public LeaseKeeper(LeaseStore store, InstanceId instance, Duration ttl, Duration every, Clock clock) {
        if (every.compareTo(ttl) >= 0) throw new IllegalArgumentException("renewal every " + every + " must be shorter than the lease " + ttl);
        this.store = store;
        this.instance = instance;
        this.ttl = ttl;
        this.every = every;
        this.clock = clock;
    }

    public InstanceId instance() {
        return instance;
    }

    /** Whether instances share the database (leases are real). */
    public boolean shared() {
        return store != null;
    }

    public Duration ttl() {
        return ttl;
    }

    public Duration every() {
        return every;
    }

    /**
     * Wants lease {@code name}: tries for it now (so start-up work starts before this returns when
     * the lease is free) and then in every round; {@code work.onGain} runs each time it is gained.
     */
    public synchronized void want(String name, Work work) {
        if (handedBack || wanted.containsKey(name)) return;
        wanted.put(name, new Wanted(work, false, null));
        seek(name, clock.instant());
    }

    /** Stops wanting {@code name}: stops its work if held and hands it back. */
    public synchronized void unwant(String name) {
        Wanted w = wanted.remove(name);
        if (w != null && w.held()) lose(name, w, true);
    }

    public synchronized boolean holds(String name) {
        Wanted w = wanted.get(name);
        return w != null && w.held();
    }

    /** The leases held now, by name. */
    public synchronized Set<String> held() {
        Set<String> out = new TreeSet<>();
        wanted.forEach((n, w) -> {
            if (w.held()) out.add(n);
        });
        return out;
    }

    /** Starts the renewal thread (shared databases only) and takes this life's liveness lease. */
    public synchronized void start() {
        if (store == null || thread != null) return;
        renewLiveness(clock.instant());
        thread = Thread.ofPlatform().name("weft-leases").daemon(true).start(this::loop);
    }

    private void loop() {
        while (true) {
            try {
                Thread.sleep(every);
            } catch (InterruptedException e) {
                return;
            }
            synchronized (this) {
                if (closed) return;
                round(clock.instant());
            }
        }
    }

    /** One renewal round; also what a test calls instead of waiting for the thread. */
    synchronized void round(Instant now) {
        renewLiveness(now);
        for (String name : new ArrayList<>(wanted.keySet())) {
            if (!handedBack) seek(name, now);
        }
    }

    private void renewLiveness(Instant now) {
        try {
            if (!store.acquire(instance.liveness(), instance.holder(), now, ttl)) {
                log.error("instance {}: lost its liveness lease; its runs may be adopted elsewhere", instance.holder());
            }
        } catch (RuntimeException e) {
            log.warn("instance {}: renewing its liveness lease failed: {}", instance.holder(), e.toString());
        }
    }

    private void seek(String name, Instant now) {
        Wanted w = wanted.get(name);
        boolean got;
        if (store == null) {
            got = true;
        } else {
            try {
                got = store.acquire(name, instance.holder(), now, ttl);
            } catch (RuntimeException e) {
                // Unsure whether we still hold it: keep the work only while the last renewal is
                // surely still valid (half the lease), then stop rather than risk two holders.
                if (w.held() && w.renewed().plus(ttl.dividedBy(2)).isBefore(now)) {
                    log.warn("lease {}: cannot renew ({}); stopping its work", name, e.toString());
                    lose(name, w, false);
                }
                return;
            }
        }
        if (got && !w.held()) {
            log.info("lease {}: held by {}", name, instance.holder());
            wanted.put(name, w.holding(now));
            run(name, w.work().onGain());
        } else if (got) {
            wanted.put(name, w.holding(now));
        } else if (w.held()) {
            log.warn("lease {}: lost to another instance; stopping its work", name);
            lose(name, w, false);
        }
    }

    private void lose(String name, Wanted w, boolean release) {
        if (wanted.containsKey(name)) wanted.put(name, w.lacking());
        run(name, w.work().onLoss());
        if (release && store != null) {
            try {
                store.release(name, instance.holder());
            } catch (RuntimeException e) {
                log.warn("lease {}: handing back failed ({}); it expires in {}", name, e.toString(), ttl);
            }
        }
    }

    private static void run(String name, Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            log.error("lease {}: its work failed to start or stop: {}", name, e.toString(), e);
        }
    }

    /**
     * A clean stop, first half: stops the work of every lease held, in the reverse order they were
     * wanted, and hands each back at once so another instance takes it over in its next round.
     * The liveness lease stays renewed until {@link #close}, so this instance's runs are not
     * adopted while it still winds them down. Wants nothing afterwards.
     */
    public synchronized void handBack() {
        if (handedBack) return;
        handedBack = true;
        List<String> names = new ArrayList<>(wanted.keySet());
        for (int i = names.size() - 1; i >= 0; i--) {
            Wanted w = wanted.get(names.get(i));
            if (w.held()) lose(names.get(i), w, true);
        }
        wanted.clear();
    }

    /** Hands everything back, ends the renewal thread and hands back the liveness lease. Idempotent. */
    @Override
    public void close() {
        handBack();
        Thread t;
        synchronized (this) {
            if (closed) return;
            closed = true;
            t = thread;
        }
        if (t != null) {
            t.interrupt();
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (store != null) {
            try {
                store.release(instance.liveness(), instance.holder());
            } catch (RuntimeException e) {
                log.warn("instance {}: handing back its liveness lease failed: {}", instance.holder(), e.toString());
            }
        }
    }

    /**
     * Simulates a killed process for tests: the thread stops renewing, nothing is handed back and
     * no work is told to stop, so other instances see leases that simply expire.
     */
    public void abandon() {
        Thread t;
        synchronized (this) {
            closed = true;
            handedBack = true;
            t = thread;
        }
        if (t != null) {
            t.interrupt();
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
