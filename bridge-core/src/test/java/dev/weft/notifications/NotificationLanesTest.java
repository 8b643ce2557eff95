package dev.weft.notifications;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.notifications.slack.SlackNotifier;
import dev.weft.notifications.webhook.WebhookNotifier;
import dev.weft.notify.Notifier;
import dev.weft.store.NotificationStore;
import dev.weft.store.RunRecord;
import dev.weft.store.StoreContract;
import dev.weft.store.Stores;
import dev.weft.store.sqlite.SqliteStores;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The delivery model behind notifications, against real HTTP on loopback and a real SQLite store:
 * one lane per notifier, so a notifier that hangs or fails costs only its own deliveries; and a
 * flood of failures costs bounded disk, memory and nothing to the runs.
 */
class NotificationLanesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private Stores s;
    private MockWebServer slack;
    private MockWebServer hook;
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private Notifications notifications;

    @BeforeEach
    void open() throws IOException {
        s = SqliteStores.open(dir.resolve("weft.db"));
        slack = new MockWebServer();
        slack.start(InetAddress.getLoopbackAddress(), 0);
        hook = new MockWebServer();
        hook.start(InetAddress.getLoopbackAddress(), 0);
    }

    @AfterEach
    void close() {
        if (notifications != null) notifications.close();
        slack.close();
        hook.close();
        s.close();
    }

    private static void answer(MockWebServer server, Function<RecordedRequest, MockResponse> answer) {
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest r) {
                return answer.apply(r);
            }
        });
    }

    private static MockResponse ok() {
        return new MockResponse.Builder().code(200).body("ok").build();
    }

    /** A response that never comes: the connection stays open, silent. */
    private static MockResponse hang() {
        return new MockResponse.Builder().onResponseStart(SocketEffect.Stall.INSTANCE).build();
    }

    private Notifier slackNotifier(Duration timeout) {
        return new SlackNotifier(new SlackNotifier.Mode.IncomingWebhook(URI.create(slack.url("/services/x").toString())), timeout);
    }

    private Notifier webhookNotifier(Duration timeout) {
        return new WebhookNotifier(URI.create(hook.url("/hook").toString()), "s3cret", timeout);
    }

    private Notifications start(Notifications.Options options, Notifier... notifiers) {
        notifications = new Notifications(s.runs(), s.logs(), s.notifications(), NotifyOptions.defaults(), AdviceFile.none(),
                List.of(notifiers), Clock.systemUTC(), options, meters).start();
        return notifications;
    }

    /** One failure per workflow of a new pipeline, stored as a run stores it (the status and its pending notice). */
    private void fail(String rkey, String... workflows) {
        for (RunRecord r : s.runs().insertTrigger(StoreContract.trigger(rkey, workflows), 0).orElseThrow()) {
            s.runs().transition(r.id(), new Status.Failed("exit status 1", 1), 0, 0);
        }
        if (notifications != null) notifications.statusStored();
    }

    private double count(String notifier, String outcome) {
        var c = meters.find("weft.notify.deliveries").tag("notifier", notifier).tag("outcome", outcome).counter();
        return c == null ? 0 : c.count();
    }

    private static String workflowOf(RecordedRequest r) throws IOException {
        assertNotNull(r, "nothing arrived");
        return JSON.readTree(r.getBody().utf8()).path("workflow").asText();
    }

    @Test
    @DisplayName("a Slack that hangs delays neither the webhook nor the intake: both go on at once while Slack's request hangs")
    void hungSlack() throws Exception {
        answer(slack, r -> hang());
        answer(hook, r -> ok());
        Duration slackTimeout = Duration.ofSeconds(10);
        start(new Notifications.Options(Duration.ofMillis(20), Duration.ofMillis(50), Duration.ofSeconds(2), 5, 10_000, slackTimeout),
                slackNotifier(slackTimeout), webhookNotifier(slackTimeout));
        long t0 = System.nanoTime();
        fail("3kp1", "a.yml");
        assertEquals("a.yml", workflowOf(hook.takeRequest(3, TimeUnit.SECONDS)));
        await().atMost(Duration.ofSeconds(3)).until(() -> slack.getRequestCount() == 1);

        fail("3kp2", "b.yml");
        fail("3kp3", "c.yml");
        assertEquals("b.yml", workflowOf(hook.takeRequest(3, TimeUnit.SECONDS)));
        assertEquals("c.yml", workflowOf(hook.takeRequest(3, TimeUnit.SECONDS)));
        await().atMost(Duration.ofSeconds(3)).until(() -> s.notifications().queued("slack") == 3);
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        // Slack's first request is still hanging: no outcome counted, no second request made.
        assertEquals(0, count("slack", "retry") + count("slack", "sent"));
        assertEquals(1, slack.getRequestCount());
        assertTrue(took.compareTo(slackTimeout.dividedBy(2)) < 0, "the webhook waited for Slack: " + took);
        assertEquals(3, count("webhook", "sent"));
        assertTrue(notifications.failingNotifiers().isEmpty(), "hanging is not failing until the timeout says so");

        // close() interrupts the hung request without counting it an attempt: all three wait for the next start.
        long c0 = System.nanoTime();
        notifications.close();
        notifications = null;
        assertTrue(Duration.ofNanos(System.nanoTime() - c0).compareTo(Duration.ofSeconds(3)) < 0, "close waited for Slack");
        List<NotificationStore.OutboxNotice> left = s.notifications().due("slack", Long.MAX_VALUE, 10);
        assertEquals(3, left.size());
        assertTrue(left.stream().allMatch(o -> o.attempts() == 0), left.toString());
    }

    @Test
    @DisplayName("a delivery interrupted by close() is made after the restart; rows of a notifier no longer configured are given up")
    void restart() throws Exception {
        answer(slack, r -> hang());
        answer(hook, r -> hang());
        Notifications.Options options = new Notifications.Options(Duration.ofMillis(20), Duration.ofMillis(50),
                Duration.ofSeconds(2), 5, 10_000, Duration.ofSeconds(10));
        start(options, slackNotifier(Duration.ofSeconds(10)), webhookNotifier(Duration.ofSeconds(10)));
        fail("3kr1", "a.yml");
        await().atMost(Duration.ofSeconds(5)).until(() -> slack.getRequestCount() == 1 && hook.getRequestCount() == 1);
        notifications.close();

        answer(slack, r -> ok());
        start(options, slackNotifier(Duration.ofSeconds(10)));
        await().atMost(Duration.ofSeconds(5)).until(() -> count("slack", "sent") == 1);
        assertEquals(2, slack.getRequestCount(), "the interrupted request, then its delivery");
        assertEquals(0, count("slack", "retry"), "an interrupted delivery is not a failure");
        await().atMost(Duration.ofSeconds(5)).until(() -> s.notifications().queued("webhook") == 0);
        assertTrue(s.notifications().queuedNotifiers().isEmpty());
        assertEquals(1, hook.getRequestCount(), "the webhook's row was given up, not sent");
    }

    @Test
    @DisplayName("a failing endpoint pauses its lane: the next attempt retries the same oldest message, the rest wait their turn in order")
    void failingLanePauses() throws Exception {
        List<String> slackSaw = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger slackCalls = new AtomicInteger();
        answer(slack, r -> {
            try {
                JsonNode body = JSON.readTree(r.getBody().utf8());
                slackSaw.add(body.path("text").asText().split(" ")[2]);
            } catch (IOException e) {
                slackSaw.add("?");
            }
            return slackCalls.incrementAndGet() <= 3 ? new MockResponse.Builder().code(503).build() : ok();
        });
        answer(hook, r -> ok());
        List<String> workflows = List.of("w0.yml", "w1.yml", "w2.yml", "w3.yml", "w4.yml");
        for (int i = 0; i < workflows.size(); i++) fail("3kq" + i, workflows.get(i));
        start(new Notifications.Options(Duration.ofMillis(20), Duration.ofMillis(50), Duration.ofSeconds(2), 10, 10_000,
                Duration.ofSeconds(2)), slackNotifier(Duration.ofSeconds(2)), webhookNotifier(Duration.ofSeconds(2)));
        await().atMost(Duration.ofSeconds(10)).until(() -> count("slack", "sent") == 5);
        // Without the pause each pass would have tried w1..w4 against the failing endpoint too.
        assertEquals(List.of("w0.yml", "w0.yml", "w0.yml", "w0.yml", "w1.yml", "w2.yml", "w3.yml", "w4.yml"), slackSaw);
        assertEquals(3, count("slack", "retry"));
        assertEquals(5, count("webhook", "sent"), "the other lane never paused");
        assertTrue(notifications.failingNotifiers().isEmpty(), "delivering again clears the streak");
    }

    @Test
    @DisplayName("10,000 failures in a burst against a hung receiver: runs stored at full speed, the backlog bounded, the oldest dropped and counted, the operator told")
    void flood() throws Exception {
        answer(hook, r -> hang());
        int maxQueued = 200;
        start(new Notifications.Options(Duration.ofMillis(20), Duration.ofMillis(50), Duration.ofMillis(200), 1000, maxQueued,
                Duration.ofMillis(300)), webhookNotifier(Duration.ofMillis(300)));
        AtomicLong maxSeen = new AtomicLong();
        Thread sampler = Thread.ofVirtual().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                maxSeen.accumulateAndGet(s.notifications().queued("webhook"), Math::max);
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        PrintStream savedErr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        Duration stored;
        try {
            // 1,000 pipelines of 10 workflows, each its own incident (so each one notification),
            // stored from 4 threads as fast as the store takes them.
            long t0 = System.nanoTime();
            List<Thread> writers = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                int writer = w;
                writers.add(Thread.ofVirtual().start(() -> {
                    for (int p = writer; p < 1000; p += 4) {
                        String[] wfs = new String[10];
                        for (int i = 0; i < 10; i++) wfs[i] = "p" + p + "w" + i + ".yml";
                        fail("3kf" + p, wfs);
                    }
                }));
            }
            for (Thread t : writers) t.join();
            stored = Duration.ofNanos(System.nanoTime() - t0);
            await().atMost(Duration.ofSeconds(60)).until(() -> s.notifications().pending(1).isEmpty());
            await().atMost(Duration.ofSeconds(5)).until(() -> notifications.failingNotifiers().containsKey("webhook"));
        } finally {
            System.setErr(savedErr);
            sampler.interrupt();
            sampler.join();
        }
        assertEquals(10_000L, s.runs().countByState().get(RunState.FAILED), "every run's failure stored");
        assertTrue(stored.compareTo(Duration.ofSeconds(60)) < 0, "10,000 failures took " + stored + " to store");

        long queued = s.notifications().queued("webhook");
        double dropped = count("webhook", "dropped");
        assertTrue(queued <= maxQueued, "queued " + queued);
        assertEquals(10_000, queued + (long) dropped, "every notification is either still queued or dropped and counted");
        // Between two trims the intake adds at most one batch (100 statuses, one row each here).
        assertTrue(maxSeen.get() <= maxQueued + 100, "the backlog reached " + maxSeen.get());
        assertEquals(0, count("webhook", "sent"));
        String log = captured.toString(StandardCharsets.UTF_8);
        List<String> told = log.lines().filter(l -> l.contains("ERROR") && l.contains("notifier webhook: ")
                && l.contains(" notifications dropped, more than 200 waited for delivery")).toList();
        assertEquals(1, told.size(), "told at once, then not again within the minute: " + told);
        System.err.println("flood: 10,000 failures stored in " + stored.toMillis() + " ms; backlog peak " + maxSeen.get());
    }

    @Test
    @DisplayName("the default bound: 10,000 rows per notifier; one more and the oldest is dropped, the newest kept")
    void defaultBound() {
        answer(hook, r -> hang());
        Notifications.Options defaults = Notifications.Options.defaults();
        String body = dev.weft.notify.NotificationJson.write(SlackNotifierTest.failed());
        List<NotificationStore.NewNotice> backlog = new ArrayList<>();
        for (int i = 0; i < defaults.maxQueued(); i++) backlog.add(new NotificationStore.NewNotice("old" + i, "webhook", body));
        s.notifications().queue(0, new NotificationStore.IncidentChange.None(), id -> backlog, 0);
        start(defaults, webhookNotifier(defaults.requestTimeout()));
        fail("3kd1", "a.yml");
        await().atMost(Duration.ofSeconds(10)).until(() -> count("webhook", "dropped") == 1);
        assertEquals(10_000, s.notifications().queued("webhook"));
        assertEquals(List.of("old1"), s.notifications().due("webhook", Long.MAX_VALUE, 1).stream()
                .map(NotificationStore.OutboxNotice::id).toList(), "old0 was the one dropped");
    }
}
