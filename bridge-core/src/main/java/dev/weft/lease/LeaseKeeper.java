package dev.weft.lease;

import dev.weft.store.LeaseStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;
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
 * <p>Thread safety: every method may be called from any thread. Gain and loss actions run one at
 * a time (under the {@code work} lock), on the thread of a start-up {@link #want}, of a round, or
 * of {@link #handBack}. After {@link #opened()}, {@link #want} and {@link #unwant} on a shared
 * database only queue the change for the next round and return at once: they are called from
 * stream threads (a knot registered from the Jetstream) that a loss action may be waiting for,
 * and must never wait for the lock that action holds.
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

    /** A change of what is wanted, queued by a caller that must not wait for {@code work}. */
    private sealed interface Change {
        record Want(String name, Work work) implements Change {
        }

        record Unwant(String name) implements Change {
        }
    }

    private final LeaseStore store;
    private final InstanceId instance;
    private final Duration ttl;
    private final Duration every;
    private final Clock clock;
    /** Serialises rounds, start-up wants and hand-back; guards {@link #wanted}. */
    private final ReentrantLock work = new ReentrantLock();
    private final Map<String, Wanted> wanted = new LinkedHashMap<>();
    private final ConcurrentLinkedQueue<Change> changes = new ConcurrentLinkedQueue<>();
    /** The leases held, as of the last change: readable without {@code work}. */
    private volatile Set<String> heldNow = Set.of();
    private volatile boolean opened;
    private volatile boolean handedBack;
    private final Object threadLock = new Object();
    private Thread thread;
    private boolean closed;
    /**
     * The last round that renewed the liveness lease; null before the first. Written under
     * {@link #work}; volatile because {@link #lapsed} reads it on any thread.
     */
    private volatile Instant livenessRenewed;
    private volatile boolean livenessLost;
    private volatile java.util.function.Consumer<String> onLivenessLost = why -> { };

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

    /**
     * What to do, once, when this instance finds its liveness lease was not renewed for a whole
     * lease time (the database unreachable that long, or the process stalled): other instances may
     * already have adopted its runs and taken its work, so it must stop driving them rather than
     * carry on beside their new owners. Called on the renewal thread with the reason; it should
     * hand the stopping to another thread.
     */
    public void onLivenessLost(java.util.function.Consumer<String> action) {
        this.onLivenessLost = java.util.Objects.requireNonNull(action, "action");
    }

    /** Whether this instance found its liveness lease lapsed (see {@link #onLivenessLost}). */
    public boolean livenessLost() {
        return livenessLost;
    }

    /**
     * Whether this life's liveness lease has lapsed by now: a round found it so, or a whole lease
     * time has passed since the last renewal although no round has looked yet. The second case is
     * a process that was stalled (SIGSTOP, a long pause) and has just woken: its run threads wake
     * beside the renewal thread and would write to runs that other instances adopted meanwhile
     * before the next round stops them, so a shared database asks this before each of its writes
     * ({@link dev.weft.store.Stores#fenceWrites}). Always false without a shared database. Cheap:
     * no database access, one clock read.
     */
    public boolean lapsed() {
        if (store == null) return false;
        if (livenessLost) return true;
        Instant renewed = livenessRenewed;
        return renewed != null && !clock.instant().isBefore(renewed.plus(ttl));
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
     * Wants lease {@code name}; {@code work.onGain} runs each time it is gained. Before
     * {@link #opened()} (start-up), and always without a shared database, it is tried now, so
     * start-up work starts before this returns when the lease is free; afterwards the next round
     * tries it.
     */
    public void want(String name, Work work) {
        if (handedBack) return;
        if (store != null && opened) {
            changes.add(new Change.Want(name, work));
            return;
        }
        this.work.lock();
        try {
            add(name, work, clock.instant());
        } finally {
            this.work.unlock();
        }
    }

    /** Stops wanting {@code name}: stops its work if held and hands it back (queued, like {@link #want}). */
    public void unwant(String name) {
        if (handedBack) return;
        if (store != null && opened) {
            changes.add(new Change.Unwant(name));
            return;
        }
        work.lock();
        try {
            remove(name);
        } finally {
            work.unlock();
        }
    }

    /** Start-up is over: from now on {@link #want} and {@link #unwant} only queue. */
    public void opened() {
        opened = true;
    }

    public boolean holds(String name) {
        return heldNow.contains(name);
    }

    /** The leases held now, by name. */
    public Set<String> held() {
        return heldNow;
    }

    /**
     * Takes this life's liveness lease and starts the renewal thread (shared databases only);
     * before the first {@link #want}, so that runs this instance adopts are never ownerless.
     */
    public void start() {
        if (store == null) return;
        synchronized (threadLock) {
            if (thread != null || closed) return;
            renewLiveness(clock.instant());
            thread = Thread.ofPlatform().name("weft-leases").daemon(true).start(this::loop);
        }
    }

    private void loop() {
        while (true) {
            try {
                Thread.sleep(every);
            } catch (InterruptedException e) {
                return;
            }
            round(clock.instant());
        }
    }

    /** One renewal round; also what a test calls instead of waiting for the thread. */
    void round(Instant now) {
        work.lock();
        try {
            renewLiveness(now);
            if (handedBack || livenessLost) return;
            for (Change c; (c = changes.poll()) != null; ) {
                switch (c) {
                    case Change.Want w -> add(w.name(), w.work(), now);
                    case Change.Unwant u -> remove(u.name());
                }
            }
            for (String name : new ArrayList<>(wanted.keySet())) seek(name, now);
        } finally {
            work.unlock();
        }
    }

    private void add(String name, Work w, Instant now) {
        if (handedBack || wanted.containsKey(name)) return;
        wanted.put(name, new Wanted(w, false, null));
        seek(name, now);
    }

    private void remove(String name) {
        Wanted w = wanted.remove(name);
        if (w != null && w.held()) lose(name, w, true);
        publishHeld();
    }

    private void renewLiveness(Instant now) {
        if (store == null || livenessLost) return;
        // Renewing a lapsed lease would succeed (nobody else holds this life's name), so the lapse
        // is told by the time since the last renewal, and then nothing is renewed any more.
        if (livenessRenewed != null && !now.isBefore(livenessRenewed.plus(ttl))) {
            livenessLapsed("its liveness lease lapsed: last renewed at " + livenessRenewed + ", " + ttl.toMillis()
                    + " ms lease, now " + now + " (the database was unreachable or this process stalled)");
            return;
        }
        try {
            if (store.acquire(instance.liveness(), instance.holder(), now, ttl)) livenessRenewed = now;
            else livenessLapsed("another holder has its liveness lease");
        } catch (RuntimeException e) {
            log.warn("instance {}: renewing its liveness lease failed: {}", instance.holder(), e.toString());
        }
    }

    private void livenessLapsed(String why) {
        livenessLost = true;
        log.error("instance {}: {}; its runs may be adopted elsewhere: it stops its work", instance.holder(), why);
        // Its work leases lapsed with it (they are renewed in the same rounds): stop that work now,
        // handing nothing back, since another instance may hold them already.
        for (String name : new ArrayList<>(wanted.keySet())) {
            Wanted w = wanted.get(name);
            if (w.held()) lose(name, w, false);
        }
        try {
            onLivenessLost.accept(why);
        } catch (RuntimeException e) {
            log.error("instance {}: stopping after the lost liveness lease failed: {}", instance.holder(), e.toString(), e);
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
            publishHeld();
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
        publishHeld();
        run(name, w.work().onLoss());
        if (release && store != null) {
            try {
                store.release(name, instance.holder());
            } catch (RuntimeException e) {
                log.warn("lease {}: handing back failed ({}); it expires in {}", name, e.toString(), ttl);
            }
        }
    }

    private void publishHeld() {
        Set<String> out = new TreeSet<>();
        wanted.forEach((n, w) -> {
            if (w.held()) out.add(n);
        });
        heldNow = Collections.unmodifiableSet(out);
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
    public void handBack() {
        if (handedBack) return;
        // First, so that wants racing this one return at once instead of waiting for the lock.
        handedBack = true;
        work.lock();
        try {
            List<String> names = new ArrayList<>(wanted.keySet());
            for (int i = names.size() - 1; i >= 0; i--) {
                Wanted w = wanted.get(names.get(i));
                if (w.held()) lose(names.get(i), w, true);
            }
            wanted.clear();
            changes.clear();
            publishHeld();
        } finally {
            work.unlock();
        }
        // The liveness lease goes on being renewed: the thread's rounds now do only that.
    }

    /** Hands everything back, ends the renewal thread and hands back the liveness lease. Idempotent. */
    @Override
    public void close() {
        handBack();
        Thread t;
        synchronized (threadLock) {
            if (closed) return;
            closed = true;
            t = thread;
        }
        if (t != null) {
            t.interrupt();
            join(t);
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
        handedBack = true;
        Thread t;
        synchronized (threadLock) {
            closed = true;
            t = thread;
        }
        if (t != null) {
            t.interrupt();
            join(t);
        }
    }

    private static void join(Thread t) {
        try {
            t.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
