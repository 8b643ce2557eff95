package dev.weft.provider.github;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.weft.model.PipelineId;
import dev.weft.model.RepoRef;
import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;
import dev.weft.provider.github.webhook.WebhookHint;
import dev.weft.provider.github.webhook.WebhookReceiver;
import dev.weft.spi.WorkflowSpecException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PureLogicTest {
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    static JsonNode block(String yaml) throws Exception {
        return YAML.readTree(yaml).path("github");
    }

    static Trigger trigger(TriggerKind kind) {
        return new Trigger(new PipelineId("knot", "rkey"), new RepoRef("knot", "did:plc:x", "repo"), kind, List.of(),
                Instant.EPOCH);
    }

    @Nested
    @DisplayName("Go duration format, as messages use it")
    class GoDurations {
        @ParameterizedTest
        @CsvSource({"PT2M,2m0s", "PT1H,1h0m0s", "PT1M30S,1m30s", "PT1.5S,1.5s", "PT0.25S,250ms", "PT2S,2s"})
        void formats(String iso, String go) {
            assertEquals(go, dev.weft.spi.GoDuration.format(Duration.parse(iso)));
        }
    }

    @Nested
    @DisplayName("the github: block")
    class Block {
        @Test
        void full() throws Exception {
            WorkflowBlock b = WorkflowBlock.parse(block("""
                    github:
                      repo: octo/mirror
                      workflow: ci.yml
                      ref: release
                      inputs: {target: prod, dry: true, n: 3}
                    """));
            assertEquals("octo", b.owner());
            assertEquals("mirror", b.repo());
            assertEquals("ci.yml", b.workflow());
            assertEquals(Optional.of("release"), b.ref());
            assertEquals(Map.of("target", "prod", "dry", "true", "n", "3"), b.inputs());
        }

        @Test
        void numericWorkflowId() throws Exception {
            assertEquals("161335", WorkflowBlock.parse(block("github: {repo: a/b, workflow: 161335}")).workflow());
        }

        @Test
        void missingBlock() {
            var e = assertThrows(WorkflowSpecException.class, () -> WorkflowBlock.parse(block("engine: github")));
            assertTrue(e.getMessage().contains("no github: block"), e.getMessage());
        }

        @Test
        void everyProblemNamedAtOnce() {
            var e = assertThrows(WorkflowSpecException.class, () -> WorkflowBlock.parse(block("""
                    github:
                      repo: not-a-repo
                      wokflow: ci.yml
                      inputs: {a: [1], weft_run_id: "9"}
                    """)));
            String m = e.getMessage();
            assertTrue(m.contains("github.wokflow: unknown key"), m);
            assertTrue(m.contains("github.repo: expected owner/name"), m);
            assertTrue(m.contains("github.workflow: required"), m);
            assertTrue(m.contains("github.inputs.a: expected a string"), m);
            assertTrue(m.contains("github.inputs.weft_run_id: reserved"), m);
        }
    }

    @Nested
    @DisplayName("ref and inputs of a dispatch")
    class Plan {
        WorkflowBlock b(String extra) throws Exception {
            return WorkflowBlock.parse(block("github:\n  repo: o/r\n  workflow: ci.yml\n" + extra));
        }

        @Test
        void refFromTrigger() throws Exception {
            WorkflowBlock b = b("");
            assertEquals(Optional.of("main"), DispatchPlan.refFor(trigger(new TriggerKind.Push("refs/heads/main", "a", "b")), b));
            assertEquals(Optional.of("v1"), DispatchPlan.refFor(trigger(new TriggerKind.Push("refs/tags/v1", "a", "b")), b));
            assertEquals(Optional.of("feat"), DispatchPlan.refFor(trigger(new TriggerKind.PullRequest("feat", "main", "a", "create")), b));
            assertEquals(Optional.empty(), DispatchPlan.refFor(trigger(new TriggerKind.Manual(List.of())), b));
            assertEquals(Optional.of("pinned"), DispatchPlan.refFor(trigger(new TriggerKind.Push("refs/heads/main", "a", "b")), b("  ref: pinned\n")));
        }

        @Test
        void manualInputsOverBlockInputsAndRunIdLast() throws Exception {
            var t = trigger(new TriggerKind.Manual(List.of(new TriggerKind.Input("level", "debug"),
                    new TriggerKind.Input("weft_run_id", "spoof"))));
            Map<String, String> in = DispatchPlan.inputsFor(42, t, b("  inputs: {level: info, sha: '${TANGLED_SHA}', x: '${NOPE}'}\n"),
                    Map.of("TANGLED_SHA", "abc"));
            assertEquals(List.of("level", "sha", "x", "weft_run_id"), List.copyOf(in.keySet()));
            assertEquals("debug", in.get("level"));
            assertEquals("abc", in.get("sha"));
            assertEquals("${NOPE}", in.get("x"));
            assertEquals("42", in.get("weft_run_id"));
        }

        @Test
        void atMost25Inputs() throws Exception {
            StringBuilder sb = new StringBuilder("  inputs:\n");
            for (int i = 0; i < 24; i++) sb.append("    i").append(i).append(": v\n");
            var push = trigger(new TriggerKind.Push("refs/heads/main", "a", "b"));
            assertEquals(25, DispatchPlan.inputsFor(1, push, b(sb.toString()), Map.of()).size());
            sb.append("    i24: v\n");
            var e = assertThrows(WorkflowSpecException.class, () -> DispatchPlan.inputsFor(1, push, b(sb.toString()), Map.of()));
            assertEquals("github.inputs: 25 inputs plus weft_run_id make 26; GitHub accepts at most 25 workflow_dispatch inputs",
                    e.getMessage());
        }
    }

    @Nested
    @DisplayName("state mapping")
    class States {
        @ParameterizedTest
        @CsvSource(nullValues = "null", value = {
                "queued,null,false,PENDING", "waiting,null,false,PENDING", "in_progress,null,false,PENDING",
                "in_progress,null,true,RUNNING", "requested,null,true,RUNNING", "brand_new_status,null,false,PENDING",
                "completed,success,false,SUCCESS", "completed,neutral,true,SUCCESS", "completed,skipped,false,SUCCESS",
                "completed,cancelled,true,CANCELLED", "completed,timed_out,true,TIMEOUT",
                "completed,failure,true,FAILED", "completed,action_required,false,FAILED",
                "completed,startup_failure,false,FAILED", "completed,stale,false,FAILED",
                "completed,something_new,false,FAILED", "completed,null,false,FAILED"})
        void mapping(String status, String conclusion, boolean jobStarted, RunState expected) {
            assertEquals(expected, StateMapper.state(status, conclusion, jobStarted));
        }

        @Test
        void failureMessage() {
            assertEquals(new Status.Failed("GitHub Actions run concluded \"failure\"", -1), StateMapper.terminal("failure"));
        }

        @ParameterizedTest(name = "{0}")
        @CsvSource({
                "workflow_run.requested.payload.json,workflow_run,requested,PENDING",
                "workflow_run.requested.with-conclusion.payload.json,workflow_run,requested,FAILED",
                "workflow_run.completed.payload.json,workflow_run,completed,SUCCESS",
                "workflow_run.completed.with-pull-requests.payload.json,workflow_run,completed,SUCCESS",
                "workflow_job.queued.payload.json,workflow_job,queued,PENDING",
                "workflow_job.queued.with-deployment.payload.json,workflow_job,queued,PENDING",
                "workflow_job.waiting.payload.json,workflow_job,waiting,PENDING",
                "workflow_job.in_progress.payload.json,workflow_job,in_progress,RUNNING",
                "workflow_job.in_progress.with-queued-steps.payload.json,workflow_job,in_progress,RUNNING",
                "workflow_job.completed.success.with-organization.payload.json,workflow_job,completed,RUNNING",
                "workflow_job.completed.failure.with-organization.payload.json,workflow_job,completed,RUNNING"})
        @DisplayName("every fixture delivery parses, and its claim follows status/conclusion, not action")
        void fixtures(String file, String event, String action, RunState claimed) throws Exception {
            JsonNode payload = new ObjectMapper().readTree(Fixtures.webhook(file));
            WebhookHint hint = WebhookReceiver.parse(event, payload).orElseThrow();
            assertEquals(action, hint.action());
            long id = event.equals("workflow_run") ? payload.path("workflow_run").path("id").asLong()
                    : payload.path("workflow_job").path("run_id").asLong();
            assertEquals(id, hint.runId());
            assertEquals(1, hint.runAttempt());
            assertEquals(claimed, StateMapper.claimed(hint));
        }

        @Test
        @DisplayName("the edge cases: requested with completed, queued with waiting")
        void edgeCases() throws Exception {
            JsonNode rc = new ObjectMapper().readTree(Fixtures.webhook("workflow_run.requested.with-conclusion.payload.json"));
            WebhookHint h1 = WebhookReceiver.parse("workflow_run", rc).orElseThrow();
            assertEquals("completed", h1.status());
            assertEquals("action_required", h1.conclusion());
            JsonNode qw = new ObjectMapper().readTree(Fixtures.webhook("workflow_job.queued.with-deployment.payload.json"));
            WebhookHint h2 = WebhookReceiver.parse("workflow_job", qw).orElseThrow();
            assertEquals("queued", h2.action());
            assertEquals("waiting", h2.status());
            assertEquals(RunState.PENDING, StateMapper.claimed(h2));
        }

        @Test
        void payloadWithoutRunIsNotAHint() throws Exception {
            assertFalse(WebhookReceiver.parse("workflow_run", new ObjectMapper().readTree("{\"action\":\"x\"}")).isPresent());
        }
    }

    @Nested
    class TitleMatching {
        @Test
        void wholeNumbersOnly() {
            assertTrue(Correlator.titleNames("CI [42]", 42));
            assertTrue(Correlator.titleNames("42", 42));
            assertTrue(Correlator.titleNames("deploy 42 to prod", 42));
            assertFalse(Correlator.titleNames("CI [142]", 42));
            assertFalse(Correlator.titleNames("CI [420]", 42));
            assertFalse(Correlator.titleNames(null, 42));
        }
    }

}
