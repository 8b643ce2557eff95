package dev.weft.pulls;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("PullRecords: which pull and pull-status commits become PR triggers (spec tangled-ci 2.4)")
class PullRecordsTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String REPO = "did:plc:repoaaaaaaaaaaaaaaaaaaaa";
    static final String OTHER_REPO = "did:plc:forkaaaaaaaaaaaaaaaaaaaa";
    static final String UNSERVED = "did:plc:unservedaaaaaaaaaaaaaaa";
    static final String OWNER = "did:plc:owneraaaaaaaaaaaaaaaaaaa";
    static final String COLLAB = "did:plc:collabaaaaaaaaaaaaaaaaaa";
    static final String STRANGER = "did:plc:strangeraaaaaaaaaaaaaaa";
    static final String OLD_SHA = "1111111111111111111111111111111111111111";
    static final String NEW_SHA = "2222222222222222222222222222222222222222";
    static final String RKEY = "3lbxyzpull22a";
    static final String REPO_URI = "at://" + OWNER + "/sh.tangled.repo/3lbrepo";
    static final String FORK_URI = "at://" + STRANGER + "/sh.tangled.repo/3lbfork";

    /** The registry's side: {@link #REPO} is served, its owner and a collaborator may push. */
    static final PullAccess ACCESS = new PullAccess() {
        @Override
        public boolean isRegistered(String repoDid) {
            return repoDid.equals(REPO) || repoDid.equals(OTHER_REPO);
        }

        @Override
        public boolean hasPushRights(String actorDid, String repoDid) {
            return repoDid.equals(REPO) && Set.of(OWNER, COLLAB).contains(actorDid);
        }
    };

    /** A PDS in memory: pull records by {@code did/rkey}, and per blob CID a SHA or a failure. */
    static final class FakePds implements PatchSource {
        final Map<String, JsonNode> pulls = new HashMap<>();
        final Map<String, Object> blobs = new HashMap<>();
        final List<String> calls = new ArrayList<>();

        FakePds() {
            blobs.put("bafyoldround1", OLD_SHA);
            blobs.put("bafynewround2", NEW_SHA);
            blobs.put("bafynotgzip00", new PatchException(PatchException.Reason.NOT_GZIP, "not gzip"));
            blobs.put("bafynotpatch0", new PatchException(PatchException.Reason.NOT_A_PATCH, "no From line"));
            blobs.put("bafybomb00000", new PatchException(PatchException.Reason.TOO_LARGE, "inflates too far"));
            blobs.put("bafystalls000", new PatchException(PatchException.Reason.UNREACHABLE, "timed out"));
            blobs.put("bafyprivate00", new PatchException(PatchException.Reason.REFUSED_ADDRESS, "10.0.0.1: private"));
            blobs.put("bafybuggy0000", new IllegalStateException("a bug in the source"));
        }

        @Override
        public Optional<JsonNode> pullRecord(String authorDid, String rkey) throws PatchException {
            calls.add("record " + authorDid + "/" + rkey);
            if (rkey.equals("unreachable")) throw new PatchException(PatchException.Reason.UNREACHABLE, "down");
            return Optional.ofNullable(pulls.get(authorDid + "/" + rkey));
        }

        @Override
        public String lastPatchSha(String authorDid, String blobCid) throws PatchException {
            calls.add("blob " + authorDid + "/" + blobCid);
            Object b = blobs.get(blobCid);
            if (b instanceof PatchException e) throw e;
            if (b instanceof RuntimeException e) throw e;
            if (b == null) throw new PatchException(PatchException.Reason.UNREACHABLE, "no such blob");
            return (String) b;
        }
    }

    static JsonNode json(String s) {
        try {
            return JSON.readTree(s);
        } catch (Exception e) {
            throw new IllegalArgumentException(s, e);
        }
    }

    static String blob(String cid) {
        return "{\"$type\":\"blob\",\"ref\":{\"$link\":\"" + cid + "\"},\"mimeType\":\"application/gzip\",\"size\":123}";
    }

    static String rounds(String... cids) {
        StringBuilder b = new StringBuilder("[");
        for (String c : cids) {
            if (b.length() > 1) b.append(',');
            b.append("{\"createdAt\":\"2026-03-01T10:00:00Z\",\"patchBlob\":").append(blob(c)).append('}');
        }
        return b.append(']').toString();
    }

    /** The newest shape: repo DIDs in {@code target.repo} and {@code source.repo}. */
    static JsonNode pull(String target, String source, String lastCid) {
        return json("{\"$type\":\"sh.tangled.repo.pull\",\"title\":\"Fix it\",\"createdAt\":\"2026-03-01T10:00:00Z\""
                + (target == null ? "" : ",\"target\":" + target)
                + (source == null ? "" : ",\"source\":" + source)
                + ",\"rounds\":" + rounds("bafyoldround1", lastCid) + "}");
    }

    static JsonNode branchPull(String lastCid) {
        return pull("{\"repo\":\"" + REPO + "\",\"branch\":\"main\"}", "{\"branch\":\"feature\"}", lastCid);
    }

    static JsonNode status(String pullUri, String status) {
        return json("{\"$type\":\"sh.tangled.repo.pull.status\",\"pull\":\"" + pullUri + "\""
                + (status == null ? "" : ",\"status\":\"" + status + "\"") + ",\"createdAt\":\"2026-03-02T10:00:00Z\"}");
    }

    static String pullUri(String author, String rkey) {
        return "at://" + author + "/sh.tangled.repo.pull/" + rkey;
    }

    /** One commit and what must come of it: an outcome and, when triggered, the event. */
    record Case(String name, String actor, String collection, String operation, JsonNode record, boolean live,
                Outcome outcome, PullRequestEvent event) {
        @Override
        public String toString() {
            return name;
        }
    }

    static PullRequestEvent event(String author, String action) {
        return new PullRequestEvent(author, pullUri(author, RKEY), REPO, "main", "feature", NEW_SHA, action);
    }

    static Case pullCase(String name, String op, JsonNode record, Outcome outcome, PullRequestEvent event) {
        return new Case(name, COLLAB, PullRecords.PULL, op, record, true, outcome, event);
    }

    static Case statusCase(String name, String actor, String op, JsonNode record, Outcome outcome, PullRequestEvent event) {
        return new Case(name, actor, PullRecords.PULL_STATUS, op, record, true, outcome, event);
    }

    static Stream<Case> cases() {
        String target = "{\"repo\":\"" + REPO + "\",\"branch\":\"main\"}";
        String earlierTarget = "{\"repo\":\"" + REPO_URI + "\",\"repoDid\":\"" + REPO + "\",\"branch\":\"main\"}";
        String own = pullUri(COLLAB, RKEY);
        return Stream.of(
                // pull records: operations
                pullCase("create is opened, at the last patch of the last round", "create", branchPull("bafynewround2"),
                        Outcome.TRIGGERED, event(COLLAB, "opened")),
                pullCase("update is synchronize", "update", branchPull("bafynewround2"),
                        Outcome.TRIGGERED, event(COLLAB, "synchronize")),
                pullCase("delete does nothing", "delete", null, Outcome.IGNORED_OPERATION, null),
                new Case("a backfilled create does nothing", COLLAB, PullRecords.PULL, "create",
                        branchPull("bafynewround2"), false, Outcome.NOT_LIVE, null),
                new Case("another collection does nothing", COLLAB, "sh.tangled.repo", "create",
                        branchPull("bafynewround2"), true, Outcome.OTHER_COLLECTION, null),
                // shapes
                pullCase("earlier shape: AT-URIs beside repoDid", "create",
                        pull(earlierTarget, "{\"branch\":\"feature\",\"repo\":\"" + REPO_URI + "\",\"repoDid\":\"" + REPO + "\"}",
                                "bafynewround2"), Outcome.TRIGGERED, event(COLLAB, "opened")),
                pullCase("earlier shape: the source's AT-URI is the target's", "create",
                        pull(earlierTarget, "{\"branch\":\"feature\",\"repo\":\"" + REPO_URI + "\"}", "bafynewround2"),
                        Outcome.TRIGGERED, event(COLLAB, "opened")),
                pullCase("newest shape: source.repo is the target's DID", "create",
                        pull(target, "{\"branch\":\"feature\",\"repo\":\"" + REPO + "\"}", "bafynewround2"),
                        Outcome.TRIGGERED, event(COLLAB, "opened")),
                pullCase("fork (newest shape) never runs by itself", "create",
                        pull(target, "{\"branch\":\"feature\",\"repo\":\"" + OTHER_REPO + "\"}", "bafynewround2"),
                        Outcome.FORK, null),
                pullCase("fork (earlier shape, repoDid)", "create",
                        pull(earlierTarget, "{\"branch\":\"feature\",\"repo\":\"" + FORK_URI + "\",\"repoDid\":\"" + OTHER_REPO + "\"}",
                                "bafynewround2"), Outcome.FORK, null),
                pullCase("fork (earlier shape, AT-URI only)", "create",
                        pull(earlierTarget, "{\"branch\":\"feature\",\"repo\":\"" + FORK_URI + "\"}", "bafynewround2"),
                        Outcome.FORK, null),
                pullCase("no target: a legacy record", "create", pull(null, "{\"branch\":\"feature\"}", "bafynewround2"),
                        Outcome.NO_TARGET, null),
                pullCase("no source: a patch-based PR", "create", pull(target, null, "bafynewround2"),
                        Outcome.PATCH_BASED, null),
                pullCase("target AT-URI without a repo DID", "create",
                        pull("{\"repo\":\"" + REPO_URI + "\",\"branch\":\"main\"}", "{\"branch\":\"feature\"}", "bafynewround2"),
                        Outcome.MALFORMED, null),
                pullCase("target without a branch", "create",
                        pull("{\"repo\":\"" + REPO + "\"}", "{\"branch\":\"feature\"}", "bafynewround2"), Outcome.MALFORMED, null),
                pullCase("no rounds", "create", json("{\"target\":" + target + ",\"source\":{\"branch\":\"f\"},\"rounds\":[]}"),
                        Outcome.MALFORMED, null),
                pullCase("a blob CID that is not a CID", "create", branchPull("../../etc/passwd"), Outcome.MALFORMED, null),
                pullCase("not an object", "create", json("[1,2]"), Outcome.MALFORMED, null),
                // access
                pullCase("target repo not served here", "create",
                        pull("{\"repo\":\"" + UNSERVED + "\",\"branch\":\"main\"}", "{\"branch\":\"feature\"}", "bafynewround2"),
                        Outcome.UNREGISTERED, null),
                new Case("author without push rights", STRANGER, PullRecords.PULL, "create", branchPull("bafynewround2"), true,
                        Outcome.UNAUTHORISED, null),
                // the patch
                pullCase("blob not gzip", "create", branchPull("bafynotgzip00"), Outcome.NOT_GZIP, null),
                pullCase("blob not a patch", "create", branchPull("bafynotpatch0"), Outcome.NOT_A_PATCH, null),
                pullCase("blob inflates too far", "create", branchPull("bafybomb00000"), Outcome.TOO_LARGE, null),
                pullCase("PDS stalls", "create", branchPull("bafystalls000"), Outcome.FETCH_FAILED, null),
                pullCase("PDS on a private address", "create", branchPull("bafyprivate00"), Outcome.REFUSED_ADDRESS, null),
                pullCase("a source that throws is a failed fetch, not an escape", "create", branchPull("bafybuggy0000"),
                        Outcome.FETCH_FAILED, null),
                // status records
                statusCase("open by the author is reopened", COLLAB, "create", status(own, "sh.tangled.repo.pull.status.open"),
                        Outcome.TRIGGERED, event(COLLAB, "reopened")),
                statusCase("closed by the author", COLLAB, "create", status(own, "sh.tangled.repo.pull.status.closed"),
                        Outcome.TRIGGERED, event(COLLAB, "closed")),
                statusCase("merged by the owner, on the collaborator's PR", OWNER, "create",
                        status(own, "sh.tangled.repo.pull.status.merged"), Outcome.TRIGGERED, event(COLLAB, "merged")),
                statusCase("no status field: the lexicon's default, open", COLLAB, "create", status(own, null),
                        Outcome.TRIGGERED, event(COLLAB, "reopened")),
                statusCase("closed by a stranger", STRANGER, "create", status(own, "sh.tangled.repo.pull.status.closed"),
                        Outcome.UNAUTHORISED, null),
                statusCase("reopened by its author, who has no push rights", STRANGER, "create",
                        status(pullUri(STRANGER, RKEY), "sh.tangled.repo.pull.status.open"), Outcome.UNAUTHORISED, null),
                statusCase("a status update does nothing", COLLAB, "update", status(own, "sh.tangled.repo.pull.status.closed"),
                        Outcome.IGNORED_OPERATION, null),
                statusCase("a status delete does nothing", COLLAB, "delete", null, Outcome.IGNORED_OPERATION, null),
                statusCase("unknown status", COLLAB, "create", status(own, "sh.tangled.repo.pull.status.draft"),
                        Outcome.UNKNOWN_STATUS, null),
                statusCase("pull is not a pull AT-URI", COLLAB, "create", status(REPO_URI, "sh.tangled.repo.pull.status.open"),
                        Outcome.MALFORMED, null),
                statusCase("the pull record does not exist", COLLAB, "create",
                        status(pullUri(COLLAB, "gone"), "sh.tangled.repo.pull.status.open"), Outcome.PULL_NOT_FOUND, null),
                statusCase("the pull record cannot be read", COLLAB, "create",
                        status(pullUri(COLLAB, "unreachable"), "sh.tangled.repo.pull.status.open"), Outcome.FETCH_FAILED, null),
                new Case("a backfilled status does nothing", COLLAB, PullRecords.PULL_STATUS, "create",
                        status(own, "sh.tangled.repo.pull.status.merged"), false, Outcome.NOT_LIVE, null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void commit(Case c) {
        FakePds pds = new FakePds();
        pds.pulls.put(COLLAB + "/" + RKEY, branchPull("bafynewround2"));
        pds.pulls.put(STRANGER + "/" + RKEY, branchPull("bafynewround2"));
        List<PullRequestEvent> sent = new ArrayList<>();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        PullRecords records = new PullRecords(ACCESS, pds, sent::add, meters);

        records.onCommit(c.actor(), c.collection(), RKEY, c.operation(), c.record(), c.live());

        assertEquals(c.event() == null ? List.of() : List.of(c.event()), sent);
        assertEquals(1.0, meters.get("weft.pulls").tag("outcome", c.outcome().tag).counter().count(),
                () -> "outcomes: " + meters.get("weft.pulls").counters().stream()
                        .map(x -> x.getId().getTag("outcome") + "=" + x.count()).toList());
        if (c.outcome() == Outcome.NOT_LIVE || c.outcome() == Outcome.UNAUTHORISED && c.collection().equals(PullRecords.PULL)
                || c.outcome() == Outcome.FORK || c.outcome() == Outcome.UNREGISTERED || c.outcome() == Outcome.PATCH_BASED) {
            assertEquals(List.of(), pds.calls, "a record dropped without the network must not reach the PDS");
        }
    }

    @Test
    @DisplayName("a status change reads the pull from its author's PDS, and the patch from the same author's")
    void statusReadsThePullAuthorsPds() {
        FakePds pds = new FakePds();
        pds.pulls.put(COLLAB + "/" + RKEY, branchPull("bafynewround2"));
        List<PullRequestEvent> sent = new ArrayList<>();
        new PullRecords(ACCESS, pds, sent::add, new SimpleMeterRegistry()).onCommit(OWNER, PullRecords.PULL_STATUS,
                "3lbstatus", "create", status(pullUri(COLLAB, RKEY), "sh.tangled.repo.pull.status.merged"), true);
        assertEquals(List.of("record " + COLLAB + "/" + RKEY, "blob " + COLLAB + "/bafynewround2"), pds.calls);
        assertEquals(List.of(event(COLLAB, "merged")), sent);
    }

    @Test
    @DisplayName("a sink that fails propagates its own exception, so the caller can retry the frame")
    void sinkFailure() {
        IllegalStateException boom = new IllegalStateException("store down");
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        PullRecords records = new PullRecords(ACCESS, new FakePds(), e -> {
            throw boom;
        }, meters);
        IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> records.onCommit(COLLAB,
                PullRecords.PULL, RKEY, "create", branchPull("bafynewround2"), true));
        assertSame(boom, thrown);
        assertEquals(1.0, meters.get("weft.pulls").tag("outcome", "triggered").counter().count());
    }

    @Test
    @DisplayName("malformed author DIDs and record keys are dropped before anything else is read")
    void malformedKeys() {
        FakePds pds = new FakePds();
        PullRecords records = new PullRecords(ACCESS, pds, e -> {
            throw new AssertionError("triggered " + e);
        }, new SimpleMeterRegistry());
        assertEquals(Outcome.MALFORMED, records.handle("alice", PullRecords.PULL, RKEY, "create", branchPull("bafynewround2"), true));
        assertEquals(Outcome.MALFORMED, records.handle(COLLAB, PullRecords.PULL, "a/b", "create", branchPull("bafynewround2"), true));
        assertEquals(Outcome.MALFORMED, records.handle(null, PullRecords.PULL, null, "create", null, true));
        assertTrue(pds.calls.isEmpty());
    }
}
