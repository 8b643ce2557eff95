package dev.weft.runs;

import dev.weft.model.RepoRef;

/**
 * The keys that make one push (or one pull-request event) one pipeline, whichever way it arrives:
 * a legacy knot's {@code sh.tangled.pipeline} record, an upgraded knot's refUpdate, or both from a
 * transitional knot, across replays and restarts (spec tangled-ci 2.2: de-duplicate on
 * (repoDid, ref, newSha)). The store refuses a second pipeline with the same claim.
 */
public final class Claims {
    private Claims() {
    }

    /** The repository part: its DID when known, else (knot, owner, name). */
    static String repo(RepoRef repo) {
        return repo.hasRepoDid() ? repo.repoDid() : repo.key().toString();
    }

    /**
     * A push: the spec names (repoDid, ref, newSha); the old sha is added so that a ref moved back
     * to a commit it held before (A to B to A) is a new push, as it is to a knot.
     */
    public static String push(RepoRef repo, String ref, String oldSha, String newSha) {
        return "push " + repo(repo) + " " + ref + " " + oldSha + " " + newSha;
    }

    /** A pull-request event: one pipeline per (pull, action, commit). */
    public static String pull(RepoRef repo, String pull, String action, String sourceSha) {
        return "pull " + repo(repo) + " " + pull + " " + action + " " + sourceSha;
    }

    /** A manual run is never a replay: its claim is its own pipeline. */
    public static String manual(String pipelineUri) {
        return "manual " + pipelineUri;
    }
}
