package dev.weft.builds;

import dev.weft.model.RepoRef;

import java.util.Optional;

/**
 * What the builder needs to know of the registrations: which repository a push names, in each
 * refUpdate shape. The repository registry implements it.
 */
public interface RepoDirectory {
    /** The registered repository with this DID. */
    Optional<RepoRef> byRepoDid(String repoDid);

    /** A repository registered by (knot, owner, name): what a pre-v1.14 refUpdate names. */
    Optional<RepoRef> byName(String knot, String ownerDid, String name);

    /** A knot said who owns a repository registered statically by its DID. */
    void learnOwner(String repoDid, String ownerDid);
}
