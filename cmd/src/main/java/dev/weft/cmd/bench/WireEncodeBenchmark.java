package dev.weft.cmd.bench;

import dev.weft.wire.WireBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * JMH side of {@code weft bench wire}: one invocation encodes every vector of a set once, exactly
 * like one pass of go-encode's timing loop, so records per second are invocations per second times
 * the set's size ({@link WireScenario} does the multiplication). Inputs are decoded in setup and
 * outside the timing, as on the Go side.
 *
 * <p>{@link #all} is the headline: each record to a fresh {@code byte[]}, which is what Go's
 * {@code json.Marshal} returns and what weft's log writer stores. {@link #allReused} appends to one
 * reused {@link WireBuffer}, the allocation-free path weft's encoders offer.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class WireEncodeBenchmark {
    /** The vector file (absolute path); set by {@link WireScenario}. */
    @Param("")
    public String vectors;

    private Vectors.Input[] all;
    private Vectors.Input[] logLines;
    private Vectors.Input[] statuses;
    private WireBuffer buffer;

    @Setup(Level.Trial)
    public void load() throws IOException {
        Vectors.Inputs in = Vectors.load(Path.of(vectors));
        all = in.all();
        logLines = in.logLines();
        statuses = in.statuses();
        buffer = new WireBuffer(1 << 12);
    }

    @Benchmark
    public void all(Blackhole bh) {
        encode(all, bh);
    }

    @Benchmark
    public long allReused() {
        long bytes = 0;
        WireBuffer b = buffer;
        for (Vectors.Input in : all) {
            in.encodeInto(b.reset());
            bytes += b.length();
        }
        return bytes;
    }

    @Benchmark
    public void logline(Blackhole bh) {
        encode(logLines, bh);
    }

    @Benchmark
    public void status(Blackhole bh) {
        encode(statuses, bh);
    }

    /** Every array goes to the blackhole, so the JIT cannot drop a copy nobody reads. */
    private static void encode(Vectors.Input[] inputs, Blackhole bh) {
        for (Vectors.Input in : inputs) bh.consume(in.encode());
    }
}
