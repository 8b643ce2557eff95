package dev.weft.store;

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
    /** Registers a repository; false when it already was (its source and time are kept). */
    boolean addRepo(RepoKey repo, String source, Instant since);

    /** Unregisters a repository; whether it was registered. */
    boolean removeRepo(RepoKey repo);

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

    /** The registration a {@code sh.tangled.repo} record (did, rkey) holds, if any. */
    Optional<RepoKey> repoRecord(String did, String rkey);

    void putRepoRecord(String rkey, RepoKey repo);

    void removeRepoRecord(String did, String rkey);

    /** Whether some repo record still holds this registration. */
    boolean repoRecordHolds(RepoKey repo);

    /** The record keys of {@code did}'s repo records, each with the registration it holds. */
    Map<String, RepoKey> repoRecordsOf(String did);

    void putCollaborator(Collaborator c);

    boolean removeCollaborator(String did, String rkey);

    /** Forgets every collaborator record authored by {@code did}. */
    void removeCollaboratorsBy(String did);

    /** Whether {@code subject} collaborates on the repo record {@code repoUri}. */
    boolean isCollaborator(String repoUri, String subject);

    List<Collaborator> collaborators();
}
