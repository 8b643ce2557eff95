package dev.weft.notifications;

import dev.weft.notifications.slack.SlackNotifier;
import dev.weft.notify.Delivery;
import dev.weft.notify.Event;
import dev.weft.notify.Notification;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Slack bot against a Slack that misbehaves: what each answer means for delivery. */
class SlackNotifierTest {
    private MockWebServer slack;
    private SlackNotifier bot;

    @BeforeEach
    void start() throws IOException {
        slack = new MockWebServer();
        slack.start(InetAddress.getLoopbackAddress(), 0);
        String api = slack.url("/api").toString();
        bot = new SlackNotifier(new SlackNotifier.Mode.Bot("xoxb-t", "#ci", api), Duration.ofMillis(500));
    }

    @AfterEach
    void stop() {
        bot.close();
        slack.close();
    }

    static Notification failed() {
        return new Notification("id1", Event.FAILED, "at://did:web:k/sh.tangled.pipeline/3k", "ci.yml", "script",
                new Notification.Repo("k", "did:plc:o", "r", ""),
                new Notification.Trigger("push", "refs/heads/main", "main", "", "a".repeat(40), "aaaaaaa", "did:plc:o", "",
                        Map.of(), ""),
                new Notification.Step("test", "make"), 1L, "exit status 1", List.of(new Notification.Line("boom", 1)), null,
                new Notification.Links("", ""), new Notification.Incident(1, true, false), "");
    }

    private void answer(int code, String body, String... headers) {
        MockResponse.Builder b = new MockResponse.Builder().code(code).body(body);
        for (int i = 0; i < headers.length; i += 2) b.addHeader(headers[i], headers[i + 1]);
        slack.enqueue(b.build());
    }

    @Test
    @DisplayName("ok:false with a fatal error is rejected; other errors, 5xx and 429 are retried")
    void answers() {
        answer(200, "{\"ok\":false,\"error\":\"invalid_auth\"}");
        Delivery.Rejected rejected = assertInstanceOf(Delivery.Rejected.class, bot.deliver(failed(), Optional.empty()));
        assertEquals("Slack chat.postMessage: invalid_auth", rejected.why());
        answer(200, "{\"ok\":false,\"error\":\"internal_error\"}");
        assertInstanceOf(Delivery.Retry.class, bot.deliver(failed(), Optional.empty()));
        answer(500, "");
        assertInstanceOf(Delivery.Retry.class, bot.deliver(failed(), Optional.empty()));
    }

    @Test
    @DisplayName("a 2xx Slack answers with garbage, or never finishes, counts as posted without a ts: "
            + "the incident's next notification posts anew instead of this one appearing twice")
    void unreadableSuccess() throws Exception {
        answer(200, "<html>proxy error</html>");
        assertEquals(new Delivery.Sent(null), bot.deliver(failed(), Optional.empty()));
        answer(200, "{\"ok\":true,\"channel\":\"C9\"}");
        assertEquals(new Delivery.Sent(null), bot.deliver(failed(), Optional.empty()), "ok but no ts: nothing to update later");
        // Headers at once, then a body slower than the request timeout (500 ms).
        slack.enqueue(new MockResponse.Builder().code(200).body("{\"ok\":true,\"channel\":\"C9\",\"ts\":\"9.0\"}")
                .bodyDelay(5, TimeUnit.SECONDS).build());
        long t0 = System.nanoTime();
        assertEquals(new Delivery.Sent(null), bot.deliver(failed(), Optional.empty()));
        assertTrue(Duration.ofNanos(System.nanoTime() - t0).compareTo(Duration.ofSeconds(3)) < 0,
                "the timeout bounds the body too, not only the headers");
        // An update answered with garbage keeps the message it updated.
        answer(200, "");
        assertEquals(new Delivery.Sent("C1 1.0"), bot.deliver(failed(), Optional.of("C1 1.0")));
        for (int i = 0; i < 4; i++) assertEquals(i == 3 ? "/api/chat.update" : "/api/chat.postMessage",
                slack.takeRequest(5, TimeUnit.SECONDS).getUrl().encodedPath());
        assertEquals(4, slack.getRequestCount(), "one request each: nothing retried");
    }

    @Test
    @DisplayName("429 is retried no sooner than Retry-After")
    void rateLimited() {
        answer(429, "{\"ok\":false,\"error\":\"ratelimited\"}", "Retry-After", "7");
        Delivery.Retry r = assertInstanceOf(Delivery.Retry.class, bot.deliver(failed(), Optional.empty()));
        assertEquals(Duration.ofSeconds(7), r.after());
    }

    @Test
    @DisplayName("an endpoint that never answers is a retry after the request timeout, not a hang")
    void hangs() {
        slack.enqueue(new MockResponse.Builder().headersDelay(5, TimeUnit.SECONDS).code(200).body("{\"ok\":true}").build());
        assertInstanceOf(Delivery.Retry.class, bot.deliver(failed(), Optional.empty()));
    }

    @Test
    @DisplayName("an incident's message deleted in Slack is posted anew, and the new ts stands for the incident")
    void deletedMessage() throws Exception {
        answer(200, "{\"ok\":false,\"error\":\"message_not_found\"}");
        answer(200, "{\"ok\":true,\"channel\":\"C9\",\"ts\":\"2.0\"}");
        Delivery.Sent sent = assertInstanceOf(Delivery.Sent.class, bot.deliver(failed(), Optional.of("C1 1.0")));
        assertEquals("C9 2.0", sent.ref());
        assertEquals("/api/chat.update", slack.takeRequest().getUrl().encodedPath());
        assertEquals("/api/chat.postMessage", slack.takeRequest().getUrl().encodedPath());
    }
}
