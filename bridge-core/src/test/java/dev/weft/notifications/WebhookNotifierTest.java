package dev.weft.notifications;

import dev.weft.notifications.webhook.WebhookNotifier;
import dev.weft.notify.Delivery;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.SocketEffect;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The generic webhook against a receiver that misbehaves: a 2xx is delivered whatever its body. */
class WebhookNotifierTest {
    private MockWebServer receiver;
    private WebhookNotifier hook;

    @BeforeEach
    void start() throws IOException {
        receiver = new MockWebServer();
        receiver.start(InetAddress.getLoopbackAddress(), 0);
        hook = new WebhookNotifier(URI.create(receiver.url("/hook").toString()), "s3cret", Duration.ofMillis(500));
    }

    @AfterEach
    void stop() {
        hook.close();
        receiver.close();
    }

    /** Delivers once and returns the outcome, checking it took well under a second more than the timeout. */
    private Delivery deliverBounded() {
        long t0 = System.nanoTime();
        Delivery d = hook.deliver(SlackNotifierTest.failed(), Optional.empty());
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertTrue(took.compareTo(Duration.ofSeconds(3)) < 0, "took " + took);
        return d;
    }

    @Test
    @DisplayName("2xx with garbage, or with a body slower than the timeout, is sent (the receiver took it): never retried into a duplicate")
    void anySuccess() throws Exception {
        receiver.enqueue(new MockResponse.Builder().code(202).body("\u0000<html>not json").build());
        assertEquals(new Delivery.Sent(null), deliverBounded());
        receiver.enqueue(new MockResponse.Builder().code(200).body("x".repeat(100)).bodyDelay(5, TimeUnit.SECONDS).build());
        assertEquals(new Delivery.Sent(null), deliverBounded());
        assertEquals(2, receiver.getRequestCount());
    }

    @Test
    @DisplayName("a receiver that never answers, or answers 500 with a huge body, is a retry within the timeout")
    void failures() {
        receiver.enqueue(new MockResponse.Builder().onResponseStart(SocketEffect.Stall.INSTANCE).build());
        Delivery.Retry hung = assertInstanceOf(Delivery.Retry.class, deliverBounded());
        assertTrue(hung.why().endsWith("no answer within 500 ms") || hung.why().contains("timed out"), hung.why());
        receiver.enqueue(new MockResponse.Builder().code(500).body("e".repeat(HttpDelivery.MAX_BODY * 4)).build());
        Delivery.Retry error = assertInstanceOf(Delivery.Retry.class, deliverBounded());
        assertTrue(error.why().startsWith("HTTP 500 from"), error.why());
        assertTrue(error.why().length() < 300, "the body is abbreviated in the reason");
    }
}
