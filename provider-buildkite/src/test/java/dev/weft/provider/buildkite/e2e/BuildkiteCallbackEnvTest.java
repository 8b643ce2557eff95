package dev.weft.provider.buildkite.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.model.RunState;
import dev.weft.provider.buildkite.BuildkiteProviderFactory;
import dev.weft.provider.buildkite.fake.FakeBuildkite;
import dev.weft.spi.Variables;
import dev.weft.testkit.ProviderHarness;
import dev.weft.testkit.ProviderHarness.TestRun;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The build's env carries the run's callback URL and token, and a step posting with them is heard. */
class BuildkiteCallbackEnvTest {
    static final ObjectMapper JSON = new ObjectMapper();
    FakeBuildkite bk;
    ProviderHarness h;

    @BeforeEach
    void setUp() throws Exception {
        bk = new FakeBuildkite();
    }

    @AfterEach
    void tearDown() {
        if (h != null) h.close();
        bk.close();
    }

    @Test
    @DisplayName("WEFT_CALLBACK_URL and WEFT_CALLBACK_TOKEN in the build's env, over a block env that names them too")
    void env() throws Exception {
        h = ProviderHarness.builder(new BuildkiteProviderFactory()).env(Harnesses.env(bk)).start();
        TestRun r = h.push("ci.yml", "engine: buildkite\nbuildkite:\n  pipeline: app\n"
                + "  env: {WEFT_CALLBACK_TOKEN: spoofed, STAGE: prod}\n");
        await().atMost(Duration.ofSeconds(20)).until(() -> !bk.builds().isEmpty());
        FakeBuildkite.FakeBuild b = bk.build(1);
        JsonNode env = JSON.readTree(bk.requests("POST", ".*/builds").get(0).getBody().utf8()).path("env");
        String url = env.path("WEFT_CALLBACK_URL").asText();
        String token = env.path("WEFT_CALLBACK_TOKEN").asText();
        assertEquals("https://weft.test/hooks/callback/" + r.runId(), url);
        assertEquals(Variables.callbackToken(r.run().variables()).orElseThrow(), token);
        assertEquals("prod", env.path("STAGE").asText());

        // The step snippet of docs/callbacks.md, as curl would send it, against this weft.
        HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(h.baseUrl() + URI.create(url).getPath()))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"seq\":1,\"events\":[{\"type\":\"step\",\"name\":\"deploy\","
                        + "\"status\":\"start\"},{\"type\":\"line\",\"text\":\"live from Buildkite\"}]}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, answer.statusCode(), answer.body());
        assertTrue(r.logFrames().stream().anyMatch(f -> f.contains("live from Buildkite")), r.logFrames().toString());
        b.state("passed");
        assertEquals(RunState.SUCCESS, r.awaitTerminal(Duration.ofSeconds(20)).state());
    }
}
