package dev.weft.callbacks;

import dev.weft.model.Nanos;
import dev.weft.server.WebhookRoutes;
import dev.weft.spi.RunLog;
import dev.weft.spi.Step;
import dev.weft.spi.WebhookHandler;
import dev.weft.spi.WebhookRequest;
import dev.weft.spi.WebhookResponse;
import dev.weft.store.RunRecord;
import dev.weft.store.QueuedCallback;
import dev.weft.store.RunStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongFunction;

/**
 * Answers {@code POST /hooks/callback/<run id>}: checks the bearer token (constant time, before
 * anything is read from the store), the run's state, the body and its {@code seq}, then writes the
 * events into the run's log. In that order, so a forged call costs one HMAC and learns nothing.
 *
 * <p>Statuses: 200 accepted, or acknowledged and ignored (a repeated or older {@code seq}; a run
 * that ended less than {@link Callbacks#GRACE} ago, whose log is closed); 400 a body that is not
 * what {@link CallbackBody} reads, or events that do not fit the open steps; 401 a missing or wrong
 * token; 202 parked for the instance that drives the run (below); 404 not a callback URL; 410 the run ended more than {@link Callbacks#GRACE} ago; 413 too
 * many events (bodies over the byte limit never get here). Nothing is written unless the whole body
 * is accepted.
 *
 * <p>Deliveries of one run are applied one at a time; the last accepted {@code seq} is kept with the
 * run, so a delivery repeated after a restart is still recognised. Thread-safe.
 *
 * <p>With several instances on one database, a body that reaches an instance which does not drive
 * the run is checked the same way, then parked in the store and answered 202: the driving instance
 * applies parked bodies ({@link #applyQueued}) in seq order, so a run's log is numbered by one
 * writer only.
 */
final class CallbackReceiver implements WebhookHandler {
    private static final Logger log = LoggerFactory.getLogger(CallbackReceiver.class);
    /** The run attribute holding the last accepted seq (weft's own; providers' keys do not start with "weft."). */
    static final String SEQ_ATTRIBUTE = "weft.callback_seq";
    private static final String PREFIX = WebhookRoutes.CALLBACK_PREFIX;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final CallbackTokens tokens;
    private final RunStore runs;
    private final LongFunction<Optional<RunLog>> logs;
    private final Clock clock;
    private final Duration grace;
    /** Striped per-run locks: bounded, and nothing to clean up when runs end. */
    private final ReentrantLock[] locks = new ReentrantLock[64];
    /** Whether this instance drives a run (always, alone on a database). */
    private final java.util.function.LongPredicate drivenHere;

    CallbackReceiver(CallbackTokens tokens, RunStore runs, LongFunction<Optional<RunLog>> logs, Clock clock, Duration grace, java.util.function.LongPredicate drivenHere) {
        this.tokens = tokens;
        this.runs = runs;
        this.logs = logs;
        this.clock = clock;
        this.grace = grace;
        this.drivenHere = drivenHere;
        for (int i = 0; i < locks.length; i++) locks[i] = new ReentrantLock();
    }

    @Override
    public WebhookResponse handle(WebhookRequest request) {
        long runId = runId(request.path());
        if (runId <= 0) {
            log.info("callback {}: not a callback URL, answering 404", clip(request.path()));
            return error(404, "not a callback URL: expected /hooks/callback/<run id>");
        }
        Optional<String> token = bearer(request);
        if (token.isEmpty()) {
            log.info("callback for run {}: no bearer token, answering 401", runId);
            return error(401, "missing Authorization: Bearer <WEFT_CALLBACK_TOKEN>");
        }
        if (!tokens.verify(runId, token.get())) {
            log.info("callback for run {}: wrong token, answering 401", runId);
            return error(401, "invalid token for this run");
        }
        Optional<RunRecord> found = runs.run(runId);
        if (found.isEmpty()) {
            log.info("callback for run {}: no such run, answering 404", runId);
            return error(404, "no such run");
        }
        RunRecord run = found.get();
        if (run.state().isTerminal()) return ended(run);
        CallbackBody body;
        switch (CallbackBody.parse(request.body())) {
            case CallbackBody.Parsed.Ok ok -> body = ok.body();
            case CallbackBody.Parsed.TooMany t -> {
                log.info("callback for run {}: {}, answering 413", runId, t.reason());
                return error(413, t.reason());
            }
            case CallbackBody.Parsed.Bad b -> {
                log.info("callback for run {}: {}, answering 400", runId, b.reason());
                return error(400, b.reason());
            }
        }
        if (!drivenHere.test(runId)) return park(run, body, request.body());
        ReentrantLock lock = locks[(int) Long.remainderUnsigned(runId, locks.length)];
        lock.lock();
        try {
            return apply(run, body);
        } finally {
            lock.unlock();
        }
    }

