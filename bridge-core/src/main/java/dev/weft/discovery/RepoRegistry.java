package dev.weft.discovery;

import dev.weft.model.RepoRef.RepoKey;
import dev.weft.store.RegisteredRepo;
import dev.weft.store.RegistryStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The repositories registered to this spindle, persisted, plus the static wildcard ({@code *}: every
 * repository on a static knot). Tells listeners when a knot gains its first repository or loses
 * its last, so the knot consumers follow the registrations. Thread-safe.
 */
public final class RepoRegistry {
    private static final Logger log = LoggerFactory.getLogger(RepoRegistry.class);

    private final RegistryStore store;
    private final Clock clock;
    private final Set<RepoKey> repos = ConcurrentHashMap.newKeySet();
    private final Set<String> wildcardKnots = ConcurrentHashMap.newKeySet();
    private final CopyOnWriteArrayList<KnotListener> listeners = new CopyOnWriteArrayList<>();

    /** Told when a knot becomes needed or no longer needed. */
    public interface KnotListener {
        void knotAdded(String knot);

        void knotRemoved(String knot);
    }

    public RepoRegistry(RegistryStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
        for (RegisteredRepo r : store.repos()) repos.add(r.repo());
    }

    public void addListener(KnotListener l) {
        listeners.add(l);
    }

    /** Accepts every repository whose triggers arrive from this (static) knot. */
    public void acceptAllOn(String knot) {
        boolean had = knots().contains(knot);
        wildcardKnots.add(knot);
        if (!had) fire(knot, true);
    }

    /** Registers a repository; {@code source} says which record (or {@code static}) did it. */
    public boolean register(RepoKey repo, String source) {
        boolean had = knots().contains(repo.knot());
        boolean added = store.addRepo(repo, source, clock.instant());
        repos.add(repo);
        if (added) log.info("repository registered: {} (from {})", repo, source);
        if (!had) fire(repo.knot(), true);
        return added;
    }

    /** Unregisters a repository; its knot is released when nothing else needs it. */
    public boolean unregister(RepoKey repo) {
        boolean removed = store.removeRepo(repo);
        repos.remove(repo);
        if (removed) log.info("repository unregistered: {}", repo);
        if (!knots().contains(repo.knot())) fire(repo.knot(), false);
        return removed;
    }

    public boolean isRegistered(RepoKey repo) {
        return repos.contains(repo) || wildcardKnots.contains(repo.knot());
    }

    /** Every knot that some registration needs. */
    public Set<String> knots() {
        Set<String> out = new LinkedHashSet<>(wildcardKnots);
        for (RepoKey r : repos) out.add(r.knot());
        return out;
    }

    public List<RegisteredRepo> registrations() {
        return store.repos();
    }

    private void fire(String knot, boolean added) {
        Consumer<KnotListener> call = added ? l -> l.knotAdded(knot) : l -> l.knotRemoved(knot);
        for (KnotListener l : listeners) {
            try {
                call.accept(l);
            } catch (RuntimeException e) {
                log.error("knot listener failed for {}: {}", knot, e.toString());
            }
        }
    }
}
