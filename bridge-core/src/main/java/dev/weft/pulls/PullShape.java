package dev.weft.pulls;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.regex.Pattern;

/**
 * The parts of an {@code sh.tangled.repo.pull} record a trigger needs, read from either shape on
 * the wire: the newest, where {@code target.repo}/{@code source.repo} are repo DIDs, and the earlier
 * one, where they are AT-URIs of {@code sh.tangled.repo} records next to
 * {@code target.repoDid}/{@code source.repoDid} (spec tangled-ci 2.4, B.5).
 *
 * @param fork whether the source is another repo than the target (such PRs never run by themselves)
 */
record PullShape(String targetRepoDid, String targetBranch, String sourceBranch, boolean fork, String lastBlobCid)
        implements ParsedPull {
    static final Pattern DID = Pattern.compile("did:[a-z]+:[A-Za-z0-9._:%\\-]{1,2048}");
    /** CIDs are multibase text (base32 {@code b...}, base58 {@code Qm...}): nothing to escape, nothing to inject. */
    static final Pattern CID = Pattern.compile("[A-Za-z0-9]{8,256}");

    /** The shape of {@code record}, or why there is none to trigger on. */
    static ParsedPull parse(JsonNode record) {
        if (record == null || !record.isObject()) return new ParsedPull.Dropped(Outcome.MALFORMED, "the record is not an object");
        JsonNode target = record.path("target");
        if (!target.isObject()) return new ParsedPull.Dropped(Outcome.NO_TARGET, "no target (a legacy pull record)");
        String targetDid = repoDid(target);
        if (targetDid == null) return new ParsedPull.Dropped(Outcome.MALFORMED, "target names no repo DID");
        String targetBranch = text(target, "branch");
        if (targetBranch.isEmpty()) return new ParsedPull.Dropped(Outcome.MALFORMED, "target has no branch");
        JsonNode source = record.path("source");
        if (!source.isObject()) return new ParsedPull.Dropped(Outcome.PATCH_BASED, "no source (a patch-based pull request)");
        String sourceBranch = text(source, "branch");
        if (sourceBranch.isEmpty()) return new ParsedPull.Dropped(Outcome.MALFORMED, "source has no branch");
        boolean fork = isFork(source, target, targetDid);
        JsonNode rounds = record.path("rounds");
        if (!rounds.isArray() || rounds.isEmpty()) return new ParsedPull.Dropped(Outcome.MALFORMED, "no rounds");
        String cid = blobCid(rounds.get(rounds.size() - 1).path("patchBlob"));
        if (cid == null) return new ParsedPull.Dropped(Outcome.MALFORMED, "the last round has no usable patchBlob");
        return new PullShape(targetDid, targetBranch, sourceBranch, fork, cid);
    }

    /** {@code repoDid} (earlier shape) before {@code repo} (newest shape, where it is the DID). */
    private static String repoDid(JsonNode side) {
        String explicit = text(side, "repoDid");
        if (DID.matcher(explicit).matches()) return explicit;
        String repo = text(side, "repo");
        return DID.matcher(repo).matches() ? repo : null;
    }

    /**
     * A source without {@code repo} is a branch of the target. With one, it is the same repo only
     * when it names the target's DID, or (earlier shape, no DID beside it) the target's record URI.
     */
    private static boolean isFork(JsonNode source, JsonNode target, String targetDid) {
        boolean named = !text(source, "repo").isEmpty() || !text(source, "repoDid").isEmpty();
        if (!named) return false;
        String sourceDid = repoDid(source);
        if (sourceDid != null) return !sourceDid.equals(targetDid);
        return !text(source, "repo").equals(text(target, "repo"));
    }

    /** {@code {"$type":"blob","ref":{"$link":cid}}}, or the legacy {@code {"cid":cid}} blob form. */
    private static String blobCid(JsonNode blob) {
        String cid = blob.path("ref").path("$link").asText("");
        if (cid.isEmpty()) cid = blob.path("cid").asText("");
        return CID.matcher(cid).matches() ? cid : null;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.path(field);
        return v.isTextual() ? v.asText() : "";
    }
}
