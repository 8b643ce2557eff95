package dev.weft.provider.buildkite.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.provider.buildkite.fake.FakeBuildkite;
import okhttp3.Headers;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BuildkiteClientTest {
    static final ObjectMapper JSON = new ObjectMapper();
    FakeBuildkite bk;
    BuildkiteClient client;

    @BeforeEach
    void setUp() throws Exception {
        bk = new FakeBuildkite();
        client = client(Duration.ofSeconds(5));
    }

    BuildkiteClient client(Duration timeout) {
        return new BuildkiteClient(HttpUrl.get(bk.apiBase()), FakeBuildkite.TOKEN, timeout, Duration.ofMillis(20),
                new RateLimiter.PerOrg(200), JSON);
    }

    @AfterEach
    void tearDown() {
        client.close();
        bk.close();
    }

    ObjectNode body() {
        ObjectNode b = JSON.createObjectNode().put("commit", "abc").put("branch", "main");
        b.putObject("meta_data").put("weft_run_id", "5");
        return b;
    }

    @Test
    @DisplayName("create sends the token and body and parses the 201")
    void create() throws Exception {
        Build b = client.createBuild("acme", "app", body());
        assertEquals(1, b.number());
        assertEquals("scheduled", b.state());
        var req = bk.requests("POST", ".*/builds").get(0);
        assertEquals("Bearer " + FakeBuildkite.TOKEN, req.getHeaders().get("Authorization"));
        assertEquals("/v2/organizations/acme/pipelines/app/builds", req.getUrl().encodedPath());
        assertEquals("5", JSON.readTree(req.getBody().utf8()).path("meta_data").path("weft_run_id").asText());
    }

    @Test
    @DisplayName("a 422 carries Buildkite's message")
    void rejected() {
        bk.rejectCreates("Branch can't be blank");
        var e = assertThrows(BuildkiteException.Rejected.class, () -> client.createBuild("acme", "app", body()));
        assertEquals("Branch can't be blank", e.getMessage());
    }

    @Test
    @DisplayName("a create answered 5xx is not retried, and says the build may exist")
    void createNotRetried() {
        bk.failNext("POST", ".*/builds", 502);
        var e = assertThrows(BuildkiteException.Transient.class, () -> client.createBuild("acme", "app", body()));
        assertTrue(e.ambiguous());
        assertEquals(1, bk.requests("POST", ".*/builds").size());
    }

    @Test
    @DisplayName("a create that times out is not retried, and says the build may exist")
    void createTimeout() throws Exception {
        bk.delayCreateResponses(1500);
        try (BuildkiteClient fast = client(Duration.ofMillis(300))) {
            var e = assertThrows(BuildkiteException.Transient.class, () -> fast.createBuild("acme", "app", body()));
            assertTrue(e.ambiguous());
        }
        assertEquals(1, bk.requests("POST", ".*/builds").size());
        assertEquals(1, bk.builds().size(), "the build was created all the same");
    }

    @Test
    @DisplayName("reads are retried after 5xx with backoff")
    void readRetried() throws Exception {
        client.createBuild("acme", "app", body());
        bk.failNext("GET", ".*/builds/1", 503);
        bk.failNext("GET", ".*/builds/1", 500);
        assertEquals(1, client.getBuild("acme", "app", 1).orElseThrow().number());
        assertEquals(3, bk.requests("GET", ".*/builds/1").size());
    }

    @Test
    @DisplayName("a 429 pauses the organization until RateLimit-Reset, then the request is retried")
    void rateLimited() throws Exception {
        client.createBuild("acme", "app", body());
        bk.failNext("GET", ".*/builds/1", 429, Headers.of("RateLimit-Remaining", "0", "RateLimit-Reset", "1"),
                "{\"message\":\"slow down\"}");
        long t0 = System.nanoTime();
        assertEquals(1, client.getBuild("acme", "app", 1).orElseThrow().number());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms >= 900, "waited for the reset: " + ms + " ms");
        var gets = bk.requests("GET", ".*/builds/1");
        assertEquals(2, gets.size());
    }

    @Test
    @DisplayName("a 429 on a create is retried: the request was not processed")
    void rateLimitedCreate() throws Exception {
        bk.failNext("POST", ".*/builds", 429, Headers.of("RateLimit-Reset", "1"), "{}");
        assertEquals(1, client.createBuild("acme", "app", body()).number());
        assertEquals(2, bk.requests("POST", ".*/builds").size());
        assertEquals(1, bk.builds().size());
    }

    @Test
    @DisplayName("lookup by meta_data filters on weft_run_id, and checks it again locally")
    void lookup() throws Exception {
        bk.addBuild("acme", "app", Map.of("weft_run_id", "4"));
        bk.addBuild("acme", "app", Map.of("weft_run_id", "5", "weft_workflow", "other/run/ci.yml"));
        bk.addBuild("acme", "app", Map.of("weft_run_id", "5", "weft_workflow", "k/r/ci.yml"));
        Build b = client.findBuild("acme", "app", "weft_run_id", "5", "weft_workflow", "k/r/ci.yml").orElseThrow();
        assertEquals(3, b.number());
        assertTrue(client.findBuild("acme", "app", "weft_run_id", "6", null, null).isEmpty());
        assertEquals("5", bk.requests("GET", ".*/builds").get(0).getUrl().queryParameter("meta_data[weft_run_id]"));
    }

    @Test
    @DisplayName("cancel of a finished build is a 422 with the message")
    void cancelRejected() throws Exception {
        client.createBuild("acme", "app", body());
        bk.build(1).state("passed");
        assertThrows(BuildkiteException.Rejected.class, () -> client.cancelBuild("acme", "app", 1));
        bk.build(1).state("running");
        assertEquals("canceled", client.cancelBuild("acme", "app", 1).state());
    }

    @Test
    @DisplayName("a job log is sized by HEAD and fetched by suffix range")
    void logs() throws Exception {
        client.createBuild("acme", "app", body());
        var job = bk.build(1).addJob("test", "make");
        job.append("hello world\n");
        Build b = client.getBuild("acme", "app", 1).orElseThrow();
        HttpUrl url = client.logUrl("acme", "app", 1, b.jobs().get(0));
        assertEquals(12, client.logSize("acme", url).getAsLong());
        var chunk = client.logSuffix("acme", url, 6).orElseThrow();
        assertEquals("world\n", new String(chunk.bytes()));
        assertEquals(6, chunk.start());
        assertEquals(12, chunk.total());
        assertEquals("bytes=-6", bk.requests("GET", ".*/log.*").get(0).getHeaders().get("Range"));
    }

    @Test
    @DisplayName("a log URL on another host is not used: the token stays with the API")
    void foreignLogUrl() {
        Build.Job j = new Build.Job("j1", "script", "n", null, "c", "running", null, false, null, null,
                "https://evil.example/log.txt", null);
        assertEquals(bk.apiBase() + "/organizations/acme/pipelines/app/builds/3/jobs/j1/log",
                client.logUrl("acme", "app", 3, j).toString());
    }
}
