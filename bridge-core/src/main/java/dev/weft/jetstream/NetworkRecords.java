package dev.weft.jetstream;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.discovery.RepoRegistry;
import dev.weft.model.AtSyntax;
import dev.weft.model.RepoRef;
import dev.weft.model.RepoRef.RepoKey;
import dev.weft.store.Collaborator;
import dev.weft.store.Member;
import dev.weft.store.RegistryStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Applies the Jetstream's Tangled records to weft's state (spec section 3), idempotently:
 * <ul>
 *   <li>{@code sh.tangled.spindle.member} authored by the owner with {@code instance} equal to our
 *       hostname adds its {@code subject} as a member; a delete (or an update to another instance)
 *       removes it. A DID that is no longer a member loses the repositories and collaborator records
 *       it brought.</li>
 *   <li>{@code sh.tangled.repo} of the owner or a member with {@code spindle} equal to our hostname
 *       registers its {@code repoDid} when it has one (spec tangled-ci 2.1: it must parse as a DID,
 *       and a repo DID registered to another owner is refused), else (knot, did, name); an update
 *       that removes or changes {@code spindle}, or a delete, unregisters it; a changed knot, name or
 *       repo DID moves it. A registration is released only when no other record holds it and it is
 *       not in the static configuration; the registry stops a knot consumer nobody needs.</li>
 *   <li>{@code sh.tangled.repo.collaborator} of the owner or a member, naming one of the author's
 *       own repo records (at-uri) or a repo DID registered to the author, lets its {@code subject}
 *       manage that repository.</li>
 * </ul>
 * Everything else, and every record from a DID that is neither the owner nor a member, is ignored.
 *
 * <p>Idempotency: each record's last applied commit {@code rev} is stored (deletes too), and a
 * commit whose rev is not newer is skipped as a replay; without a rev the record's state is applied
 * again, which changes nothing. Called from one thread (the Jetstream client's); not thread-safe.
 */
public final class NetworkRecords implements JetstreamSubscription {
    private static final Logger log = LoggerFactory.getLogger(NetworkRecords.class);
    public static final String MEMBER = "sh.tangled.spindle.member";
    public static final String REPO = "sh.tangled.repo";
    public static final String COLLABORATOR = "sh.tangled.repo.collaborator";
    public static final Set<String> COLLECTIONS = Set.of(MEMBER, REPO, COLLABORATOR);
    private static final Pattern KNOT = Pattern.compile("[A-Za-z0-9.\\-\\[\\]:]+");

    private final RegistryStore store;
    private final RepoRegistry registry;
    private final String hostname;
    private final String owner;
    private final Predicate<RepoKey> isStatic;
    private final Clock clock;

    /** What applying a commit did. */
    public enum Outcome {
        /** State changed (or was confirmed) from this record. */
        APPLIED,
        /** Applied, and the set of trusted DIDs (owner plus members) changed: resubscribe. */
        MEMBERS_CHANGED,
        /** Not a record weft follows, or from a DID it does not trust. */
        IGNORED,
        /** A commit not newer than one already applied to the record. */
        REPLAYED
    }

    /**
     * @param isStatic registrations from the static configuration, which the Jetstream never releases
     */
    public NetworkRecords(RegistryStore store, RepoRegistry registry, String hostname, String ownerDid,
                          Predicate<RepoKey> isStatic, Clock clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.hostname = Objects.requireNonNull(hostname, "hostname");
        this.owner = Objects.requireNonNull(ownerDid, "ownerDid");
        this.isStatic = Objects.requireNonNull(isStatic, "isStatic");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public String name() {
        return JetstreamClient.CURSOR;
    }

    @Override
    public Set<String> collections() {
        return COLLECTIONS;
    }

    @Override
    public Set<String> dids() {
        return trustedDids();
    }

    /** The DIDs whose records count: the owner and every member, sorted. */
    public Set<String> trustedDids() {
        Set<String> out = new TreeSet<>();
        out.add(owner);
        for (Member m : store.members()) out.add(m.subject());
        return out;
    }

    /** Applies one commit. Store failures propagate (the frame is then not checkpointed). */
    @Override
    public Outcome apply(JetstreamFrame.Commit c) {
        if (!COLLECTIONS.contains(c.collection())) return Outcome.IGNORED;
        boolean trusted = c.collection().equals(MEMBER) ? c.did().equals(owner)
                : c.did().equals(owner) || store.isMember(c.did());
        if (!trusted) {
            log.debug("ignored {} from {}: not {}", c.uri(), c.did(), c.collection().equals(MEMBER) ? "the owner" : "the owner or a member");
            return Outcome.IGNORED;
        }
        if (!c.rev().isEmpty()) {
            Optional<String> last = store.recordRev(c.did(), c.collection(), c.rkey());
            if (last.isPresent() && last.get().length() == c.rev().length() && c.rev().compareTo(last.get()) <= 0) {
                log.debug("replayed commit {} of {} skipped (applied {})", c.rev(), c.uri(), last.get());
                return Outcome.REPLAYED;
            }
        }
        Outcome out = switch (c.collection()) {
            case MEMBER -> member(c);
            case REPO -> repo(c);
            default -> collaborator(c);
        };
        if (!c.rev().isEmpty()) store.saveRecordRev(c.did(), c.collection(), c.rkey(), c.rev());
        return out;
    }

    // ---------------------------------------------------------------- members

    private Outcome member(JetstreamFrame.Commit c) {
        String subject = text(c.record(), "subject");
        boolean ours = c.operation() != JetstreamFrame.Operation.DELETE
                && hostname.equals(text(c.record(), "instance")) && subject.startsWith("did:");
        if (ours) {
            boolean wasMember = subject.equals(owner) || store.isMember(subject);
            Optional<Member> before = store.members().stream().filter(m -> m.rkey().equals(c.rkey())).findFirst();
            store.putMember(c.rkey(), subject, c.uri(), clock.instant());
            boolean changed = !wasMember;
            if (before.isPresent() && !before.get().subject().equals(subject)) changed |= left(before.get().subject());
            if (!wasMember) log.info("spindle member added: {} (from {})", subject, c.uri());
            return changed ? Outcome.MEMBERS_CHANGED : Outcome.APPLIED;
        }
        Optional<Member> removed = store.removeMember(c.rkey());
        if (removed.isEmpty()) return Outcome.APPLIED;
        return left(removed.get().subject()) ? Outcome.MEMBERS_CHANGED : Outcome.APPLIED;
    }

    /** After a member record went away: if its subject is no longer a member, drop what it brought. */
    private boolean left(String subject) {
        if (subject.equals(owner) || store.isMember(subject)) return false;
        log.info("spindle member removed: {}", subject);
        for (Map.Entry<String, RepoRef> r : store.repoRecordsOf(subject).entrySet()) {
            store.removeRepoRecord(subject, r.getKey());
            release(r.getValue());
        }
        store.removeCollaboratorsBy(subject);
        return true;
    }

    // ---------------------------------------------------------------- repos

    private Outcome repo(JetstreamFrame.Commit c) {
        Optional<RepoRef> target = Optional.empty();
        if (c.operation() != JetstreamFrame.Operation.DELETE && hostname.equals(text(c.record(), "spindle"))) {
            target = target(c);
        }
        Optional<RepoRef> old = store.repoRecord(c.did(), c.rkey());
        if (target.isPresent() && !register(target.get(), c.uri())) target = Optional.empty();
        if (target.isPresent()) {
            store.putRepoRecord(c.rkey(), target.get());
        } else if (old.isPresent()) {
            store.removeRepoRecord(c.did(), c.rkey());
        }
        if (old.isPresent() && !old.equals(target)) {
            release(old.get());
            if (target.isPresent()) log.info("repository moved: {} -> {} (from {})", describe(old.get()), describe(target.get()), c.uri());
        }
        return Outcome.APPLIED;
    }

    /**
     * What a record naming this spindle registers: with a {@code repoDid} (upgraded knots), that repo
     * DID, named by the record key as triggers name it (spec tangled-ci 2.3 step 5); without one,
     * (knot, author, name) as before.
     */
    private Optional<RepoRef> target(JetstreamFrame.Commit c) {
        String knot = text(c.record(), "knot");
        String repoDid = text(c.record(), "repoDid");
        if (!repoDid.isEmpty()) {
            Optional<String> bad = AtSyntax.did(repoDid);
            if (bad.isEmpty() && KNOT.matcher(knot).matches()) return Optional.of(new RepoRef(knot, c.did(), c.rkey(), "", repoDid));
            log.warn("repo record {} names this spindle but has no usable knot/repoDid ({}: {}); ignored", c.uri(), knot,
                    bad.orElse("knot is not a host"));
            return Optional.empty();
        }
        String name = text(c.record(), "name");
        if (KNOT.matcher(knot).matches() && !name.isEmpty() && !name.contains("/")) {
            return Optional.of(new RepoRef(knot, c.did(), name));
        }
        log.warn("repo record {} names this spindle but has no usable knot/name ({}/{}); ignored", c.uri(), knot, name);
        return Optional.empty();
    }

    /** Registers what a record names; whether the record now holds it (a repo DID another owner holds is refused). */
    private boolean register(RepoRef repo, String source) {
        if (!repo.hasRepoDid()) {
            registry.register(repo.key(), source);
            return true;
        }
        registry.registerRepoDid(repo.knot(), repo.did(), repo.name(), repo.repoDid(), source);
        return ownedBy(repo.repoDid(), repo.did());
    }

    private boolean ownedBy(String repoDid, String did) {
        return registry.byRepoDid(repoDid).filter(r -> r.did().equals(did)).isPresent();
    }

    private void release(RepoRef repo) {
        if (store.repoRecordHolds(repo)) return;
        if (repo.hasRepoDid()) {
            // Another owner's registration (a static entry taken over since) is not this record's to end.
            if (!ownedBy(repo.repoDid(), repo.did())) return;
            if (store.repoByDid(repo.repoDid()).filter(r -> r.source().equals(RepoRegistry.STATIC)).isPresent()) {
                log.info("repository {} stays registered: it is in the static configuration", repo.repoDid());
                return;
            }
            registry.unregisterRepoDid(repo.repoDid());
            return;
        }
        if (isStatic.test(repo.key())) {
            log.info("repository {} stays registered: it is in the static configuration", repo.key());
            return;
        }
        registry.unregister(repo.key());
    }

    private static String describe(RepoRef repo) {
        return repo.hasRepoDid() ? repo.key() + " (repo " + repo.repoDid() + ")" : repo.key().toString();
    }

    // ---------------------------------------------------------------- collaborators

    private Outcome collaborator(JetstreamFrame.Commit c) {
        if (c.operation() != JetstreamFrame.Operation.DELETE) {
            String subject = text(c.record(), "subject");
            String repo = text(c.record(), "repo");
            boolean ownRepo = repo.startsWith("at://" + c.did() + "/" + REPO + "/")
                    || (repo.startsWith("did:") && ownedBy(repo, c.did()));
            if (subject.startsWith("did:") && ownRepo) {
                store.putCollaborator(new Collaborator(c.did(), c.rkey(), subject, repo, clock.instant()));
                return Outcome.APPLIED;
            }
            log.debug("collaborator record {} ignored: subject {} / repo {} (must be the author's own repo record or registered repo DID)",
                    c.uri(), subject, repo);
        }
        store.removeCollaborator(c.did(), c.rkey());
        return Outcome.APPLIED;
    }

    private static String text(JsonNode record, String field) {
        JsonNode v = record.path(field);
        return v.isTextual() ? v.asText() : "";
    }
}
