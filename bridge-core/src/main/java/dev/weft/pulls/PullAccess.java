package dev.weft.pulls;

/**
 * What {@link PullRecords} asks the repo registry: pull records come from anyone on the network
 * (the Jetstream does not filter them by DID), so these two answers decide whether one may run
 * anything here. Implemented by the registry; must be cheap (no network), as it is asked before
 * any fetch.
 */
public interface PullAccess {
    /** Whether this spindle serves the repo with this DID. */
    boolean isRegistered(String repoDid);

    /** Whether {@code actorDid} may push to the repo (its owner or a collaborator). */
    boolean hasPushRights(String actorDid, String repoDid);
}