    /** Another instance drives the run: the body waits in the store for it. */
    private WebhookResponse park(RunRecord run, CallbackBody body, byte[] raw) {
        long last = runs.attribute(run.id(), SEQ_ATTRIBUTE).map(Long::parseLong).orElse(-1L);
        if (body.seq() <= last) {
            return json(200, JSON.createObjectNode().put("status", "duplicate").put("seq", body.seq()).put("last_seq", last));
        }
        runs.queueCallback(run.id(), body.seq(), new String(raw, java.nio.charset.StandardCharsets.UTF_8), clock.instant());
        log.debug("callback for run {}: seq {} parked for the instance that drives it", run.id(), body.seq());
        return json(202, JSON.createObjectNode().put("status", "queued").put("seq", body.seq()));
    }

    /**
     * Applies the bodies other instances parked for runs this instance drives, in seq order, and
     * removes them (also those of runs that ended meanwhile). The job was already answered 202, so
     * a body that no longer fits (a line for a step since closed) is logged and dropped.
     */
    void applyQueued() {
        for (QueuedCallback q : runs.queuedCallbacks(500)) {
            if (!drivenHere.test(q.runId())) continue;
            Optional<RunRecord> run = runs.run(q.runId());
            if (run.isPresent() && !run.get().state().isTerminal()
                    && CallbackBody.parse(q.body().getBytes(java.nio.charset.StandardCharsets.UTF_8))
                    instanceof CallbackBody.Parsed.Ok ok) {
                ReentrantLock lock = locks[(int) Long.remainderUnsigned(q.runId(), locks.length)];
                lock.lock();
                try {
                    WebhookResponse r = apply(run.get(), ok.body());
                    if (r.status() != 200) {
                        log.info("parked callback for run {} seq {} dropped: {}", q.runId(), q.seq(),
                                new String(r.body(), java.nio.charset.StandardCharsets.UTF_8));
                    }
                } finally {
                    lock.unlock();
                }
            }
            runs.dropCallback(q.runId(), q.seq());
        }
    }

    private WebhookResponse apply(RunRecord run, CallbackBody body) {
        long runId = run.id();
        long last = runs.attribute(runId, SEQ_ATTRIBUTE).map(Long::parseLong).orElse(-1L);
        if (body.seq() <= last) {
            log.debug("callback for run {}: seq {} not above {}, ignored", runId, body.seq(), last);
            return json(200, JSON.createObjectNode().put("status", "duplicate").put("seq", body.seq()).put("last_seq", last));
        }
        Optional<RunLog> found = logs.apply(runId);
        if (found.isEmpty()) return error(404, "no such run");
        RunLog runLog = found.get();
        Map<String, List<Step>> open = openSteps(runLog);
        String misfit = check(body.events(), open);
        if (misfit != null) {
            log.info("callback for run {}: {}, answering 400", runId, misfit);
            return error(400, misfit);
        }
        try {
            write(runLog, body.events(), open);
        } catch (IllegalStateException e) {
            // The run ended while this body was written: its log is closed, nothing more can go in.
            log.info("callback for run {}: the run ended while its events were written ({})", runId, e.getMessage());
            return json(200, JSON.createObjectNode().put("status", "ended").put("seq", body.seq()));
        }
        runs.attribute(runId, SEQ_ATTRIBUTE, Long.toString(body.seq()));
        return json(200, JSON.createObjectNode().put("status", "accepted").put("seq", body.seq()));
    }

