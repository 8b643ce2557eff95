package dev.weft.cmd.bench;

import dev.weft.model.PipelineId;
import dev.weft.model.RepoRef;
import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.model.StatusEvent;
import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;
import dev.weft.model.Workflow;
import dev.weft.model.Nanos;
import dev.weft.store.RunRecord;
import dev.weft.daemon.Databases;
import dev.weft.store.Stores;
import dev.weft.wire.StatusFrames;
import dev.weft.wire.Tid;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code weft bench events}: one {@code /events} client reading a backlog of 1,000,000 statuses
 * from cursor -1, then the same frames (encoded by weft from the same store) from a bare Netty
 * server ({@link BareWsServer}), one client of the same kind, in the same run: first one read of
 * each, not counted (the JIT compiles both paths and the client's), then three rounds (one under
 * {@code --quick}) of one read each, weft first in odd rounds and the bare server first in even
 * ones, and each read starts after a full GC, so neither side runs on the heap the other left.
 * Each read is timed from the client's handshake to its last frame. A round's figure is weft's rate over the bare server's in
 * that round; the median round counts. Target: weft at least 70 % of the bare server.
 *
 * <p>The backlog is written before weft starts, on the database file weft then opens (see
 * {@link #fill}): runs of three statuses ({@code pending, running, success}), two of two
 * ({@code pending, cancelled}) when that makes the total exact. Every run ends terminal, so weft's
 * start-up recovery finds nothing to resume and the backlog does not change under the client.
 */
final class EventsScenario {
    static final String NAME = "events";
    static final double TARGET = 0.70;
    static final String KNOT = "knot.weft-bench.localhost";
    private static final int WORKFLOWS_PER_TRIGGER = 1000;

    private EventsScenario() {
    }

    static Outcome run(BenchContext ctx) throws Exception {
        int n = ctx.pick(1_000_000, 100_000);
        Path dir = Files.createTempDirectory("weft-bench-events");
        try {
            Path db = dir.resolve("weft.db");
            long f0 = System.nanoTime();
            fill(db, n);
            ctx.say(NAME, "backlog of " + n + " published statuses built in " + Fmt.seconds(System.nanoTime() - f0)
                    + " (runs through the store API, statuses in one SQL transaction; " + Fmt.mib(Files.size(db))
                    + " database)");

            int rounds = ctx.pick(3, 1);
            List<Double> ratios = new ArrayList<>();
            List<Double> weftRates = new ArrayList<>();
            List<Double> bareRates = new ArrayList<>();
            try (WeftUnderTest w = WeftUnderTest.start(false, db, Map.of());
                 WsClients clients = new WsClients(1)) {
                long e0 = System.nanoTime();
                List<byte[]> frames = new ArrayList<>(n);
                for (long after = 0; ; ) {
                    List<StatusEvent> batch = w.weft.store().statuses().eventsAfter(after, 10_000);
                    if (batch.isEmpty()) break;
                    for (StatusEvent e : batch) frames.add(StatusFrames.frame(e));
                    after = batch.get(batch.size() - 1).id();
                }
                ctx.say(NAME, "the bare server's " + Fmt.count(frames.size()) + " frames encoded from the same store in "
                        + Fmt.seconds(System.nanoTime() - e0));
                if (frames.size() != n) return Outcome.failed(NAME, frames.size() + " statuses in the store, not " + n);
                URI weftUri = URI.create(w.wsBase() + "/events?cursor=-1");
                try (BareWsServer bare = new BareWsServer(frames)) {
                    URI bareUri = URI.create("ws://127.0.0.1:" + bare.start() + "/");
                    Backfill weftWarm = Backfill.read(clients, weftUri, n);
                    Backfill bareWarm = Backfill.read(clients, bareUri, n);
                    ctx.say(NAME, "warm-up, not counted: weft " + Fmt.count(weftWarm.rate()) + " statuses/s, bare netty "
                            + Fmt.count(bareWarm.rate()) + " statuses/s");
                    for (int round = 1; round <= rounds; round++) {
                        boolean weftFirst = round % 2 == 1;
                        Backfill bareSide = weftFirst ? null : Backfill.read(clients, bareUri, n);
                        Backfill weftSide = Backfill.read(clients, weftUri, n);
                        if (weftFirst) bareSide = Backfill.read(clients, bareUri, n);
                        boolean same = Arrays.equals(weftSide.first, frames.get(0))
                                && Arrays.equals(weftSide.last, frames.get(n - 1));
                        double ratio = weftSide.rate() / bareSide.rate();
                        ctx.say(NAME, "round " + round + "/" + rounds + " (" + (weftFirst ? "weft" : "bare") + " first): weft: "
                                + Fmt.count(weftSide.frames) + " frames (" + Fmt.mib(weftSide.bytes) + ") in "
                                + Fmt.seconds(weftSide.nanos) + ": " + Fmt.count(weftSide.rate()) + " statuses/s"
                                + (same ? "" : "; NOT the stored statuses (first or last frame differs)"));
                        if (!same) return Outcome.failed(NAME, "the client did not get the " + n + " stored statuses");
                        ctx.say(NAME, "  bare netty: " + Fmt.count(bareSide.frames) + " frames in "
                                + Fmt.seconds(bareSide.nanos) + ": " + Fmt.count(bareSide.rate()) + " statuses/s; "
                                + "weft / bare this round " + Fmt.percent(ratio) + "; " + ctx.load());
                        ctx.say(NAME, "  process CPU per status (server, client and GC together): weft "
                                + weftSide.cpuPerFrame() + ", bare " + bareSide.cpuPerFrame());
                        ratios.add(ratio);
                        weftRates.add(weftSide.rate());
                        bareRates.add(bareSide.rate());
                    }
                }
            }
            double median = Ratios.median(ratios);
            ctx.say(NAME, "median of " + rounds + ": weft / bare " + Fmt.percent(median) + " (target >= 70 %), per round "
                    + Ratios.describe(ratios) + "; median rates: weft " + Fmt.count(Ratios.median(weftRates))
                    + " statuses/s, bare " + Fmt.count(Ratios.median(bareRates)) + " statuses/s");
            return new Outcome(NAME, Fmt.count(Ratios.median(weftRates)) + " statuses/s (median)",
                    Fmt.count(Ratios.median(bareRates)) + " statuses/s (bare)",
                    ">= 70 % of bare: " + Ratios.describe(ratios), Outcome.atLeast(median, TARGET));
        } finally {
            WeftUnderTest.deleteTree(dir);
        }
    }

    /**
     * Writes exactly {@code n} published statuses into a new database at {@code db}: the schema,
     * triggers and runs through the {@link dev.weft.store.RunStore} API (Databases.open, RunStore#insertTrigger
     * with 1,000 workflows per trigger), then, in one SQL transaction on the same file, every run's
     * statuses as the events feed would have appended them (ids strictly increasing Unix
     * nanoseconds, each rkey {@link Tid#fromEventId} of its id), the runs' final state, and an
     * empty outbox. Publishing through the store API costs two store calls per status (next outbox
     * entry, publish), each a statement prepared and a transaction committed: about 100 µs of CPU
     * each here, minutes for a million. The result is checked through the store API.
     */
    static void fill(Path db, int n) throws SQLException {
        int twoStatusRuns = switch (n % 3) {
            case 0 -> 0;
            case 2 -> 1;
            default -> 2;
        };
        int threeStatusRuns = (n - 2 * twoStatusRuns) / 3;
        int runs = threeStatusRuns + twoStatusRuns;
        Instant now = Instant.now();
        long nanos = Nanos.of(now);
        List<RunRecord> runIds = new ArrayList<>(runs);
        try (Stores store = Databases.open(db)) {
            long rkeyBase = now.toEpochMilli() * 1000;
            RepoRef repo = new RepoRef(KNOT, WeftUnderTest.DID, WeftUnderTest.REPO);
            for (int t = 0; runIds.size() < runs; t++) {
                int count = Math.min(WORKFLOWS_PER_TRIGGER, runs - runIds.size());
                List<Workflow> workflows = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    workflows.add(new Workflow("workflow-" + i + ".yml", "stub", Workflow.CloneOptions.DEFAULT,
                            "engine: stub\n"));
                }
                String sha = String.format("%040x", t + 1);
                Trigger trigger = new Trigger(new PipelineId(KNOT, Tid.of(rkeyBase + t, 0)), repo,
                        new TriggerKind.Push("refs/heads/main", sha, "0".repeat(40)), workflows, now);
                runIds.addAll(store.runs().insertTrigger(trigger, nanos).orElseThrow());
            }
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db.toAbsolutePath())) {
            c.setAutoCommit(false);
            long id = nanos - 3L * n; // in the past, so events published later still sort after
            try (PreparedStatement e = c.prepareStatement("INSERT INTO status_events "
                    + "(id, rkey, run_id, state, error, exit_code, created_at, frame) VALUES (?,?,?,?,?,NULL,?,?)");
                 PreparedStatement r = c.prepareStatement("UPDATE runs SET state=?, updated_at=? WHERE id=?")) {
                int i = 0;
                for (RunRecord run : runIds) {
                    boolean three = i++ < threeStatusRuns;
                    String[] states = three ? new String[]{"pending", "running", "success"}
                            : new String[]{"pending", "cancelled"};
                    for (String state : states) {
                        id++;
                        e.setLong(1, id);
                        e.setString(2, Tid.fromEventId(id));
                        e.setLong(3, run.id());
                        e.setString(4, state);
                        e.setString(5, state.equals("cancelled") ? "cancelled" : null);
                        e.setLong(6, id);
                        // The frame publish stores with each status, so /events serves it as it would.
                        e.setBytes(7, StatusFrames.frame(new StatusEvent(id, Tid.fromEventId(id), run.workflow(),
                                Status.of(RunState.fromWire(state).orElseThrow(),
                                        state.equals("cancelled") ? "cancelled" : null, null), Nanos.instant(id))));
                        e.addBatch();
                    }
                    r.setString(1, three ? "success" : "cancelled");
                    r.setLong(2, id);
                    r.setLong(3, run.id());
                    r.addBatch();
                    if (i % 1000 == 0) {
                        e.executeBatch();
                        r.executeBatch();
                    }
                }
                e.executeBatch();
                r.executeBatch();
            }
            try (Statement s = c.createStatement()) {
                s.executeUpdate("DELETE FROM status_outbox");
            }
            c.commit();
        }
        try (Stores store = Databases.open(db)) {
            long open = store.runs().openRuns().size();
            List<StatusEvent> first = store.statuses().eventsAfter(0, 1);
            if (open != 0 || first.isEmpty() || store.statuses().nextDue().isPresent()) {
                throw new IllegalStateException("the backlog is not as intended: " + open + " open runs");
            }
        }
    }

    /** One client reading {@code expected} frames; remembers the first and the last. */
    private static final class Backfill {
        long frames;
        long bytes;
        long nanos;
        /** CPU time of the whole process (server, client, GC) during the read, or negative when unknown. */
        long cpuNanos;
        byte[] first;
        byte[] last;

        double rate() {
            return frames / (nanos / 1e9);
        }

        /** Process CPU per frame, {@code 1.23 µs}; what the rate falls to when the cores are shared. */
        String cpuPerFrame() {
            return cpuNanos < 0 || frames == 0 ? "unknown" : Fmt.fixed(cpuNanos / 1e3 / frames, 2) + " µs";
        }

        static Backfill read(WsClients clients, URI uri, long expected) throws Exception {
            // Both servers, the client and the bare server's million frames share this heap: start
            // each read on a collected heap, so neither side pays for the garbage the read before
            // it left (the side reading after weft's backfill did, and looked up to 2x slower).
            System.gc();
            Backfill b = new Backfill();
            long cpu0 = BenchContext.processCpuNanos();
            CountDownLatch done = new CountDownLatch(1);
            long[] openedAt = new long[1];
            Channel channel = clients.connect(uri, new WsClients.Listener() {
                @Override
                public void onOpen(long nanos) {
                    openedAt[0] = nanos;
                }

                @Override
                public void onText(ByteBuf content, long nanos) {
                    long i = ++b.frames;
                    b.bytes += content.readableBytes();
                    if (i == 1) b.first = ByteBufUtil.getBytes(content);
                    if (i == expected) {
                        b.last = ByteBufUtil.getBytes(content);
                        b.nanos = nanos - openedAt[0];
                        done.countDown();
                    }
                }

                @Override
                public void onClose(int code, long nanos) {
                    done.countDown();
                }
            }).get(30, TimeUnit.SECONDS);
            boolean finished = done.await(300, TimeUnit.SECONDS);
            b.cpuNanos = cpu0 < 0 ? -1 : BenchContext.processCpuNanos() - cpu0;
            channel.close().syncUninterruptibly();
            if (!finished) {
                throw new IllegalStateException("only " + b.frames + " of " + expected + " frames after 300 s");
            }
            if (b.frames < expected) throw new IllegalStateException("connection closed after " + b.frames + " frames");
            return b;
        }
    }
}
