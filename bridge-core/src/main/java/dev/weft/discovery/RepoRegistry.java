package dev.weft.discovery;

import dev.weft.model.AtSyntax;
import dev.weft.model.RepoRef;
import dev.weft.model.RepoRef.RepoKey;
import dev.weft.store.KnotCollaborator;
import dev.weft.store.RegisteredRepo;
import dev.weft.store.RegistryStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The repositories registered to this spindle, persisted, plus the static wildcard ({@code *}: every
 * repository on a static knot). A registration is keyed either by (knot, owner, name), as legacy
 * knots name repositories, or by the repository's own DID, as upgraded knots do (spec tangled-ci
 * 2.1). Tells listeners when a knot gains its first repository or loses its last, so the knot
 * consumers follow the registrations. Thread-safe: reads are lock-free, changes are serialised so
 * each knot change is told exactly once.
 */
public final class RepoRegistry {
    private static final Logger log = LoggerFactory.getLogger(RepoRegistry.class);

    /** The source of registrations from the static configuration ({@code WEFT_REPOS}). */
    public static final String STATIC = "static";

    private final RegistryStore store;
    private final Clock clock;
    private final Set<RepoKey> repos = ConcurrentHashMap.newKeySet();
    private final Map<String, RegisteredRepo> byRepoDid = new ConcurrentHashMap<>();
    /** The repo DID registered under each (knot, owner, name), so a pre-v1.14 trigger's lookup is no scan. */
    private final Map<RepoKey, String> repoDidByKey = new ConcurrentHashMap<>();
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
        for (RegisteredRepo r : store.repos()) {
            if (r.hasRepoDid()) remember(r);
            else repos.add(r.repo());
        }
    }

    public void addListener(KnotListener l) {
        listeners.add(l);
    }

    /** Accepts every repository whose triggers arrive from this (static) knot. */
    public synchronized void acceptAllOn(String knot) {
        Set<String> before = knots();
        wildcardKnots.add(knot);
        tell(before);
    }

    /** Registers a repository; {@code source} says which record (or {@link #STATIC}) did it. */
    public synchronized boolean register(RepoKey repo, String source) {
        Set<String> before = knots();
        boolean added = store.addRepo(repo, source, clock.instant());
        repos.add(repo);
        if (added) log.info("repository registered: {} (from {})", repo, source);
        tell(before);
        return added;
    }

    /** Unregisters a repository; its knot is released when nothing else needs it. */
    public synchronized boolean unregister(RepoKey repo) {
        Set<String> before = knots();
        boolean removed = store.removeRepo(repo);
        repos.remove(repo);
        if (removed) log.info("repository unregistered: {}", repo);
        tell(before);
        return removed;
    }

    /**
     * Registers a repository by its DID. When the repo DID is registered already: a static
     * re-registration (at start-up) only moves its knot, keeping an owner learned since; a record
     * may take over a static registration (the owner a static entry starts with is only the spindle
     * owner's stand-in); otherwise a registration by another owner is refused, and the same owner's
     * record moves it to the new knot and record key. Invalid arguments are logged and ignored.
     *
     * @param rkeyOrName the {@code sh.tangled.repo} record key (what triggers name the repo by), or a
     *                   stand-in for a static entry
     */
    public synchronized void registerRepoDid(String knot, String ownerDid, String rkeyOrName, String repoDid, String source) {
        Optional<String> bad = invalid(knot, ownerDid, rkeyOrName, repoDid, source);
        if (bad.isPresent()) {
            log.warn("repo-DID registration from {} ignored: {}", source, bad.get());
            return;
        }
        Set<String> before = knots();
        RegisteredRepo existing = byRepoDid.get(repoDid);
        RepoRef wanted = new RepoRef(knot, ownerDid, rkeyOrName, "", repoDid);
        if (existing == null) {
            store.addRepoDid(wanted, source, clock.instant());
            store.repoByDid(repoDid).ifPresent(this::remember);
            log.info("repository registered: {} (from {})", wanted.httpUrl(false), source);
        } else {
            RepoKey was = existing.repo();
            if (source.equals(STATIC)) {
                wanted = new RepoRef(knot, was.did(), was.name(), "", repoDid);
            } else if (!existing.source().equals(STATIC) && !was.did().equals(ownerDid)) {
                log.warn("repo DID {} from {} ignored: registered to another owner, {} (from {})", repoDid, source,
                        was.did(), existing.source());
                return;
            }
            move(existing, wanted, source);
        }
        tell(before);
    }

    /** Unregisters a repo DID (and what its knot said about collaborators); its knot is released when nothing else needs it. */
    public synchronized boolean unregisterRepoDid(String repoDid) {
        if (repoDid == null) return false;
        Set<String> before = knots();
        boolean removed = store.removeRepoDid(repoDid);
        RegisteredRepo was = forget(repoDid);
        if (removed) log.info("repository unregistered: {} (repo {})", was == null ? "" : was.repo(), repoDid);
        tell(before);
        return removed;
    }

    /**
     * What a refUpdate's {@code ownerDid} says: a static repo-DID registration, whose owner was the
     * spindle owner's stand-in, takes it as its owner. A record-backed registration keeps the owner
     * its record's author is (the record, not the knot, is what the owner signed).
     */
    public synchronized void learnOwner(String repoDid, String ownerDid) {
        RegisteredRepo existing = repoDid == null ? null : byRepoDid.get(repoDid);
        if (existing == null || existing.repo().did().equals(ownerDid)) return;
        Optional<String> bad = ownerDid == null ? Optional.of("no owner DID") : AtSyntax.did(ownerDid);
        if (bad.isPresent()) {
            log.warn("owner of {} not learned: {}", repoDid, bad.get());
        } else if (!existing.source().equals(STATIC)) {
            log.warn("owner {} of {} not learned: its record (from {}) says {}", ownerDid, repoDid, existing.source(),
                    existing.repo().did());
        } else {
            move(existing, new RepoRef(existing.repo().knot(), ownerDid, existing.repo().name(), "", repoDid), "a refUpdate");
        }
    }

    /**
     * Takes in the registrations other instances sharing the database made or removed (the one
     * following the Jetstream, say) and tells the listeners which knots that adds or removes.
     * Additions are applied before removals, so a concurrent lookup never misses a registration
     * present both before and after.
     */
    public synchronized void refresh() {
        Set<String> before = knots();
        Set<RepoKey> keys = new java.util.HashSet<>();
        Map<String, RegisteredRepo> dids = new java.util.HashMap<>();
        for (RegisteredRepo r : store.repos()) {
            if (r.hasRepoDid()) dids.put(r.repoDid(), r);
            else keys.add(r.repo());
        }
        repos.addAll(keys);
        for (RegisteredRepo r : dids.values()) {
            RegisteredRepo known = byRepoDid.get(r.repoDid());
            if (known == null || !known.repo().equals(r.repo())) {
                if (known != null) forget(r.repoDid());
                remember(r);
            }
        }
        repos.retainAll(keys);
        for (String d : new java.util.ArrayList<>(byRepoDid.keySet())) if (!dids.containsKey(d)) forget(d);
        tell(before);
    }

    private void move(RegisteredRepo existing, RepoRef to, String why) {
        if (store.updateRepoDid(to)) {
            forget(to.repoDid());
            remember(new RegisteredRepo(to.key(), existing.source(), existing.since(), to.repoDid()));
            log.info("repository {} is now {} (from {})", to.repoDid(), to.key(), why);
        }
    }

    private void remember(RegisteredRepo r) {
        byRepoDid.put(r.repoDid(), r);
        repoDidByKey.put(r.repo(), r.repoDid());
    }

    private RegisteredRepo forget(String repoDid) {
        RegisteredRepo was = byRepoDid.remove(repoDid);
        if (was != null) repoDidByKey.remove(was.repo(), repoDid);
        return was;
    }

    private static Optional<String> invalid(String knot, String ownerDid, String rkeyOrName, String repoDid, String source) {
        if (source == null) return Optional.of("no source");
        if (knot == null || knot.isBlank() || knot.contains("/")) return Optional.of("knot is not a host: " + knot);
        if (ownerDid == null) return Optional.of("no owner DID");
        if (rkeyOrName == null) return Optional.of("no record key");
        if (repoDid == null) return Optional.of("no repo DID");
        return AtSyntax.did(repoDid)
                .or(() -> AtSyntax.did(ownerDid))
                .or(() -> AtSyntax.recordKey(rkeyOrName));
    }

    /**
     * Whether triggers for this repository are accepted: by its repo DID when it has one, else by
     * {@link #isRegistered(RepoKey) its key}.
     */
    public boolean isRegistered(RepoRef ref) {
        return ref.hasRepoDid() ? byRepoDid.containsKey(ref.repoDid()) : isRegistered(ref.key());
    }

    /** Whether {@link #byName} finds the repository. */
    public boolean isRegistered(RepoKey repo) {
        return byName(repo.knot(), repo.did(), repo.name()).isPresent();
    }

    /** The registered repository with this repo DID. */
    public Optional<RepoRef> byRepoDid(String repoDid) {
        return repoDid == null ? Optional.empty() : Optional.ofNullable(byRepoDid.get(repoDid)).map(RegisteredRepo::ref);
    }

    /**
     * The registration a (knot, owner, name) names, as pre-v1.14 refUpdates name repositories: a
     * repo-DID registration with that key (its repo DID carried), else a registration by that key,
     * else, on a wildcard knot, the key itself (no repo DID).
     */
    public Optional<RepoRef> byName(String knot, String ownerDid, String name) {
        if (knot == null || ownerDid == null || name == null) return Optional.empty();
        RepoKey key = new RepoKey(knot, ownerDid, name);
        String repoDid = repoDidByKey.get(key);
        RegisteredRepo r = repoDid == null ? null : byRepoDid.get(repoDid);
        if (r != null) return Optional.of(r.ref());
        if (repos.contains(key) || wildcardKnots.contains(knot)) return Optional.of(new RepoRef(knot, ownerDid, name));
        return Optional.empty();
    }

    /**
     * Whether {@code actorDid} may push to (so manage) the repository: its registration's owner, or a
     * collaborator by a record (naming the repo DID or the repo record's at-uri) or by its knot.
     */
    public boolean hasPushRights(String actorDid, String repoDid) {
        RegisteredRepo r = repoDid == null ? null : byRepoDid.get(repoDid);
        if (r == null || actorDid == null) return false;
        return r.repo().did().equals(actorDid) || store.isCollaborator(repoDid, actorDid)
                || store.isCollaborator("at://" + r.repo().did() + "/sh.tangled.repo/" + r.repo().name(), actorDid);
    }

    /**
     * Applies a knot's {@code sh.tangled.repo.collaboratorUpdate}: {@code op} {@code add} or {@code
     * remove} of {@code subject} on {@code repoDid}. Only the repository's own knot is heard (spec
     * tangled-ci 2.1); anything else is logged and ignored.
     *
     * @return whether it was applied
     */
    public boolean collaboratorUpdate(String knotHost, String op, String subject, String repoDid) {
        RegisteredRepo r = repoDid == null ? null : byRepoDid.get(repoDid);
        String why = r == null ? "repo " + repoDid + " is not registered"
                : !r.repo().knot().equals(knotHost) ? "it came from " + knotHost + ", not the repo's knot " + r.repo().knot()
                : subject == null || AtSyntax.did(subject).isPresent() ? "subject is not a DID: " + subject
                : !"add".equals(op) && !"remove".equals(op) ? "unknown op " + op
                : null;
        if (why != null) {
            log.warn("collaboratorUpdate ({} {} on {}) ignored: {}", op, subject, repoDid, why);
            return false;
        }
        if (op.equals("add")) {
            if (store.addKnotCollaborator(new KnotCollaborator(repoDid, subject, knotHost, clock.instant()))) {
                log.info("collaborator {} added to {} by its knot {}", subject, repoDid, knotHost);
            }
        } else if (store.removeKnotCollaborator(repoDid, subject)) {
            log.info("collaborator {} removed from {} by its knot {}", subject, repoDid, knotHost);
        }
        return true;
    }

    /** Every knot that some registration needs. */
    public Set<String> knots() {
        Set<String> out = new LinkedHashSet<>(wildcardKnots);
        for (RepoKey r : repos) out.add(r.knot());
        for (RegisteredRepo r : byRepoDid.values()) out.add(r.repo().knot());
        return out;
    }

    /** Every stored registration, either kind ({@link RegisteredRepo#repoDid()} empty for a (knot, owner, name) one). */
    public List<RegisteredRepo> registrations() {
        return store.repos();
    }

    /** Tells the listeners which knots the change since {@code before} added and removed. */
    private void tell(Set<String> before) {
        Set<String> after = knots();
        for (String k : after) if (!before.contains(k)) fire(k, true);
        for (String k : before) if (!after.contains(k)) fire(k, false);
    }

    private void fire(String knot, boolean added) {
        for (KnotListener l : listeners) {
            try {
                if (added) l.knotAdded(knot);
                else l.knotRemoved(knot);
            } catch (RuntimeException e) {
                log.error("knot listener failed for {}: {}", knot, e.toString());
            }
        }
    }
}
