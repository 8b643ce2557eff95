package dev.weft.pulls;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Optional;

/**
 * The PR author's PDS, as far as pull requests need it: the pull record a status change points at,
 * and the head commit of a round's patch. Behind an interface so {@link PullRecords} can be tested
 * without a network; {@link PdsPatchSource} is the real one. Implementations bound every call in
 * time and bytes, because the PDS is chosen by the author.
 */
public interface PatchSource {
    /**
     * The {@code value} of {@code at://<authorDid>/sh.tangled.repo.pull/<rkey>}
     * ({@code com.atproto.repo.getRecord}).
     *
     * @return empty when the PDS says there is no such record
     */
    Optional<JsonNode> pullRecord(String authorDid, String rkey) throws PatchException;

    /**
     * The SHA of the last patch in the gzipped {@code git format-patch} blob {@code cid} of
     * {@code authorDid} ({@code com.atproto.sync.getBlob}).
     *
     * @return 40 lowercase hex
     */
    String lastPatchSha(String authorDid, String blobCid) throws PatchException;
}
