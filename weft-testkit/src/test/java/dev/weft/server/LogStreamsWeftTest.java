package dev.weft.server;

import dev.weft.model.Nanos;
import dev.weft.model.RunState;
import dev.weft.model.TriggerKind;
import dev.weft.spi.LogFetch;
import dev.weft.spi.Provider;
import dev.weft.spi.ProviderContext;
import dev.weft.spi.ProviderFactory;
import dev.weft.spi.Run;
import dev.weft.spi.Step;
import dev.weft.testkit.Internals;
import dev.weft.testkit.ProviderHarness;
import dev.weft.testing.WebSocketRecorder;
import dev.weft.wire.CiLogFrames;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Both log streams against a real weft: what the runtime stores is what is streamed, and when streams end. */
class LogStreamsWeftTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final HexFormat HEX = HexFormat.of();

    /** An engine made of a spawn and a log fetch. */
    private static ProviderFactory engine(String name, SpawnFn spawn, FetchFn fetch) {
        return new ProviderFactory() {
            @Override
            public String engine() {
                return name;
            }

            @Override
            public Provider create(ProviderContext context) {
                return new Provider() {
                    @Override
                    public void spawn(Run run) throws Exception {
                        spawn.spawn(run);
                    }

                    @Override
                    public LogFetch fetchLogs(Run run) {
                        return fetch.fetch(run);
                    }

                    @Override
                    public void close() {
                    }
                };
            }
        };
    }

    interface SpawnFn {
        void spawn(Run run) throws Exception;
    }

    interface FetchFn {
        LogFetch fetch(Run run);
    }

    private static URI ws(ProviderHarness h, String pathAndQuery) {
        return URI.create(h.baseUrl().replace("http://", "ws://") + pathAndQuery);
    }

    /** The subscription frames of a run's stored lines, as hex (the stored frames carry their times). */
    private static List<String> expected(ProviderHarness.TestRun r) {
        Instant unused = Instant.EPOCH; // every stored line has a time
        return r.logFrames().stream()
                .map(f -> HEX.formatHex(CiLogFrames.stored(f.getBytes(StandardCharsets.UTF_8), r.workflowId().name(), unused)))
                .toList();
    }

    private static List<String> of(List<String> got, List<String> mine) {
        Set<String> set = Set.copyOf(mine);
        return got.stream().filter(set::contains).toList();
    }

    @Test
    @DisplayName("two running workflows: the subscription streams both as they write, then closes 1000 once both are terminal")
    void liveTwoWorkflows() {
        CountDownLatch release = new CountDownLatch(1);
        ProviderFactory talker = engine("talker", run -> {
            run.status().running();
            Step s = run.log().startStep("build", "make", false, null);
            for (int i = 0; i < 200; i++) s.line(i % 3 == 0, run.workflowId().name() + " says " + i, null);
            release.await();
            for (int i = 200; i < 400; i++) s.line(false, run.workflowId().name() + " says " + i, null);
            run.status().success();
        }, run -> LogFetch.COMPLETE);
        try (ProviderHarness h = ProviderHarness.builder(talker).start()) {
            Map<String, String> wfs = new LinkedHashMap<>();
            wfs.put("a.yml", "engine: talker\n");
            wfs.put("b.yml", "engine: talker\n");
            List<ProviderHarness.TestRun> runs = h.submitAll(new TriggerKind.Push("refs/heads/main", ProviderHarness.SHA,
                    "0".repeat(40)), wfs);
            String tid = runs.get(0).workflowId().pipeline().rkey();
            runs.forEach(r -> r.awaitState(RunState.RUNNING));

            try (WebSocketRecorder ws = WebSocketRecorder.connect(ws(h, "/xrpc/sh.tangled.ci.subscribePipelineLogs?pipeline=" + tid))) {
                assertEquals(101, ws.handshakeStatus());
                ws.awaitBinaryFrames(2 * 201, WAIT); // both workflows' first lines, while they run
                release.countDown();
                assertEquals(1000, ws.awaitClose(WAIT));
                List<String> got = ws.binaryFrames().stream().map(HEX::formatHex).toList();
                for (ProviderHarness.TestRun r : runs) {
                    assertEquals(RunState.SUCCESS, r.awaitTerminal().state());
                    List<String> want = expected(r);
                    assertEquals(1 + 400 + 1, want.size(), "start, 400 lines, end");
                    assertEquals(want, of(got, want), r.workflowId().toString());
                }
                assertEquals(2 * 402, got.size());
                assertEquals(List.of(), ws.frames());
            }
        }
    }

    @Test
    @DisplayName("a provider that never completes its log: /logs and the subscription still end within 5 s of the terminal status")
    void terminalGrace() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        ProviderFactory lingering = engine("lingering", run -> {
            run.attach("ext-" + run.id(), null);
            run.status().running();
            run.status().success(); // no lines while running: a viewer's open asks fetchLogs
        }, run -> {
            Step s = run.log().startStep("fetched", "", false, null);
            s.line(false, "from the backend", null);
            // Keep the writer open for good, as a provider still tailing its backend would.
            Thread.ofVirtual().start(() -> {
                try {
                    never.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            return LogFetch.COMPLETE;
        });
        try (ProviderHarness h = ProviderHarness.builder(lingering).start()) {
            ProviderHarness.TestRun r = h.push("ci.yml", "engine: lingering\n");
            r.awaitTerminal();
            Instant terminal = Nanos.instant(Internals.record(r).updatedAt());
            var w = r.workflowId();

            try (WebSocketRecorder logs = WebSocketRecorder.connect(ws(h, "/logs/" + w.pipeline().knot() + "/"
                    + w.pipeline().rkey() + "/" + w.name()));
                 WebSocketRecorder sub = WebSocketRecorder.connect(ws(h, "/xrpc/sh.tangled.ci.subscribePipelineLogs?pipeline="
                         + w.pipeline().rkey()))) {
                assertEquals(List.of(r.logFrames().get(0), r.logFrames().get(1)), logs.awaitFrames(2, WAIT));
                assertEquals(1000, logs.awaitClose(WAIT));
                assertEquals(1000, sub.awaitClose(WAIT));
                Duration after = Duration.between(terminal, Instant.now());
                assertTrue(after.compareTo(Duration.ofMillis(6500)) < 0, "closed " + after + " after the terminal status");
                assertTrue(after.compareTo(Duration.ofMillis(4900)) > 0, "the open writer was waited for: " + after);
                assertEquals("log stream complete", logs.closeReason());
                assertEquals(expected(r), sub.binaryFrames().stream().map(HEX::formatHex).toList());
            } finally {
                never.countDown();
            }
        }
    }
}
