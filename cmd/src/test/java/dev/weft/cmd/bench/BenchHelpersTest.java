package dev.weft.cmd.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Behaviour of the bench's helpers; nothing here is timed. */
class BenchHelpersTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    @DisplayName("percentiles are nearest-rank over the samples given, in any order")
    void percentiles() {
        Percentiles p = new Percentiles(new long[]{50, 10, 40, 20, 30, 100, 90, 80, 70, 60});
        assertEquals(10, p.count());
        assertEquals(50, p.at(50));
        assertEquals(100, p.at(99));
        assertEquals(10, p.at(0));
        assertEquals(10, p.at(1));
        assertEquals(100, p.max());
        assertThrows(IllegalStateException.class, () -> new Percentiles(new long[0]).at(50));
    }

    @Test
    @DisplayName("per-round ratios print each round and their median")
    void ratios() {
        assertEquals(0.5, Ratios.median(List.of(0.9, 0.1, 0.5)));
        assertEquals(0.5, Ratios.median(List.of(0.4, 0.6)));
        assertEquals("62.0 %, 89.0 %, 76.2 % (median 76.2 %)", Ratios.describe(List.of(0.62, 0.89, 0.762)));
        assertEquals("-", Ratios.describe(List.of()));
    }

    @Test
    @DisplayName("the load gate reads /proc's formats and counts only figures started below load 1.5 and run with others near idle")
    void load() {
        assertEquals(0.42, Load.parseLoadavg("0.42 0.55 0.22 1/159 6563\n"));
        // busy = user + nice + system + irq + softirq + steal; total adds idle and iowait; guest is in user
        assertArrayEquals(new long[]{100 + 2 + 30 + 4 + 5 + 6, 100 + 2 + 30 + 500 + 7 + 4 + 5 + 6},
                Load.parseCpuLine("cpu  100 2 30 500 7 4 5 6 9 9"));
        String stat = "4242 (java (bench) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 11 22 33 44 20 0 40 0";
        assertEquals(11 + 22 + 33 + 44, Load.parseSelfStat(stat));
        assertTrue(new Load.Gate(1.49, 0).idle());
        assertEquals("counted (load 1.49)", new Load.Gate(1.49, 0).verdict());
        assertFalse(new Load.Gate(1.5, 90).idle());
        assertFalse(new Load.Gate(Double.NaN, 0).idle());
        assertEquals("counted (load 0.30, other processes 0.05 cores)", new Load.Gate(0.3, 0).verdict(0.05));
        assertEquals("not counted (other processes 0.61 cores)", new Load.Gate(0.3, 0).verdict(0.61));
        assertEquals("not counted (load 1.82)", new Load.Gate(1.82, 0).verdict(0.05));
        Outcome met = new Outcome("pending", "p99 5 ms", "-", "p99 <= 20 ms", Outcome.Verdict.MET);
        assertEquals("met", Bench.verdict(met, new Load.Gate(0.3, 0), 0.05));
        assertEquals("met", Bench.verdict(met, new Load.Gate(0.3, 0), Double.NaN));
        assertEquals("met, not counted (load 1.82)", Bench.verdict(met, new Load.Gate(1.82, 0), 0.05));
        assertEquals("met, not counted (other processes 1.01 cores)", Bench.verdict(met, new Load.Gate(0.3, 0), 1.01));
        assertEquals("FAILED", Bench.verdict(Outcome.failed("events", "x"), new Load.Gate(1.82, 0), 1.0));
    }

    @Test
    @DisplayName("a decoded vector encodes to its expected bytes, both as a fresh array and into a buffer")
    void vectorsDecodeAsGoDoes() throws Exception {
        String line = "{\"case\":\"c\",\"shape\":\"logline\",\"input\":{\"kind\":\"data\",\"content_b64\":\"PGI+\","
                + "\"time\":{\"unix_seconds\":1700000000,\"nanos\":120000000,\"offset_seconds\":3600},\"step_id\":2,"
                + "\"stream\":\"stderr\",\"step_status\":\"\",\"step_kind\":0,\"step_command_b64\":\"\"},"
                + "\"expected\":\"{\\\"kind\\\":\\\"data\\\",\\\"content\\\":\\\"\\\\u003cb\\\\u003e\\\","
                + "\\\"time\\\":\\\"2023-11-14T23:13:20.12+01:00\\\",\\\"step_id\\\":2,\\\"stream\\\":\\\"stderr\\\"}\"}";
        Vectors.Input in = Vectors.parse(JSON.readTree(line));
        assertEquals("logline", in.shape());
        assertArrayEquals(in.expected(), in.encode());
        dev.weft.wire.WireBuffer b = new dev.weft.wire.WireBuffer(16);
        in.encodeInto(b);
        assertArrayEquals(in.expected(), b.toByteArray());

        String status = "{\"case\":\"s\",\"shape\":\"status\",\"input\":{\"$type\":\"\",\"createdAt\":\"2026-11-22T10:00:00Z\","
                + "\"error\":\"x\",\"exitCode\":-1,\"pipeline\":\"p\",\"status\":\"failed\",\"workflow\":\"w\"},"
                + "\"expected\":\"{\\\"$type\\\":\\\"\\\",\\\"createdAt\\\":\\\"2026-11-22T10:00:00Z\\\",\\\"error\\\":\\\"x\\\","
                + "\\\"exitCode\\\":-1,\\\"pipeline\\\":\\\"p\\\",\\\"status\\\":\\\"failed\\\",\\\"workflow\\\":\\\"w\\\"}\"}";
        Vectors.Input s = Vectors.parse(JSON.readTree(status));
        assertArrayEquals(s.expected(), s.encode());
    }

    @Test
    @DisplayName("the public vectors, when present, load split by shape and all encode as expected")
    void publicVectors() throws Exception {
        Path file = Path.of(System.getProperty("weft.shared", "../../shared"), "wire", "vectors.jsonl");
        if (!Files.isReadable(file)) return; // a checkout without ../shared
        Vectors.Inputs in = Vectors.load(file);
        assertEquals(in.all().length, in.logLines().length + in.statuses().length);
        assertEquals(0, in.mismatched());
        Path dir = Files.createTempDirectory("vectors");
        Path statuses = Vectors.subset(file, "status", dir);
        assertEquals(in.statuses().length, Vectors.load(statuses).all().length);
        WeftUnderTest.deleteTree(dir);
    }

    @Test
    @DisplayName("the bare server sends every frame to every waiting client, then close 1000")
    void bareServerFansOut() throws Exception {
        List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < 2500; i++) frames.add(("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8));
        try (BareWsServer bare = new BareWsServer(); WsClients clients = new WsClients(1)) {
            int port = bare.start();
            Viewers crowd = new Viewers(5);
            crowd.connect(clients, URI.create("ws://127.0.0.1:" + port + "/"), 30);
            bare.go(frames);
            assertTrue(crowd.awaitClosed(30), "every client closed");
            assertEquals(0, crowd.wrong(frames.size()), crowd.firstWrong(frames.size()));
            assertEquals(5L * frames.size(), crowd.totalFrames());
        }
    }

    @Test
    @DisplayName("a binary bare server (cilogs) sends every frame as binary; a binary crowd checks kind, count and bytes")
    void bareServerFansOutBinary() throws Exception {
        List<byte[]> stored = new ArrayList<>();
        for (int i = 0; i < 1500; i++) {
            stored.add(("{\"kind\":\"data\",\"content\":\"line " + i + "\",\"time\":\"2026-12-05T10:00:0" + (i % 10)
                    + "Z\",\"step_id\":1,\"stream\":\"stdout\"}").getBytes(StandardCharsets.UTF_8));
        }
        List<byte[]> frames = CiLogsScenario.wire(stored);
        assertEquals(stored.size(), frames.size());
        // DAG-CBOR: the header map {"t":"#data","op":1} first, never the JSON it came from
        assertEquals((byte) 0xa2, frames.get(0)[0]);
        long bytes = 0;
        for (byte[] f : frames) bytes += f.length;
        try (BareWsServer bare = new BareWsServer(true); WsClients clients = new WsClients(1)) {
            URI uri = URI.create("ws://127.0.0.1:" + bare.start() + "/");
            Viewers crowd = new Viewers(5, true);
            Viewers textCrowd = new Viewers(2);
            crowd.connect(clients, uri, 30);
            textCrowd.connect(clients, uri, 30);
            bare.go(frames);
            assertTrue(crowd.awaitClosed(30), "every client closed");
            assertTrue(textCrowd.awaitClosed(30), "every text client closed");
            assertEquals(0, crowd.wrong(frames.size(), bytes), crowd.firstWrong(frames.size(), bytes));
            assertEquals(5L * frames.size(), crowd.totalFrames());
            assertEquals(5, crowd.wrong(frames.size(), bytes + 1), "a byte count that differs makes every client wrong");
            // clients expecting text count binary frames apart and are all wrong
            assertEquals(0, textCrowd.totalFrames());
            assertEquals(2, textCrowd.wrong(frames.size()));
            assertTrue(textCrowd.firstWrong(frames.size()).contains(frames.size() + " binary frames"),
                    textCrowd.firstWrong(frames.size()));
        }
    }

    @Test
    @DisplayName("cilogs is a scenario, listed in the help and run after logs")
    void cilogsListed() {
        assertTrue(Bench.SCENARIOS.indexOf("cilogs") > Bench.SCENARIOS.indexOf("logs"));
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        Bench.usage(new java.io.PrintStream(out, true, StandardCharsets.UTF_8));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("cilogs    1,000 sh.tangled.ci.subscribePipelineLogs"));
    }

    @Test
    @DisplayName("bench usage errors exit 2 and name the offending argument")
    void usage() {
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream e = new java.io.PrintStream(err, true, StandardCharsets.UTF_8);
        java.io.PrintStream o = new java.io.PrintStream(new java.io.ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        assertEquals(2, Bench.run(List.of("nonsense"), o, e));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("nonsense"));
        assertEquals(2, Bench.run(List.of("--vectors"), o, e));
        assertEquals(0, Bench.run(List.of("--help"), o, e));
    }
}
