package dev.weft.callbacks;

import dev.weft.model.RunState;
import dev.weft.spi.Provider;
import dev.weft.spi.ProviderContext;
import dev.weft.spi.ProviderFactory;
import dev.weft.spi.Run;
import dev.weft.spi.Step;
import dev.weft.spi.Variables;
import dev.weft.testkit.Internals;
import dev.weft.testkit.ProviderHarness;
import dev.weft.testing.WebSocketRecorder;
import dev.weft.wire.CiLogFrames;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Callbacks against a real weft: what a job posts is what /logs and the subscription show, and what it may not post is refused. */
class CallbacksEndToEndTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    /**
     * After every trigger's receive time (statuses are paced from it; the harness's workflow timeout
     * is set beyond it), in whole seconds (Go trims zeros).
     */
    private static final Instant T0 = Instant.now().plus(Duration.ofHours(1)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    private static final String T = "\"time\":\"" + T0 + "\"";
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** A clock that stands still unless moved, so every frame's time is known. */
    static final class StillClock extends Clock {
        private final AtomicReference<Instant> now = new AtomicReference<>(T0);

        void advance(Duration d) {
            now.updateAndGet(t -> t.plus(d));
        }

        @Override
        public Instant instant() {
            return now.get();
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }

    /**
     * An engine standing in for a CI job: it writes a step of its own, hands its run to the test and
     * waits; once released it writes another step (remembering whether it could see the job's steps)
     * and succeeds.
     */
    static final class Job implements ProviderFactory {
        final BlockingQueue<Run> spawned = new LinkedBlockingQueue<>();
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicReference<List<String>> providerSaw = new AtomicReference<>();

        @Override
        public String engine() {
            return "job";
        }

        @Override
        public Provider create(ProviderContext context) {
            return new Provider() {
                @Override
                public void spawn(Run run) throws Exception {
                    run.status().running();
                    Step own = run.log().startStep("provider", "make", false, null);
                    own.line(false, "from the provider", null);
                    follow(run);
                }

                @Override
                public boolean resume(Run run) throws Exception {
                    follow(run);
                    return true;
                }

                private void follow(Run run) throws Exception {
                    spawned.add(run);
                    if (!release.await(30, TimeUnit.SECONDS)) throw new IllegalStateException("never released");
                    List<String> saw = new ArrayList<>();
                    for (Step s : run.log().steps()) saw.add(s.name());
                    saw.add("open deploy: " + run.log().openStep("deploy").isPresent());
                    saw.add("open smoke: " + run.log().openStep("smoke").isPresent());
                    providerSaw.set(saw);
                    Step later = run.log().startStep("later", "", false, null);
                    later.line(false, "after", null);
                    later.end(null);
                    run.status().success();
                }

                @Override
                public void close() {
                }
            };
        }

        Run next() throws InterruptedException {
            Run r = spawned.poll(20, TimeUnit.SECONDS);
            assertNotNull(r, "the job was not spawned");
            return r;
        }
    }

    record Answer(int status, String body) {
    }

    private static Answer post(ProviderHarness h, long runId, String token, String body) throws Exception {
        return post(h, "/hooks/callback/" + runId, token == null ? null : "Bearer " + token, body);
    }

    private static Answer post(ProviderHarness h, String path, String authorization, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(h.baseUrl() + path)).timeout(WAIT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) b.header("Authorization", authorization);
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body());
    }

    private static String token(Run run) {
        return Variables.callbackToken(run.variables()).orElseThrow();
    }

    private static String logsPath(ProviderHarness.TestRun r) {
        var w = r.workflowId();
        return h(w.pipeline().knot() + "/" + w.pipeline().rkey() + "/" + w.name());
    }

    private static String h(String s) {
        return "/logs/" + s;
    }

    private static URI ws(ProviderHarness h, String path) {
        return URI.create(h.baseUrl().replace("http://", "ws://") + path);
    }

    private static String start(int id, String name, String command) {
        return "{\"kind\":\"control\",\"content\":\"" + name + "\"," + T + ",\"step_id\":" + id
                + ",\"step_status\":\"start\",\"step_kind\":1" + (command.isEmpty() ? "" : ",\"step_command\":\"" + command + "\"") + "}";
    }

    private static String end(int id, String name, String command) {
        return start(id, name, command).replace("\"step_status\":\"start\"", "\"step_status\":\"end\"");
    }

    private static String data(int id, String stream, String text) {
        return "{\"kind\":\"data\",\"content\":\"" + text + "\"," + T + ",\"step_id\":" + id + ",\"stream\":\"" + stream + "\"}";
    }

    @Test
    @DisplayName("a callback sequence shows live as user steps numbered with the provider's, exactly these /logs frames; repeats and older seqs change nothing")
    void sequence() throws Exception {
        Job job = new Job();
        StillClock clock = new StillClock();
        try (ProviderHarness h = ProviderHarness.builder(job).workflowTimeout(Duration.ofHours(3)).clock(clock).start()) {
            ProviderHarness.TestRun r = h.push("deploy.yml", "engine: job\n");
            Run run = job.next();
            assertEquals("https://weft.test/hooks/callback/" + run.id(), Variables.callbackUrl(run.variables()).orElseThrow());
            String token = token(run);
            assertTrue(token.matches("[A-Za-z0-9_-]{43}"), token);

            try (WebSocketRecorder logs = WebSocketRecorder.connect(ws(h, logsPath(r)));
                 WebSocketRecorder sub = WebSocketRecorder.connect(ws(h, "/xrpc/sh.tangled.ci.subscribePipelineLogs?pipeline="
                         + r.workflowId().pipeline().rkey()))) {
                List<String> live = new ArrayList<>(logs.awaitFrames(2, WAIT));

                String first = "{\"seq\": 7, \"events\": ["
                        + "{\"type\": \"step\", \"name\": \"deploy\", \"command\": \"./deploy.sh\", \"status\": \"start\"},"
                        + "{\"type\": \"line\", \"text\": \"uploading 3 files\", \"stream\": \"stdout\"},"
                        + "{\"type\": \"line\", \"text\": \"token " + token + " <ok> & done\", \"stream\": \"stderr\"},"
                        + "{\"type\": \"step\", \"name\": \"deploy\", \"status\": \"end\"}]}";
                Answer a = post(h, run.id(), token, first);
                assertEquals(new Answer(200, "{\"status\":\"accepted\",\"seq\":7}"), a);
                // Live: the lines are on /logs while the provider still runs.
                live.addAll(logs.awaitFrames(4, WAIT));
                assertEquals(List.of(
                        start(0, "provider", "make"),
                        data(0, "stdout", "from the provider"),
                        start(1, "deploy", "./deploy.sh"),
                        data(1, "stdout", "uploading 3 files"),
                        data(1, "stderr", "token *** \\u003cok\\u003e \\u0026 done"),
                        end(1, "deploy", "./deploy.sh")), live);

                // Repeated and older deliveries are acknowledged and change nothing.
                assertEquals(new Answer(200, "{\"status\":\"duplicate\",\"seq\":7,\"last_seq\":7}"), post(h, run.id(), token, first));
                assertEquals(200, post(h, run.id(), token,
                        "{\"seq\":3,\"events\":[{\"type\":\"step\",\"name\":\"old\",\"status\":\"start\"}]}").status());

                Answer second = post(h, run.id(), token, "{\"seq\":8,\"events\":[{\"type\":\"step\",\"name\":\"smoke\",\"status\":\"start\"},"
                        + "{\"type\":\"line\",\"text\":\"a\\nb\",\"step\":\"smoke\"}]}");
                assertEquals(200, second.status(), second.body());
                job.release.countDown();
                assertEquals(RunState.SUCCESS, r.awaitTerminal().state());
                assertEquals(1000, logs.awaitClose(WAIT));

                List<String> want = List.of(
                        start(0, "provider", "make"),
                        data(0, "stdout", "from the provider"),
                        start(1, "deploy", "./deploy.sh"),
                        data(1, "stdout", "uploading 3 files"),
                        data(1, "stderr", "token *** \\u003cok\\u003e \\u0026 done"),
                        end(1, "deploy", "./deploy.sh"),
                        start(2, "smoke", ""),
                        data(2, "stdout", "a"),
                        data(2, "stdout", "b"),
                        start(3, "later", ""),
                        data(3, "stdout", "after"),
                        end(3, "later", ""),
                        end(0, "provider", "make"),
                        end(2, "smoke", ""));
                assertEquals(want, logs.frames());
                assertEquals(want, r.logFrames());
                // The provider never saw the job's steps, open or not.
                assertEquals(List.of("provider", "open deploy: false", "open smoke: false"), job.providerSaw.get());

                assertEquals(1000, sub.awaitClose(WAIT));
                HexFormat hex = HexFormat.of();
                assertEquals(want.stream().map(f -> hex.formatHex(CiLogFrames.stored(f.getBytes(StandardCharsets.UTF_8),
                        r.workflowId().name(), T0))).toList(), sub.binaryFrames().stream().map(hex::formatHex).toList());
            }
        }
    }

    @Test
    @DisplayName("a missing, wrong, malformed or other run's token is 401; a path that is not a run is 404; GET is 405; nothing is written")
    void auth() throws Exception {
        Job job = new Job();
        try (ProviderHarness h = ProviderHarness.builder(job).workflowTimeout(Duration.ofHours(3)).clock(new StillClock()).start()) {
            ProviderHarness.TestRun a = h.push("a.yml", "engine: job\n");
            Run runA = job.next();
            ProviderHarness.TestRun b = h.push("b.yml", "engine: job\n");
            Run runB = job.next();
            assertNotEquals(token(runA), token(runB));
            String body = "{\"seq\":1,\"events\":[{\"type\":\"step\",\"name\":\"x\",\"status\":\"start\"}]}";

            assertEquals(401, post(h, runA.id(), null, body).status());
            assertEquals(401, post(h, runA.id(), "", body).status());
            assertEquals(401, post(h, runA.id(), token(runB), body).status());
            assertEquals(401, post(h, runA.id(), token(runA).substring(1), body).status());
            assertEquals(401, post(h, runA.id(), token(runA) + "x", body).status());
            assertEquals(401, post(h, "/hooks/callback/" + runA.id(), "Basic " + token(runA), body).status());
            assertEquals(401, post(h, "/hooks/callback/" + runA.id(), token(runA), body).status());
            Answer wrong = post(h, runA.id(), "nope", body);
            assertEquals("{\"error\":\"invalid token for this run\"}", wrong.body());
            assertEquals(404, post(h, "/hooks/callback/abc", "Bearer " + token(runA), body).status());
            assertEquals(404, post(h, "/hooks/callback/", "Bearer " + token(runA), body).status());
            assertEquals(404, post(h, "/hooks/callback/" + runA.id() + "/x", "Bearer " + token(runA), body).status());
            HttpResponse<String> get = HTTP.send(HttpRequest.newBuilder(URI.create(h.baseUrl() + "/hooks/callback/" + runA.id()))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(405, get.statusCode());

            assertEquals(2, a.logFrames().size(), "nothing written by refused callbacks: " + a.logFrames());
            // The right token still works afterwards, for its own run only.
            assertEquals(200, post(h, runB.id(), token(runB), body).status());
            assertEquals(3, b.logFrames().size());
            assertEquals(2, a.logFrames().size());
            job.release.countDown();
            a.awaitTerminal();
            b.awaitTerminal();
        }
    }

    @Test
    @DisplayName("non-JSON, wrong types, unknown event types, steps that are not open: 400 with the reason; too many events or lines: 413; nothing written")
    void badBodies() throws Exception {
        Job job = new Job();
        try (ProviderHarness h = ProviderHarness.builder(job).workflowTimeout(Duration.ofHours(3)).clock(new StillClock()).start()) {
            ProviderHarness.TestRun r = h.push("a.yml", "engine: job\n");
            Run run = job.next();
            String t = token(run);
            assertEquals(new Answer(400, "{\"error\":\"events[0].type: unknown event type \\\"progress\\\" (known: step, line)\"}"),
                    post(h, run.id(), t, "{\"seq\":1,\"events\":[{\"type\":\"progress\",\"text\":\"50%\"}]}"));
            assertEquals(400, post(h, run.id(), t, "not json").status());
            assertEquals(400, post(h, run.id(), t, "").status());
            assertEquals(400, post(h, run.id(), t, "[1,2]").status());
            assertEquals(400, post(h, run.id(), t, "{\"seq\":\"1\",\"events\":[]}").status());
            assertEquals(400, post(h, run.id(), t, "{\"seq\":-1,\"events\":[]}").status());
            assertEquals(400, post(h, run.id(), t, "{\"seq\":1.5,\"events\":[]}").status());
            assertEquals(400, post(h, run.id(), t, "{\"seq\":1,\"events\":{}}").status());
            assertEquals(400, post(h, run.id(), t, "{\"seq\":1,\"events\":[{\"type\":\"line\",\"text\":5}]}").status());
            assertEquals(new Answer(400, "{\"error\":\"event 0: a line needs an open step: send a step start first\"}"),
                    post(h, run.id(), t, "{\"seq\":1,\"events\":[{\"type\":\"line\",\"text\":\"orphan\"}]}"));
            // Validated whole before anything is written: the start of event 0 is not written either.
            assertEquals(new Answer(400, "{\"error\":\"event 1: step \\\"b\\\" is not open\"}"),
                    post(h, run.id(), t, "{\"seq\":1,\"events\":[{\"type\":\"step\",\"name\":\"a\",\"status\":\"start\"},"
                            + "{\"type\":\"step\",\"name\":\"b\",\"status\":\"end\"}]}"));

            StringBuilder many = new StringBuilder("{\"seq\":1,\"events\":[{\"type\":\"step\",\"name\":\"s\",\"status\":\"start\"}");
            for (int i = 0; i < CallbackBody.MAX_EVENTS; i++) many.append(",{\"type\":\"line\",\"text\":\"\"}");
            Answer tooMany = post(h, run.id(), t, many.append("]}").toString());
            assertEquals(413, tooMany.status());
            assertTrue(tooMany.body().contains("more than 10000"), tooMany.body());
            Answer lines = post(h, run.id(), t, "{\"seq\":1,\"events\":[{\"type\":\"step\",\"name\":\"s\",\"status\":\"start\"},"
                    + "{\"type\":\"line\",\"text\":\"" + "x\\n".repeat(100_000) + "\"}]}");
            assertEquals(413, lines.status());
            assertTrue(lines.body().contains("lines in one callback"), lines.body());

            assertEquals(2, r.logFrames().size(), "nothing written: " + r.logFrames());
            // The same seq is still free: refused bodies are not remembered as delivered.
            assertEquals(new Answer(200, "{\"status\":\"accepted\",\"seq\":1}"), post(h, run.id(), t,
                    "{\"seq\":1,\"events\":[{\"type\":\"step\",\"name\":\"s\",\"status\":\"start\"}]}"));
            job.release.countDown();
            r.awaitTerminal();
        }
    }

    @Test
    @DisplayName("a 10 MB callback is refused with 413 before its body is sent or buffered, chunked ones as soon as they pass 1 MiB; the server serves on")
    void oversized() throws Exception {
        Job job = new Job();
        try (ProviderHarness h = ProviderHarness.builder(job).workflowTimeout(Duration.ofHours(3)).clock(new StillClock()).start()) {
            ProviderHarness.TestRun r = h.push("a.yml", "engine: job\n");
            Run run = job.next();
            int port = URI.create(h.baseUrl()).getPort();
            String head = "POST /hooks/callback/" + run.id() + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token(run)
                    + "\r\nContent-Type: application/json\r\n";
            // Declared: answered from the headers alone, the body is never sent.
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write((head + "Content-Length: 10000000\r\nExpect: 100-continue\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                String answer = readAll(s.getInputStream());
                assertTrue(answer.startsWith("HTTP/1.1 413 "), answer);
                assertTrue(answer.contains("callback body over 1048576 bytes"), answer);
            }
            // Chunked: cut off once the bytes pass the limit.
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(10_000);
                OutputStream out = s.getOutputStream();
                out.write((head + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                byte[] chunk = ("10000\r\n" + "x".repeat(0x10000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
                try {
                    for (int i = 0; i < 160; i++) out.write(chunk); // 10 MiB if it were all read
                } catch (IOException closed) {
                    // the server closed the connection after its 413: expected
                }
                String answer = readAll(s.getInputStream());
                assertTrue(answer.startsWith("HTTP/1.1 413 "), answer);
            }
            assertEquals(200, post(h, run.id(), token(run),
                    "{\"seq\":1,\"events\":[{\"type\":\"step\",\"name\":\"s\",\"status\":\"start\"}]}").status());
            assertEquals(3, r.logFrames().size());
            job.release.countDown();
            r.awaitTerminal();
        }
    }

    private static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try {
            for (int n; (n = in.read(buf)) > 0; ) b.write(buf, 0, n);
        } catch (IOException reset) {
            // a reset after the answer: what arrived is what counts
        }
        return b.toString(StandardCharsets.US_ASCII);
    }

    @Test
    @DisplayName("after the run ended: acknowledged and ignored for 60 s, then 410; a wrong token is still 401")
    void afterTheEnd() throws Exception {
        Job job = new Job();
        StillClock clock = new StillClock();
        try (ProviderHarness h = ProviderHarness.builder(job).workflowTimeout(Duration.ofHours(3)).clock(clock).start()) {
            ProviderHarness.TestRun r = h.push("a.yml", "engine: job\n");
            Run run = job.next();
            job.release.countDown();
            r.awaitTerminal();
            List<String> frames = r.logFrames();
            String body = "{\"seq\":1,\"events\":[{\"type\":\"step\",\"name\":\"late\",\"status\":\"start\"}]}";
            assertEquals(new Answer(200, "{\"status\":\"ended\"}"), post(h, run.id(), token(run), body));
            clock.advance(Duration.ofSeconds(60));
            assertEquals(200, post(h, run.id(), token(run), body).status());
            clock.advance(Duration.ofSeconds(1));
            Answer gone = post(h, run.id(), token(run), body);
            assertEquals(410, gone.status());
            assertTrue(gone.body().contains("ended 61 s ago"), gone.body());
            assertEquals(401, post(h, run.id(), "forged", body).status());
            assertEquals(frames, r.logFrames());
        }
    }

    @Test
    @DisplayName("across a restart: the same token works, a repeated seq is still a repeat, and the job's open step stays hidden from the provider")
    void restart() throws Exception {
        Job job = new Job();
        ProviderHarness h = ProviderHarness.builder(job).workflowTimeout(Duration.ofHours(3)).clock(new StillClock()).stopWait(Duration.ofSeconds(2)).start();
        ProviderHarness.TestRun r = h.push("a.yml", "engine: job\n");
        Run run = job.next();
        String t = token(run);
        String body = "{\"seq\":5,\"events\":[{\"type\":\"step\",\"name\":\"deploy\",\"status\":\"start\"}]}";
        assertEquals(200, post(h, run.id(), t, body).status());
        // The job's provider thread is interrupted by the stop; its run stays open for the next start.
        ProviderHarness h2 = h.restart();
        try {
            Run resumed = job.next();
            assertEquals(run.id(), resumed.id());
            assertEquals(t, token(resumed));
            assertEquals(new Answer(200, "{\"status\":\"duplicate\",\"seq\":5,\"last_seq\":5}"), post(h2, run.id(), t, body));
            assertEquals(200, post(h2, run.id(), t, "{\"seq\":6,\"events\":[{\"type\":\"line\",\"text\":\"still here\"}]}").status());
            job.release.countDown();
            ProviderHarness.TestRun after = h2.run(r.workflowId());
            assertEquals(RunState.SUCCESS, after.awaitTerminal().state());
            // The job's step, still open across the restart, was the job's: the provider did not find it by name.
            assertEquals(List.of("provider", "open deploy: false", "open smoke: false"), job.providerSaw.get());
            List<String> frames = after.logFrames();
            assertEquals(List.of(
                    start(0, "provider", "make"),
                    data(0, "stdout", "from the provider"),
                    start(1, "deploy", ""),
                    data(1, "stdout", "still here"),
                    start(2, "later", ""),
                    data(2, "stdout", "after"),
                    end(2, "later", ""),
                    end(0, "provider", "make"),
                    end(1, "deploy", "")), frames);
        } finally {
            job.release.countDown();
            h2.close();
        }
    }
}
