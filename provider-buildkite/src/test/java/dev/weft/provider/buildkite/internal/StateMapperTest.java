package dev.weft.provider.buildkite.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.provider.buildkite.internal.StateMapper.Mapped;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StateMapperTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static Build build(String state, boolean blocked) {
        ObjectNode n = JSON.createObjectNode().put("id", "u").put("number", 7).put("state", state).put("blocked", blocked);
        return Build.parse(n);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "creating,pending", "scheduled,pending", "waiting,pending",
            "running,running", "failing,running", "canceling,running", "blocked,running",
            "passed,success", "skipped,success", "not_run,success",
            "failed,failed", "waiting_failed,failed", "canceled,cancelled"})
    void mapping(String state, String expected) {
        Mapped m = StateMapper.map(build(state, false));
        RunState got = switch (m) {
            case Mapped.Pending p -> RunState.PENDING;
            case Mapped.Running r -> RunState.RUNNING;
            case Mapped.Finished f -> f.status().state();
            case Mapped.Unknown u -> throw new AssertionError("unknown " + u);
        };
        assertEquals(expected, got.wireName());
    }

    @Test
    @DisplayName("an unknown state is reported as unknown, never thrown")
    void unknown() {
        assertEquals(new Mapped.Unknown("frobnicating"), StateMapper.map(build("frobnicating", false)));
        assertEquals(new Mapped.Unknown(""), StateMapper.map(Build.parse(JSON.createObjectNode())));
    }

    @Test
    @DisplayName("a passed build that is blocked waits for an unblock; a failed blocked build failed")
    void blocked() {
        assertEquals(new Mapped.Running(true), StateMapper.map(build("passed", true)));
        assertEquals(new Mapped.Running(true), StateMapper.map(build("blocked", false)));
        assertInstanceOf(Status.Failed.class, ((Mapped.Finished) StateMapper.map(build("failed", true))).status());
    }

    @Test
    @DisplayName("skipped and not_run succeed with a note that nothing ran")
    void skipped() {
        Mapped.Finished f = (Mapped.Finished) StateMapper.map(build("not_run", false));
        assertTrue(f.note().orElseThrow().contains("nothing ran"), f.note().toString());
    }

    @Test
    @DisplayName("a failed build reports the exit code of the first failed script job")
    void exitCode() throws Exception {
        ObjectNode n = JSON.createObjectNode();
        n.put("number", 3).put("state", "failed");
        var jobs = n.putArray("jobs");
        jobs.addObject().put("type", "waiter").put("state", "passed");
        jobs.addObject().put("type", "script").put("name", "lint").put("state", "passed").put("exit_status", 0);
        jobs.addObject().put("type", "script").put("name", "soft").put("state", "failed").put("exit_status", 9)
                .put("soft_failed", true);
        jobs.addObject().put("type", "script").put("name", "test").put("state", "failed").put("exit_status", 2);
        jobs.addObject().put("type", "script").put("name", "later").put("state", "failed").put("exit_status", 3);
        Status.Failed f = (Status.Failed) ((Mapped.Finished) StateMapper.map(Build.parse(n))).status();
        assertEquals(2, f.code());
        assertEquals("Buildkite build #3 failed: job \"test\" exited with status 2", f.message());
    }

    @Test
    @DisplayName("the documented REST examples parse and map")
    void fixtures() throws Exception {
        Path dir = Path.of(System.getProperty("weft.shared", "../../shared"), "fixtures/buildkite/rest");
        Build created = Build.parse(JSON.readTree(Files.readString(dir.resolve("create-build.json"))));
        assertEquals(new Mapped.Pending(), StateMapper.map(created));
        assertEquals("https://buildkite.com/my-great-org/my-pipeline/builds/1", created.webUrl());
        assertEquals(1, created.jobs().size());
        assertEquals("scripts/build.sh", created.jobs().get(0).command());
        Build passed = Build.parse(JSON.readTree(Files.readString(dir.resolve("get-build.json"))));
        assertEquals(RunState.SUCCESS, ((Mapped.Finished) StateMapper.map(passed)).status().state());
        Build canceled = Build.parse(JSON.readTree(Files.readString(dir.resolve("cancel-build.json"))));
        assertEquals(RunState.CANCELLED, ((Mapped.Finished) StateMapper.map(canceled)).status().state());
        assertEquals("my-great-org/my-pipeline#1", BuildRef.fromApiUrl(canceled.url()).orElseThrow().toString());
    }
}
