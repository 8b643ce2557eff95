package dev.weft.notifications;

import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.model.Trigger;
import dev.weft.model.WorkflowId;
import dev.weft.notify.Delivery;
import dev.weft.notify.Notification;
import dev.weft.notify.NotificationJson;
import dev.weft.notify.Notifier;
import dev.weft.runs.RunNotices;
import dev.weft.store.LogStore;
import dev.weft.store.NotificationStore;
import dev.weft.store.NotificationStore.NewNotice;
import dev.weft.store.NotificationStore.OutboxNotice;
import dev.weft.store.NotificationStore.PendingNotice;
import dev.weft.store.RunRecord;
import dev.weft.store.RunStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The notification runtime. One platform thread, {@code weft-notify} (the intake), turns the
 * statuses the run store queued ({@code notify_pending}) into outbox rows, atomically with their
 * incident, and keeps each notifier's backlog within {@link Options#maxQueued}. One more platform
 * thread per notifier, {@code weft-notify-<name>} (its delivery lane), delivers only that
 * notifier's due rows, with retries and backoff. Separate lanes because a notifier is an HTTP
 * endpoint someone else runs: one that hangs costs its own lane a request timeout per attempt, and
 * must cost neither the other notifiers' deliveries nor the intake of new statuses.
 *
 * <p>It owns every thread ({@link #start}, {@link #close}), every retry and every failure: a
 * notifier that hangs, throws or keeps failing delays only its own notifications, is counted in
 * {@code weft.notify.*} metrics and logged, and never touches a run.
 */
public final class Notifications implements RunNotices, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Notifications.class);

    /**
     * Tunables; {@link #defaults()} for {@code weft serve}.
     *
     * @param poll        how often the intake and each lane look for work when nobody woke them
     * @param minBackoff  the first retry's delay, doubled per attempt
     * @param maxBackoff  the longest delay between attempts (also caps {@code Retry-After}), and the
     *                    longest a failing notifier's lane pauses
     * @param maxAttempts attempts before a notification is given up (and logged)
     * @param maxQueued   queued rows per notifier beyond which the oldest are given up: a flood of
     *                    failures costs bounded disk and delivery time
     * @param requestTimeout how long one notifier HTTP exchange may take: a hung endpoint costs this,
     *                    then a retry later
     */
    public record Options(Duration poll, Duration minBackoff, Duration maxBackoff, int maxAttempts, int maxQueued,
                          Duration requestTimeout) {
        public static Options defaults() {
            return new Options(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofMinutes(10), 12, 10_000,
                    Duration.ofSeconds(10));
        }
    }

    private final RunStore runs;
    private final LogStore logs;
    private final NotificationStore store;
    private final NotifyOptions notifyOptions;
    private final AdviceFile advice;
    private final Map<String, Notifier> notifiers = new LinkedHashMap<>();
    private final NotificationBuilder builder;
    private final Clock clock;
    private final Options options;
    private final MeterRegistry meters;
    private final Map<String, AtomicInteger> failing = new ConcurrentHashMap<>();
    private final Map<String, Lane> lanes = new LinkedHashMap<>();
    private volatile Thread intake;
    private volatile boolean stopping;

    /** Per notifier, what the intake dropped and has not logged yet (intake thread only). */
    private final Map<String, DropLog> drops = new java.util.HashMap<>();

    /**
     * A flood drops rows after every batch of statuses: the first drop is logged at once, later
     * ones at most once a minute with their sum, so the operator is told without a log flood
     * (the {@code dropped} counter has every one).
     */
    private final class DropLog {
        private static final long EVERY = Duration.ofMinutes(1).toNanos();
        private long unlogged;
        private long loggedAt;
        private boolean logged;

        void add(String notifier, int dropped) {
            unlogged += dropped;
            long now = System.nanoTime();
            if (logged && now - loggedAt < EVERY) return;
            log.error("notifier {}: {} notifications dropped, more than {} waited for delivery", notifier, unlogged,
                    options.maxQueued());
            unlogged = 0;
            loggedAt = now;
            logged = true;
        }
    }

    /** Rows one lane takes per pass: few enough that a pass is short when the endpoint answers. */
    private static final int BATCH = 50;
    /** How long {@link #close} waits for all of its threads together. */
    private static final Duration STOP_WAIT = Duration.ofSeconds(10);

    public Notifications(RunStore runs, LogStore logs, NotificationStore store, NotifyOptions notifyOptions,
                         AdviceFile advice, List<Notifier> notifiers, Clock clock, Options options, MeterRegistry meters) {
        this.runs = runs;
        this.logs = logs;
        this.store = store;
        this.notifyOptions = notifyOptions;
        this.advice = advice;
        for (Notifier n : notifiers) this.notifiers.put(n.name(), n);
        this.builder = new NotificationBuilder(notifyOptions);
        this.clock = clock;
        this.options = options;
        this.meters = meters;
        for (Notifier n : notifiers) {
            AtomicInteger f = new AtomicInteger();
            failing.put(n.name(), f);
            lanes.put(n.name(), new Lane(n, f));
            Gauge.builder("weft.notify.failing", f, AtomicInteger::get).tag("notifier", n.name())
                    .description("consecutive failed deliveries of a notifier (0 = healthy)").register(meters);
            Gauge.builder("weft.notify.queued", store, s -> s.queued(n.name())).tag("notifier", n.name())
                    .description("notifications waiting for delivery").register(meters);
        }
    }

    /** The notifiers in use, by name. */
    public List<String> notifierNames() {
        return List.copyOf(notifiers.keySet());
    }

    /** Notifiers whose last deliveries failed, with how many in a row: what an operator should look at. */
    public Map<String, Integer> failingNotifiers() {
        Map<String, Integer> out = new LinkedHashMap<>();
        failing.forEach((k, v) -> {
            if (v.get() > 0) out.put(k, v.get());
        });
        return out;
    }

    /** The appview's page of one workflow, as notifications link to it ({@code WEFT_APPVIEW_URL}). */
    public String appviewLink(dev.weft.model.RepoRef repo, String rkey, String workflow) {
        return notifyOptions.workflowLink(repo, rkey, workflow);
    }

    /**
     * Why a failed (or timed-out) run failed, as notifications tell it: the failing step, its last
     * lines, the advice {@code WEFT_ADVICE_FILE} matches, and since when this workflow has been
     * failing on its branch (the open incident), when it is.
     *
     * @param step     the failing step's name, empty when the run wrote none
     * @param lines    its last lines ({@link FailureContext#LINES} at most)
     * @param advice   the matched advice's text and link, empty when none matched
     * @param failingSince when the open incident of this repository, workflow and branch opened
     */
    public record FailureSummary(String step, List<String> lines, List<String> advice, Optional<java.time.Instant> failingSince) {
        public FailureSummary {
            lines = List.copyOf(lines);
            advice = List.copyOf(advice);
        }
    }

    /** The summary of {@code run} of {@code trigger}'s pipeline; empty when it did not fail or time out. */
    public Optional<FailureSummary> failure(RunRecord run, Trigger trigger) {
        if (run.state() != RunState.FAILED && run.state() != RunState.TIMEOUT) return Optional.empty();
        FailureContext failure = FailureContext.of(logs, run.id());
        List<String> text = advice.rules().adviceFor(NotificationBuilder.facts(run, trigger, failure))
                .map(a -> a.link().isEmpty() ? List.of(a.text()) : List.of(a.text(), a.link())).orElse(List.of());
        Optional<java.time.Instant> since = store.openIncident(NotificationBuilder.scopeOf(trigger, run.workflow().name()))
                .map(i -> java.time.Instant.ofEpochMilli(i.openedAt()));
        return Optional.of(new FailureSummary(failure.step().name(), failure.texts(), text, since));
    }

    /** Starts the intake and one delivery lane per notifier; {@link #close} ends them. */
    public Notifications start() {
        intake = Thread.ofPlatform().name("weft-notify").daemon().start(this::intakeLoop);
        for (Lane l : lanes.values()) l.start();
        return this;
    }

    @Override
    public void statusStored() {
        Thread t = intake;
        if (t != null) LockSupport.unpark(t);
    }

    @Override
    public Optional<List<String>> advice(long runId, String engine, Trigger trigger, WorkflowId workflow, Status end) {
        AdviceRules rules = advice.rules();
        if (rules.rules().isEmpty()) return Optional.empty();
        FailureContext failure = FailureContext.of(logs, runId);
        RunRecord run = new RunRecord(runId, workflow, engine, end.state(), 0, 0, null, null,
                end.error().orElse(""), end.exitCode().orElse(null), null, false);
        return rules.adviceFor(NotificationBuilder.facts(run, trigger, failure)).map(a -> a.link().isEmpty()
                ? List.of(a.text()) : List.of(a.text(), "See " + a.link()));
    }

    private void intakeLoop() {
        try {
            giveUpUnconfigured();
        } catch (RuntimeException e) {
            log.error("notifications: {}", e.toString());
        }
        while (!stopping) {
            boolean busy;
            try {
                busy = pendingOnce();
            } catch (RuntimeException e) {
                // The store is failing (disk full, closing): wait and try again, never die silently.
                if (stopping) return;
                log.error("notifications: {}", e.toString());
                busy = false;
            }
            if (!busy) LockSupport.parkNanos(options.poll().toNanos());
        }
    }

    /** Rows of a notifier removed from the configuration have no lane: they are given up, once, here. */
    private void giveUpUnconfigured() {
        for (String n : store.queuedNotifiers()) {
            if (lanes.containsKey(n)) continue;
            int dropped = store.trim(n, 0, "notifier " + n + " is not configured any more");
            log.warn("{} notifications for {} dropped: that notifier is not configured any more", dropped, n);
        }
    }

    /**
     * Turns queued statuses into outbox rows, keeps every notifier's backlog within
     * {@link Options#maxQueued} and wakes the lanes; true when it did any.
     */
    boolean pendingOnce() {
        List<PendingNotice> batch = store.pending(100);
        if (batch.isEmpty()) return false;
        if (notifiers.isEmpty()) {
            // Nothing to tell anyone: no run or trigger to read, one write for the whole batch.
            store.discard(batch.stream().map(PendingNotice::seq).toList());
            return true;
        }
        AdviceRules rules = advice.rules();
        for (PendingNotice p : batch) {
            if (stopping) return true;
            handle(p, rules);
        }
        // Here, not in the lanes: a lane stuck in a hung request must not stop its backlog's bound.
        for (String n : notifiers.keySet()) {
            int dropped = store.trim(n, options.maxQueued(), "dropped: more than " + options.maxQueued() + " queued");
            if (dropped > 0) {
                meters.counter("weft.notify.deliveries", "notifier", n, "outcome", "dropped").increment(dropped);
                drops.computeIfAbsent(n, k -> new DropLog()).add(n, dropped);
            }
        }
        for (Lane l : lanes.values()) l.wake();
        return true;
    }

    private void handle(PendingNotice p, AdviceRules rules) {
        long now = clock.millis();
        Optional<RunRecord> run = runs.run(p.runId());
        Optional<RunState> state = RunState.fromWire(p.state());
        Optional<Trigger> trigger = run.flatMap(r -> runs.trigger(r.workflow().pipeline()));
        if (run.isEmpty() || state.isEmpty() || trigger.isEmpty() || notifiers.isEmpty()) {
            store.queue(p.seq(), new NotificationStore.IncidentChange.None(), id -> List.of(), now);
            return;
        }
        RunRecord r = run.get();
        Trigger t = trigger.get();
        boolean failingState = state.get() == RunState.FAILED || state.get() == RunState.TIMEOUT;
        FailureContext failure = failingState ? FailureContext.of(logs, r.id()) : FailureContext.NONE;
        var open = store.openIncident(NotificationBuilder.scopeOf(t, r.workflow().name()));
        NotificationBuilder.Decision d;
        try {
            d = builder.decide(r, state.get(), t, open, failure, rules);
        } catch (RuntimeException e) {
            log.error("notification for run {} ({}) could not be built and is skipped: {}", r.id(), p.state(), e.toString());
            store.queue(p.seq(), new NotificationStore.IncidentChange.None(), id -> List.of(), now);
            return;
        }
        List<Notification.WorkflowStatus> workflows = runs.runs(r.workflow().pipeline()).stream()
                .map(x -> new Notification.WorkflowStatus(x.workflow().name(), x.state().wireName())).toList();
        List<NewNotice> pipelineUpdates = state.get().isTerminal() ? pipelineUpdates(r, state.get(), d, workflows) : List.of();
        store.queue(p.seq(), d.change(), incident -> {
            List<NewNotice> rows = new ArrayList<>(pipelineUpdates);
            if (d.notification() == null) return rows;
            Notification n = d.notification().withWorkflows(d.notification().id(), workflows);
            if (n.incident() != null && n.incident().id() == 0) {
                n = n.withIncident(new Notification.Incident(incident, true, false));
            }
            String body = NotificationJson.write(n);
            for (Notifier x : notifiers.values()) {
                if (d.repeat() && !x.updatesInPlace()) continue;
                rows.add(new NewNotice(n.id(), x.name(), body));
            }
            return rows;
        }, now);
    }

    /**
     * A message that stands for an incident shows its pipeline: when another workflow of a pipeline
     * whose failure a notifier's message shows ends, that message is updated (notifiers that update
     * in place only) with the pipeline's workflows as they are now.
     */
    private List<NewNotice> pipelineUpdates(RunRecord r, RunState state, NotificationBuilder.Decision d,
                                            List<Notification.WorkflowStatus> workflows) {
        if (notifiers.values().stream().noneMatch(Notifier::updatesInPlace)) return List.of();
        // A workflow that starts failing in a pipeline whose message is already up sends its own
        // notification into that same message (see deliver), which shows the workflows too: one update.
        if (d.notification() != null && d.change() instanceof NotificationStore.IncidentChange.Open) return List.of();
        long own = switch (d.change()) {
            case NotificationStore.IncidentChange.Update u -> u.id();
            case NotificationStore.IncidentChange.Close c -> c.id();
            default -> 0;
        };
        List<NewNotice> out = new ArrayList<>();
        for (long incident : store.openIncidentsOfPipeline(r.workflow().pipeline().atUri())) {
            if (incident == own) continue;
            for (Notifier x : notifiers.values()) {
                if (!x.updatesInPlace()) continue;
                Optional<String> last = store.lastBody(incident, x.name());
                if (last.isEmpty()) continue;
                try {
                    Notification shown = NotificationJson.read(last.get());
                    String id = NotificationBuilder.derivedId(shown.id(), NotificationBuilder.idOf(r, state));
                    out.add(new NewNotice(id, x.name(), NotificationJson.write(shown.withWorkflows(id, workflows)), incident));
                } catch (IllegalArgumentException e) {
                    log.warn("incident {}: its last message is unreadable, not updated: {}", incident, e.getMessage());
                }
            }
        }
        return out;
    }

    /**
     * One message per pipeline for notifiers that update in place: an incident without a message of
     * its own takes the message of another open incident of the same pipeline (the first workflow
     * that failed there), and keeps it once delivered, so its fix updates that message too.
     */
    private Optional<String> pipelineMessage(OutboxNotice o, Notification notification) {
        for (long other : store.openIncidentsOfPipeline(notification.pipeline())) {
            if (other == o.incidentId()) continue;
            Optional<String> ref = store.incidentRef(other, o.notifier());
            if (ref.isPresent()) return ref;
        }
        return Optional.empty();
    }

    /**
     * One notifier's delivery lane: its due rows, oldest first, one at a time. After a retryable
     * failure the lane pauses as a whole (doubling per failure in a row, or the receiver's
     * {@code Retry-After}) rather than trying the rest of its batch: against an endpoint that just
     * timed out, each of them would wait out its own timeout too.
     */
    private final class Lane {
        private final Notifier notifier;
        private final AtomicInteger failing;
        private volatile Thread thread;

        Lane(Notifier notifier, AtomicInteger failing) {
            this.notifier = notifier;
            this.failing = failing;
        }

        void start() {
            thread = Thread.ofPlatform().name("weft-notify-" + notifier.name()).daemon().start(this::loop);
        }

        /** New rows may be due; a lane pausing after a failure keeps pausing. */
        void wake() {
            Thread t = thread;
            if (t != null) LockSupport.unpark(t);
        }

        void interrupt() {
            Thread t = thread;
            if (t != null) t.interrupt();
        }

        Thread thread() {
            return thread;
        }

        private void loop() {
            while (!stopping) {
                Duration pause = null;
                boolean busy;
                try {
                    List<OutboxNotice> due = store.due(notifier.name(), clock.millis(), BATCH);
                    for (OutboxNotice o : due) {
                        if (stopping) return;
                        pause = deliver(o);
                        if (pause != null) break;
                    }
                    busy = !due.isEmpty();
                } catch (RuntimeException e) {
                    if (stopping) return;
                    log.error("notifier {}: {}", notifier.name(), e.toString());
                    busy = false;
                }
                if (pause != null) {
                    // A wake-up (a new row) does not end the pause: only the time or close() does.
                    long until = System.nanoTime() + pause.toNanos();
                    for (long left; !stopping && (left = until - System.nanoTime()) > 0; ) LockSupport.parkNanos(left);
                } else if (!busy) {
                    LockSupport.parkNanos(options.poll().toNanos());
                }
            }
        }

        /** Delivers one row; returns how long the lane pauses after it, or null to go on. */
        private Duration deliver(OutboxNotice o) {
            Notifier n = notifier;
            Notification notification;
            try {
                notification = NotificationJson.read(o.body());
            } catch (IllegalArgumentException e) {
                store.giveUp(o.id(), o.notifier(), e.getMessage());
                log.error("notification {} unreadable, dropped: {}", o.id(), e.getMessage());
                return null;
            }
            Optional<String> ref = o.incidentId() == null ? Optional.empty() : store.incidentRef(o.incidentId(), o.notifier());
            if (ref.isEmpty() && o.incidentId() != null && n.updatesInPlace()) ref = pipelineMessage(o, notification);
            Delivery d;
            try {
                d = n.deliver(notification, ref);
                if (d == null) d = new Delivery.Retry("notifier returned no outcome");
            } catch (RuntimeException e) {
                d = new Delivery.Retry(e.toString());
            }
            AtomicInteger f = failing;
            switch (d) {
                case Delivery.Sent s -> {
                    store.delivered(o.id(), o.notifier(), o.incidentId(), s.ref());
                    if (f.getAndSet(0) > 0) log.info("notifier {} delivers again", n.name());
                    count(n, "sent");
                    log.debug("notification {} ({}) sent to {}", o.id(), notification.event().wireName(), n.name());
                    return null;
                }
                case Delivery.Retry r -> {
                    // Interrupted by close(): the row stays as it was, due again at the next start.
                    if (stopping) return null;
                    int failures = f.incrementAndGet();
                    count(n, "retry");
                    Duration pause = backoff(failures, r.after());
                    int attempt = o.attempts() + 1;
                    if (attempt >= options.maxAttempts()) {
                        store.giveUp(o.id(), o.notifier(), r.why());
                        log.error("notifier {}: notification {} given up after {} attempts: {}", n.name(), o.id(), attempt, r.why());
                        return pause;
                    }
                    Duration wait = backoff(attempt, r.after());
                    store.retryLater(o.id(), o.notifier(), clock.millis() + wait.toMillis(), r.why());
                    // Told once per streak and then every tenth failure, so a dead endpoint is loud but not a flood.
                    if (failures == 1 || failures % 10 == 0) {
                        log.warn("notifier {} failing ({} in a row): {}; retrying in {}", n.name(), failures, r.why(), pause);
                    }
                    return pause;
                }
                case Delivery.Rejected r -> {
                    // This message is refused; the next one may not be: no pause.
                    f.incrementAndGet();
                    store.giveUp(o.id(), o.notifier(), r.why());
                    count(n, "rejected");
                    log.error("notifier {} rejected notification {}: {}", n.name(), o.id(), r.why());
                    return null;
                }
            }
        }
    }

    private void count(Notifier n, String outcome) {
        Counter.builder("weft.notify.deliveries").tag("notifier", n.name()).tag("outcome", outcome)
                .description("notification delivery attempts by outcome").register(meters).increment();
    }

    /** Doubling from {@code minBackoff}, capped; a receiver's {@code Retry-After} wins, within the cap. */
    Duration backoff(int attempt, Duration retryAfter) {
        if (retryAfter != null && !retryAfter.isNegative()) {
            return retryAfter.compareTo(options.maxBackoff()) > 0 ? options.maxBackoff() : retryAfter;
        }
        long ms = options.minBackoff().toMillis() << Math.min(attempt - 1, 20);
        return Duration.ofMillis(Math.min(ms, options.maxBackoff().toMillis()));
    }

    /**
     * Stops the intake and every lane (interrupting a delivery in progress: it is retried on the
     * next start), waiting {@link #STOP_WAIT} for all of them together, then closes the notifiers.
     */
    @Override
    public void close() {
        stopping = true;
        List<Thread> threads = new ArrayList<>();
        Thread t = intake;
        if (t != null) threads.add(t);
        for (Lane l : lanes.values()) {
            l.interrupt();
            if (l.thread() != null) threads.add(l.thread());
        }
        if (t != null) t.interrupt();
        threads.forEach(LockSupport::unpark);
        long deadline = System.nanoTime() + STOP_WAIT.toNanos();
        for (Thread x : threads) {
            try {
                long left = deadline - System.nanoTime();
                if (left > 0) x.join(Duration.ofNanos(left));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            if (x.isAlive()) log.warn("{} did not stop within {}", x.getName(), STOP_WAIT);
        }
        for (Notifier n : notifiers.values()) {
            try {
                n.close();
            } catch (RuntimeException e) {
                log.warn("notifier {} close: {}", n.name(), e.toString());
            }
        }
    }
}
