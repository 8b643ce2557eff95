package dev.weft.provider.buildkite.internal;

import dev.weft.provider.buildkite.fake.Runs;
import dev.weft.testkit.FakeRun;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class JobLogWriterTest {

    @Test
    @DisplayName("lines before the first section go to the job's step, each section to '<job> › <section>'")
    void sectionsBecomeSteps() {
        FakeRun run = Runs.push(1);
        JobLogWriter w = new JobLogWriter(run.log(), "Tests", "make test", Instant.EPOCH, null);
        LogDecoder d = new LogDecoder();
        w.accept(d.feed("setup\n--- compile\nok\n+++ run\npass\n^^^ +++\nmore\n".getBytes(StandardCharsets.UTF_8)));
        w.finish(Instant.ofEpochSecond(9));
        assertEquals(List.of(
                "start 0 Tests [make test]", "line 0 setup", "end 0",
                "start 1 Tests \u203a compile [make test]", "line 1 ok", "end 1",
                "start 2 Tests \u203a run [make test]", "line 2 pass", "line 2 more", "end 2"), run.lines());
        assertEquals(Instant.ofEpochSecond(9), run.logTimes().get(run.logTimes().size() - 1));
    }

    @Test
    @DisplayName("a job that printed nothing still gets a step")
    void silentJob() {
        FakeRun run = Runs.push(1);
        JobLogWriter w = new JobLogWriter(run.log(), "quiet", "true", Instant.EPOCH, null);
        w.finish(Instant.ofEpochSecond(1));
        assertEquals(List.of("start 0 quiet [true]", "end 0"), run.lines());
    }

    @Test
    @DisplayName("after a restart the open step is written into, not started again")
    void resume() {
        FakeRun run = Runs.push(1);
        JobLogWriter first = new JobLogWriter(run.log(), "job", "c", Instant.EPOCH, null);
        first.accept(new LogDecoder().feed("--- a\none\n".getBytes(StandardCharsets.UTF_8)));
        String open = first.currentStepName();
        assertEquals("job \u203a a", open);
        JobLogWriter second = new JobLogWriter(run.log(), "job", "c", Instant.EPOCH, run.log().openStep(open).orElseThrow());
        second.accept(new LogDecoder().feed("two\n".getBytes(StandardCharsets.UTF_8)));
        second.finish(null);
        assertEquals(List.of("start 0 job \u203a a [c]", "line 0 one", "line 0 two", "end 0"), run.lines());
    }
}
