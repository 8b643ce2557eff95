package dev.weft.provider.buildkite.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.provider.buildkite.fake.FakeBuildkite;
import dev.weft.testkit.FakeRun;
import dev.weft.provider.buildkite.fake.Runs;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JobLogTailTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String ESC = "\u001b";
    FakeBuildkite bk;
    BuildkiteClient client;
    FakeBuildkite.FakeJob job;
    HttpUrl url;

    @BeforeEach
    void setUp() throws Exception {
        bk = new FakeBuildkite();
        client = new BuildkiteClient(HttpUrl.get(bk.apiBase()), FakeBuildkite.TOKEN, Duration.ofSeconds(5),
                Duration.ofMillis(20), new RateLimiter.PerOrg(1000), JSON);
        var b = bk.addBuild("acme", "app", Map.of());
        job = b.addJob("Tests", "make test").start(Instant.EPOCH);
        url = client.logUrl("acme", "app", 1, client.getBuild("acme", "app", 1).orElseThrow().jobs().get(0));
    }

    @AfterEach
    void tearDown() {
        client.close();
        bk.close();
    }

    JobLogTail tail(FakeRun run, long offset) {
        return new JobLogTail(client, "acme", url, offset,
                new JobLogWriter(run.log(), "Tests", "make test", Instant.EPOCH, null));
    }

    @Test
    @DisplayName("a UTF-8 character and a timestamp marker split across two fetches are joined")
    void splitAcrossFetches() throws Exception {
        FakeRun run = Runs.push(1);
        JobLogTail t = tail(run, 0);
        byte[] all = ("caf\u00e9\n" + ESC + "_bk;t=1700000000000\u0007done\n").getBytes(StandardCharsets.UTF_8);
        int inE = 4; // between the two bytes of é
        int inMarker = 6 + 5; // inside "ESC _ bk;t="
        job.append(Arrays.copyOfRange(all, 0, inE));
        assertTrue(t.poll());
        assertEquals(List.of(), run.lines(), "nothing complete yet");
        job.append(Arrays.copyOfRange(all, inE, inMarker));
        assertTrue(t.poll());
        job.append(Arrays.copyOfRange(all, inMarker, all.length));
        assertTrue(t.poll());
        assertFalse(t.poll(), "nothing new");
        t.finish(Instant.ofEpochSecond(5));
        assertEquals(List.of("start 0 Tests [make test]", "line 0 caf\u00e9", "line 0 done", "end 0"), run.lines());
        assertEquals(Instant.ofEpochMilli(1700000000000L), run.logTimes().get(2));
        // Every fetch was a suffix of exactly the new bytes.
        assertEquals(3, job.fetches.size());
        assertEquals(all.length, job.fetches.stream().mapToInt(String::length).sum());
    }

    @Test
    @DisplayName("a log that grows between HEAD and the ranged GET is fetched again, without a gap")
    void growsBetweenHeadAndGet() throws Exception {
        FakeRun run = Runs.push(1);
        JobLogTail t = tail(run, 0);
        job.append("one\n");
        assertTrue(t.poll());
        job.append("two\n").growBeforeNextFetch("three\n".getBytes(StandardCharsets.UTF_8));
        assertTrue(t.poll());
        t.finish(null);
        assertEquals(List.of("start 0 Tests [make test]", "line 0 one", "line 0 two", "line 0 three", "end 0"),
                run.lines());
    }

    @Test
    @DisplayName("the committed offset stops at the last complete line, and a new tail resumes there")
    void resumeFromOffset() throws Exception {
        FakeRun run = Runs.push(1);
        JobLogTail t = tail(run, 0);
        job.append("a\nb\npart");
        t.poll();
        assertEquals(4, t.committedOffset());
        job.append("ial\n");
        FakeRun again = Runs.push(2);
        JobLogTail t2 = tail(again, t.committedOffset());
        t2.poll();
        t2.finish(null);
        assertEquals(List.of("start 0 Tests [make test]", "line 0 partial", "end 0"), again.lines());
    }
}