    /** A terminal run: acknowledged during the grace (its log is closed), gone after it. */
    private WebhookResponse ended(RunRecord run) {
        Duration since = Duration.ofNanos(Math.max(0, Nanos.of(clock.instant()) - run.updatedAt()));
        if (since.compareTo(grace) > 0) {
            log.info("callback for run {}: ended {} s ago, answering 410", run.id(), since.toSeconds());
            return error(410, "the run ended " + since.toSeconds() + " s ago; its callback URL is closed");
        }
        log.debug("callback for run {}: the run has ended, events ignored", run.id());
        return json(200, JSON.createObjectNode().put("status", "ended"));
    }

    /** The job's open steps by name, oldest first. */
    private static Map<String, List<Step>> openSteps(RunLog runLog) {
        Map<String, List<Step>> open = new HashMap<>();
        for (Step s : runLog.steps()) {
            if (!s.ended()) open.computeIfAbsent(s.name(), k -> new ArrayList<>()).add(s);
        }
        return open;
    }

    /**
     * Whether the events fit the open steps (an end or a line names an open step; a line without a
     * name needs one open): checked in full before anything is written. Null when they fit.
     */
    private static String check(List<CallbackEvent> events, Map<String, List<Step>> openNow) {
        Map<String, Integer> open = new HashMap<>();
        openNow.forEach((k, v) -> open.put(k, v.size()));
        int total = open.values().stream().mapToInt(Integer::intValue).sum();
        for (int i = 0; i < events.size(); i++) {
            switch (events.get(i)) {
                case CallbackEvent.StepStart s -> {
                    open.merge(s.name(), 1, Integer::sum);
                    total++;
                }
                case CallbackEvent.StepEnd e -> {
                    if (open.getOrDefault(e.name(), 0) == 0) return "event " + i + ": step \"" + e.name() + "\" is not open";
                    open.merge(e.name(), -1, Integer::sum);
                    total--;
                }
                case CallbackEvent.Line l -> {
                    if (l.step() != null && open.getOrDefault(l.step(), 0) == 0) {
                        return "event " + i + ": step \"" + l.step() + "\" is not open";
                    }
                    if (l.step() == null && total == 0) {
                        return "event " + i + ": a line needs an open step: send a step start first";
                    }
                }
            }
        }
        return null;
    }

    private static void write(RunLog runLog, List<CallbackEvent> events, Map<String, List<Step>> open) {
        // The latest started step still open takes lines that name none.
        List<Step> order = new ArrayList<>();
        open.values().forEach(order::addAll);
        order.sort((a, b) -> Integer.compare(a.id(), b.id()));
        for (CallbackEvent e : events) {
            switch (e) {
                case CallbackEvent.StepStart s -> {
                    Step step = runLog.startStep(s.name(), s.command());
                    open.computeIfAbsent(s.name(), k -> new ArrayList<>()).add(step);
                    order.add(step);
                }
                case CallbackEvent.StepEnd end -> {
                    List<Step> named = open.get(end.name());
                    Step step = named.remove(named.size() - 1);
                    step.end();
                    order.remove(step);
                }
                case CallbackEvent.Line l -> {
                    Step step = l.step() == null ? order.get(order.size() - 1)
                            : open.get(l.step()).get(open.get(l.step()).size() - 1);
                    step.line(l.stderr(), l.text(), null);
                }
            }
        }
    }

    /** The run id of {@code /hooks/callback/<digits>}, or -1. */
    static long runId(String path) {
        if (!path.startsWith(PREFIX)) return -1;
        String id = path.substring(PREFIX.length());
        if (id.isEmpty() || id.length() > 18) return -1;
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c < '0' || c > '9') return -1;
        }
        return Long.parseLong(id);
    }

    private static Optional<String> bearer(WebhookRequest request) {
        Optional<String> h = request.header("authorization");
        if (h.isEmpty()) return Optional.empty();
        String v = h.get().strip();
        if (v.length() < 7 || !v.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) return Optional.empty();
        String token = v.substring(7).strip();
        return token.isEmpty() ? Optional.empty() : Optional.of(token);
    }

    private static WebhookResponse error(int status, String message) {
        return json(status, JSON.createObjectNode().put("error", message));
    }

    private static WebhookResponse json(int status, ObjectNode body) {
        try {
            return new WebhookResponse(status, "application/json", JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e); // a tree of strings and numbers always serialises
        }
    }

    private static String clip(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "...";
    }
}
