package dev.weft.provider.github;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.model.RunState;
import dev.weft.provider.github.FakeGitHub.GhRun;
import dev.weft.spi.Variables;
import dev.weft.spi.WorkflowSpecException;
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
import java.util.LinkedHashMap;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code github.callback}: the dispatch's callback inputs as the fake GitHub receives them, and the token they carry at work. */
class GitHubCallbackInputsTest {
    FakeGitHub gh;
    ProviderHarness h;

    @BeforeEach
    void setUp() throws Exception {
        gh = new FakeGitHub();
    }

    @AfterEach
    void tearDown() {
        if (h != null) h.close();
        gh.close();
    }

    private void start() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("WEFT_GITHUB_TOKEN", gh.token);
        env.put("WEFT_GITHUB_API", gh.apiUrl());
        env.put("WEFT_GITHUB_POLL_INTERVAL", "100ms");
        env.put("WEFT_GITHUB_CORRELATE_TIMEOUT", "10s");
        h = ProviderHarness.builder(new GitHubProviderFactory()).env(env).start();
    }

    private JsonNode dispatchedInputs() throws Exception {
        return FakeGitHub.JSON.readTree(gh.requests("POST", "/dispatches").get(0).getBody().utf8()).path("inputs");
    }

    @Test
    @DisplayName("callback: true dispatches weft_callback_url and weft_callback_token, and a job posting with them is heard")
    void callbackInputs() throws Exception {
        start();
        TestRun r = h.push("ci.yml", """
                engine: github
                github:
                  repo: octo/mirror
                  workflow: ci.yml
                  callback: true
                """);
        GhRun run = await().atMost(Duration.ofSeconds(20)).until(() -> gh.runs(), l -> !l.isEmpty()).get(0);
        JsonNode inputs = dispatchedInputs();
        String url = inputs.path("weft_callback_url").asText();
        String token = inputs.path("weft_callback_token").asText();
        assertEquals("https://weft.test/hooks/callback/" + r.runId(), url);
        assertEquals(Variables.callbackToken(r.run().variables()).orElseThrow(), token);
        assertEquals(Long.toString(r.runId()), inputs.path("weft_run_id").asText());
        assertEquals(3, inputs.size(), inputs.toString());

        // What the composite action of docs/callbacks.md does with them, against this weft.
        HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(h.baseUrl() + URI.create(url).getPath()))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"seq\":1,\"events\":[{\"type\":\"step\",\"name\":\"deploy\","
                        + "\"status\":\"start\"},{\"type\":\"line\",\"text\":\"live from GitHub\"}]}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, answer.statusCode(), answer.body());
        assertTrue(r.logFrames().stream().anyMatch(f -> f.contains("live from GitHub")), r.logFrames().toString());
        run.status("completed", "success");
        assertEquals(RunState.SUCCESS, r.awaitTerminal().state());
    }

    @Test
    @DisplayName("without callback: no callback inputs (GitHub would reject undeclared ones), and the token is nowhere in the dispatch")
    void noCallbackInputs() throws Exception {
        start();
        TestRun r = h.push("ci.yml", """
                engine: github
                github:
                  repo: octo/mirror
                  workflow: ci.yml
                """);
        GhRun run = await().atMost(Duration.ofSeconds(20)).until(() -> gh.runs(), l -> !l.isEmpty()).get(0);
        JsonNode inputs = dispatchedInputs();
        assertEquals(1, inputs.size(), inputs.toString());
        String token = Variables.callbackToken(r.run().variables()).orElseThrow();
        assertFalse(gh.requests("POST", "/dispatches").get(0).getBody().utf8().contains(token));
        run.status("completed", "success");
        assertEquals(RunState.SUCCESS, r.awaitTerminal().state());
    }

    @Test
    @DisplayName("callback must be a boolean, and the callback inputs are weft's alone")
    void block() {
        var e = assertThrows(WorkflowSpecException.class, () -> WorkflowBlock.parse(FakeGitHub.JSON.readTree(
                "{\"repo\":\"o/r\",\"workflow\":\"ci.yml\",\"callback\":\"yes\",\"inputs\":{\"weft_callback_token\":\"x\"}}")));
        assertEquals("github.inputs.weft_callback_token: reserved, weft sets it; github.callback: expected true or false, got \"yes\"",
                e.getMessage());
    }
}
