package dev.weft.knot;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A push, as an upgraded knot announces it with {@code sh.tangled.git.refUpdate} (spec tangled-ci
 * 2.3), in whichever of the three shapes it came.
 *
 * @param knot         the knot host the frame came from
 * @param rkey         the event's record key (a TID)
 * @param shape        which lexicon version sent it
 * @param repoDid      the repository's DID; empty for {@link Shape#PRE_V1_14}, which has none
 * @param ownerDid     the owner's DID when the knot said it, else empty
 * @param repoName     the repository's name ({@link Shape#TRANSITIONAL}, {@link Shape#PRE_V1_14}), else empty
 * @param changedFiles the paths changed by the push; empty when the knot did not send the field
 *                     (then a {@code paths} constraint cannot match)
 */
public record RefUpdate(String knot, String rkey, Shape shape, String ref, String committerDid, String repoDid,
                        String ownerDid, String repoName, String oldSha, String newSha,
                        Optional<List<String>> changedFiles, List<String> pushOptions, Instant receivedAt) {
    public RefUpdate {
        Objects.requireNonNull(knot, "knot");
        Objects.requireNonNull(rkey, "rkey");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(ref, "ref");
        Objects.requireNonNull(committerDid, "committerDid");
        repoDid = repoDid == null ? "" : repoDid;
        ownerDid = ownerDid == null ? "" : ownerDid;
        repoName = repoName == null ? "" : repoName;
        Objects.requireNonNull(oldSha, "oldSha");
        Objects.requireNonNull(newSha, "newSha");
        changedFiles = changedFiles.map(List::copyOf);
        pushOptions = List.copyOf(pushOptions);
        Objects.requireNonNull(receivedAt, "receivedAt");
    }

    /** The lexicon versions still on the wire. */
    public enum Shape {
        /** Keyed on {@code repo}, the repository's DID (knots from v1.14). */
        CURRENT,
        /** {@code repoDid} (the repository's DID), {@code repoName}, {@code ownerDid}. */
        TRANSITIONAL,
        /** Before v1.14: {@code repoDid} is the <em>owner's</em> DID, with {@code repoName}; no repository DID. */
        PRE_V1_14
    }

    /** The pusher asked for no CI ({@code git push -o skip-ci} or {@code ci-skip}). */
    public boolean skipsCi() {
        return pushOptions.contains("skip-ci") || pushOptions.contains("ci-skip");
    }

    /** A ref was deleted: nothing to build at the all-zeros commit. */
    public boolean deletesRef() {
        return newSha.chars().allMatch(c -> c == '0');
    }
}
