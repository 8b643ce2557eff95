package dev.weft.store;

import dev.weft.model.RepoRef;
import dev.weft.model.RepoRef.RepoKey;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Who and what this spindle serves: registered repositories, knot and network cursors, the revs of
 * network records already applied, members, repo records and collaborators.
 */
public interface RegistryStore {
    /**
     * Registers a repository by (knot, owner, name); false when it already was (its source and time
     * are kept). Repo-DID registrations are apart: one with the same (knot, owner, name) neither
     * blocks nor is this.
     */
    boolean addRepo(RepoKey repo, String source, Instant since);

    /** Unregisters a (knot, owner, name) registration (never a repo-DID one); whether it was registered. */
    boolean removeRepo(RepoKey repo);

    /**
     * Registers a repository by its repo DID ({@code repo.repoDid()}, which must be set); false when
     * that repo DID already was (the existing row, source and time included, is kept: see
     * {@link #updateRepoDid}).
     */
    boolean addRepoDid(RepoRef repo, String source, Instant since);

    /** Moves a repo-DID registration to {@code repo}'s knot, owner and name; false when absent or unchanged. */
    boolean updateRepoDid(RepoRef repo);

    /** Unregisters a repo DID, and forgets what its knot said about its collaborators; whether it was registered. */
    boolean removeRepoDid(String repoDid);

    Optional<RegisteredRepo> repoByDid(String repoDid);

    /** Every registration, either kind, by knot, owner and name. */
    List<RegisteredRepo> repos();

    /** A knot's checkpoint (unix nanos), if one was saved. */
    OptionalLong knotCursor(String knot);

    /**
     * Saves a knot checkpoint; it never moves back. It may be committed after this returns (with
     * later writes, and at the latest when the store closes): a checkpoint is advisory, since the
     * trigger it follows was committed first. {@link #knotCursor} sees it at once.
     */
    void saveKnotCursor(String knot, long unixNanos);

    /** A named network cursor (the Jetstream's {@code time_us}), if one was saved. */
    OptionalLong networkCursor(String name);

    /** Saves a network cursor; it never moves back (a replay re-sends older frames). */
    void saveNetworkCursor(String name, long timeUs);

    /** The rev of the last commit applied to a record (a delete included), if any. */
    Optional<String> recordRev(String did, String collection, String rkey);

    void saveRecordRev(String did, String collection, String rkey, String rev);

    /** Adds or replaces the member named by the owner's record {@code rkey}; the time is kept when the subject is. */
    void putMember(String rkey, String subject, String source, Instant since);

    /** Removes the member record {@code rkey}; returns what it held. */
    Optional<Member> removeMember(String rkey);

    /** Every member record, by subject then record. */
    List<Member> members();

    boolean isMember(String did);

    /**
     * The registration a {@code sh.tangled.repo} record (did, rkey) holds, if any: by repo DID when
     * the result {@link RepoRef#hasRepoDid() has one}, else by (knot, did, name).
     */
    Optional<RepoRef> repoRecord(String did, String rkey);

    /** Records that the author's ({@code repo.did()}) record {@code rkey} holds {@code repo}. */
    void putRepoRecord(String rkey, RepoRef repo);

    void removeRepoRecord(String did, String rkey);

    /** Whether some repo record still holds this registration: its repo DID if it has one, else its key. */
    boolean repoRecordHolds(RepoRef repo);

    /** The record keys of {@code did}'s repo records, each with the registration it holds. */
    Map<String, RepoRef> repoRecordsOf(String did);

    void putCollaborator(Collaborator c);

    boolean removeCollaborator(String did, String rkey);

    /** Forgets every collaborator record authored by {@code did}. */
    void removeCollaboratorsBy(String did);

    /**
     * Whether {@code subject} collaborates on {@code repo}: a repo record's at-uri (named by a
     * collaborator record) or a repo DID (named by a collaborator record or by the repo's knot).
     */
    boolean isCollaborator(String repo, String subject);

    List<Collaborator> collaborators();

    /** Adds a collaborator the repo's knot announced; false when it already was one (its time is kept). */
    boolean addKnotCollaborator(KnotCollaborator c);

    /** Removes a collaborator the repo's knot announced; whether it was one. */
    boolean removeKnotCollaborator(String repoDid, String subject);

    /** Every collaborator knots announced, by repo DID then subject. */
    List<KnotCollaborator> knotCollaborators();
}
