package dev.weft.knot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RefUpdatesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String A = "a".repeat(40);
    private static final String Z = "0".repeat(40);

    private static JsonNode json(String s) {
        try {
            return JSON.readTree(s.replace('\'', '"'));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static RefUpdate ok(String event) {
        RefUpdates.Parsed<RefUpdate> p = RefUpdates.refUpdate("knot.example", "3kaaaaaaaaaa2", json(event), Instant.EPOCH);
        return assertInstanceOf(RefUpdates.Parsed.Ok.class, p, () -> p.toString()).value() instanceof RefUpdate r ? r : null;
    }

    private static String rejected(String rkey, String event) {
        RefUpdates.Parsed<RefUpdate> p = RefUpdates.refUpdate("knot.example", rkey, json(event), Instant.EPOCH);
        return ((RefUpdates.Parsed.Rejected<RefUpdate>) assertInstanceOf(RefUpdates.Parsed.Rejected.class, p)).reason();
    }

    @Test
    @DisplayName("the newest shape is keyed on repo, the repository's DID, with changed files and push options")
    void newest() {
        RefUpdate u = ok("{'ref':'refs/heads/main','committerDid':'did:plc:pusher','ownerDid':'did:plc:owner',"
                + "'repo':'did:plc:repo','oldSha':'" + Z + "','newSha':'" + A + "','changedFiles':['a/b.go'],"
                + "'pushOptions':['verbose-ci'],'meta':{'isDefaultRef':true,'commitCount':{}}}");
        assertEquals(RefUpdate.Shape.CURRENT, u.shape());
        assertEquals("did:plc:repo", u.repoDid());
        assertEquals("did:plc:owner", u.ownerDid());
        assertEquals(Optional.of(List.of("a/b.go")), u.changedFiles());
        assertEquals(List.of("verbose-ci"), u.pushOptions());
        assertTrue(!u.skipsCi() && !u.deletesRef());
    }

    @Test
    @DisplayName("the transitional shape carries the repo DID in repoDid, with repoName and ownerDid")
    void transitional() {
        RefUpdate u = ok("{'ref':'refs/tags/v1','committerDid':'did:plc:pusher','repoDid':'did:plc:repo',"
                + "'repoName':'hello','ownerDid':'did:plc:owner','oldSha':'" + Z + "','newSha':'" + A + "','meta':{}}");
        assertEquals(RefUpdate.Shape.TRANSITIONAL, u.shape());
        assertEquals("did:plc:repo", u.repoDid());
        assertEquals("hello", u.repoName());
        assertEquals(Optional.empty(), u.changedFiles(), "absent is not the same as empty");
    }

    @Test
    @DisplayName("before v1.14 repoDid held the owner's DID and there was no repository DID")
    void preV114() {
        RefUpdate u = ok("{'ref':'refs/heads/main','committerDid':'did:plc:pusher','repoDid':'did:plc:owner',"
                + "'repoName':'hello','oldSha':'" + Z + "','newSha':'" + A + "','meta':{}}");
        assertEquals(RefUpdate.Shape.PRE_V1_14, u.shape());
        assertEquals("", u.repoDid());
        assertEquals("did:plc:owner", u.ownerDid());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "skip-ci | true", "ci-skip | true", "verbose-ci | false", "SKIP-CI | false"})
    @DisplayName("skip-ci and ci-skip skip the push, exactly as spelled")
    void skip(String option, boolean skips) {
        RefUpdate u = ok("{'ref':'refs/heads/main','committerDid':'did:plc:p','repo':'did:plc:r','oldSha':'" + Z
                + "','newSha':'" + A + "','pushOptions':['" + option + "'],'meta':{}}");
        assertEquals(skips, u.skipsCi());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "rkey .. | .. | {'ref':'refs/heads/main','committerDid':'did:plc:p','repo':'did:plc:r','oldSha':'" + "0000000000000000000000000000000000000000" + "','newSha':'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'} | rkey is not a record key",
            "no repository | 3kaaaaaaaaaa2 | {'ref':'refs/heads/main','committerDid':'did:plc:p','oldSha':'0000000000000000000000000000000000000000','newSha':'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'} | neither repo nor repoDid",
            "repo not a DID | 3kaaaaaaaaaa2 | {'ref':'refs/heads/main','committerDid':'did:plc:p','repo':'hello','oldSha':'0000000000000000000000000000000000000000','newSha':'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'} | repo is not a DID",
            "short sha | 3kaaaaaaaaaa2 | {'ref':'refs/heads/main','committerDid':'did:plc:p','repo':'did:plc:r','oldSha':'0000000000000000000000000000000000000000','newSha':'abc'} | newSha is not 40",
            "upper-case sha | 3kaaaaaaaaaa2 | {'ref':'refs/heads/main','committerDid':'did:plc:p','repo':'did:plc:r','oldSha':'0000000000000000000000000000000000000000','newSha':'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'} | newSha is not 40",
            "empty ref | 3kaaaaaaaaaa2 | {'ref':'','committerDid':'did:plc:p','repo':'did:plc:r','oldSha':'0000000000000000000000000000000000000000','newSha':'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'} | ref is empty",
            "no committer | 3kaaaaaaaaaa2 | {'ref':'refs/heads/main','repo':'did:plc:r','oldSha':'0000000000000000000000000000000000000000','newSha':'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'} | committerDid is missing",
            "changedFiles not strings | 3kaaaaaaaaaa2 | {'ref':'refs/heads/main','committerDid':'did:plc:p','repo':'did:plc:r','oldSha':'0000000000000000000000000000000000000000','newSha':'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa','changedFiles':[1]} | changedFiles[0] is not a string",
            "record not an object | 3kaaaaaaaaaa2 | [] | not a JSON object",
    })
    @DisplayName("malformed refUpdates are refused with a reason")
    void malformed(String name, String rkey, String event, String reason) {
        String got = rejected(rkey, event);
        assertTrue(got.contains(reason), got);
    }

    @Test
    @DisplayName("more than 50 push options are refused, as the lexicon limits them")
    void tooManyOptions() {
        String options = "'x',".repeat(51);
        String got = rejected("3kaaaaaaaaaa2", "{'ref':'refs/heads/main','committerDid':'did:plc:p','repo':'did:plc:r','oldSha':'"
                + Z + "','newSha':'" + A + "','pushOptions':[" + options.substring(0, options.length() - 1) + "]}");
        assertTrue(got.contains("pushOptions has 51 items"), got);
    }

    @Test
    @DisplayName("collaboratorUpdate: add and remove with DIDs; anything else refused")
    void collaborators() {
        var add = RefUpdates.collaborator("k", json("{'op':'add','subject':'did:plc:bob','repo':'did:plc:r'}"));
        assertEquals(new CollaboratorUpdate("k", true, "did:plc:bob", "did:plc:r"),
                ((RefUpdates.Parsed.Ok<CollaboratorUpdate>) add).value());
        var remove = RefUpdates.collaborator("k", json("{'op':'remove','subject':'did:plc:bob','repo':'did:plc:r'}"));
        assertEquals(false, ((RefUpdates.Parsed.Ok<CollaboratorUpdate>) remove).value().add());
        assertInstanceOf(RefUpdates.Parsed.Rejected.class, RefUpdates.collaborator("k", json("{'op':'grant','subject':'did:plc:bob','repo':'did:plc:r'}")));
        assertInstanceOf(RefUpdates.Parsed.Rejected.class, RefUpdates.collaborator("k", json("{'op':'add','subject':'bob','repo':'did:plc:r'}")));
    }
}
