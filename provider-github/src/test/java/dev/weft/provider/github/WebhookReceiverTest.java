package dev.weft.provider.github;

import dev.weft.provider.github.webhook.DeliveryDeduper;
import dev.weft.provider.github.webhook.Signature;
import dev.weft.provider.github.webhook.WebhookHint;
import dev.weft.provider.github.webhook.WebhookReceiver;
import dev.weft.spi.WebhookRequest;
import dev.weft.spi.WebhookResponse;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WebhookReceiverTest {
    static final String SECRET = "It's a Secret to Everybody";
    final List<WebhookHint> hints = new ArrayList<>();
    final List<Runnable> queued = new ArrayList<>();
    final WebhookReceiver receiver = new WebhookReceiver(Optional.of(Signature.secret(SECRET)), new DeliveryDeduper(100),
            queued::add, hints::add);

    static WebhookRequest request(String event, String delivery, byte[] body, String signature) {
        Map<String, List<String>> h = new HashMap<>();
        h.put("x-github-event", List.of(event));
        if (delivery != null) h.put("x-github-delivery", List.of(delivery));
        if (signature != null) h.put("x-hub-signature-256", List.of(signature));
        return new WebhookRequest("POST", "/hooks/github", h, body);
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void officialVector() {
        byte[] body = bytes("Hello, World!");
        String expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assertEquals(expected, Signature.sign(Signature.secret(SECRET), body));
        assertTrue(Signature.verify(Signature.secret(SECRET), body, expected));
        assertFalse(Signature.verify(Signature.secret(SECRET), bytes("Hello, World?"), expected));
        assertFalse(Signature.verify(Signature.secret("It's a secret to everybody"), body, expected));
        assertFalse(Signature.verify(Signature.secret(SECRET), body, "sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"));
        assertFalse(Signature.verify(Signature.secret(SECRET), body, "sha256=zz"));
        assertFalse(Signature.verify(Signature.secret(SECRET), body, "sha256=757107ea"));
        assertFalse(Signature.verify(Signature.secret(SECRET), body, null));
    }

    @Test
    void queuesTheHintAndAnswersAtOnce() {
        byte[] body = bytes(Fixtures.webhook("workflow_job.in_progress.payload.json"));
        WebhookResponse r = receiver.handle(request("workflow_job", "g-1", body, Signature.sign(Signature.secret(SECRET), body)));
        assertEquals(202, r.status());
        assertTrue(hints.isEmpty(), "the work is queued, not done in the request");
        assertEquals(1, queued.size());
        queued.get(0).run();
        assertEquals(2202229078L, hints.get(0).runId());
        assertEquals("in_progress", hints.get(0).status());
    }

    @Test
    void formEncodedDeliveries() {
        String json = Fixtures.webhook("workflow_run.completed.payload.json");
        byte[] body = bytes("payload=" + java.net.URLEncoder.encode(json, StandardCharsets.UTF_8));
        Map<String, List<String>> h = new HashMap<>(request("workflow_run", "f-1", body,
                Signature.sign(Signature.secret(SECRET), body)).headers());
        h.put("content-type", List.of("application/x-www-form-urlencoded"));
        assertEquals(202, receiver.handle(new WebhookRequest("POST", "/hooks/github", h, body)).status());
        queued.get(0).run();
        assertEquals(289782451L, hints.get(0).runId());
    }

    @Test
    void forgedAndMissingSignaturesAre401() {
        byte[] body = bytes(Fixtures.webhook("workflow_run.completed.payload.json"));
        assertEquals(401, receiver.handle(request("workflow_run", "g-2", body, Signature.sign(Signature.secret("forged"), body))).status());
        assertEquals(401, receiver.handle(request("workflow_run", "g-3", body, null)).status());
        assertTrue(queued.isEmpty());
    }

    @Test
    void forgedDeliveriesDoNotPoisonTheDedupe() {
        byte[] body = bytes(Fixtures.webhook("workflow_run.completed.payload.json"));
        assertEquals(401, receiver.handle(request("workflow_run", "g-4", body, "sha256=00")).status());
        assertEquals(202, receiver.handle(request("workflow_run", "g-4", body, Signature.sign(Signature.secret(SECRET), body))).status());
    }

    @Test
    void redeliveryIsDropped() {
        byte[] body = bytes(Fixtures.webhook("workflow_run.completed.payload.json"));
        String sig = Signature.sign(Signature.secret(SECRET), body);
        assertEquals(202, receiver.handle(request("workflow_run", "g-5", body, sig)).status());
        WebhookResponse again = receiver.handle(request("workflow_run", "g-5", body, sig));
        assertEquals(200, again.status());
        assertEquals("duplicate delivery\n", new String(again.body(), StandardCharsets.UTF_8));
        assertEquals(1, queued.size());
    }

    @Test
    void noSecretRefusesEverything() {
        WebhookReceiver open = new WebhookReceiver(Optional.empty(), new DeliveryDeduper(10), Runnable::run, hints::add);
        byte[] body = bytes("{}");
        assertEquals(401, open.handle(request("ping", "g-6", body, Signature.sign(Signature.secret("any"), body))).status());
    }

    @Test
    void otherEventsAndBadBodies() {
        byte[] body = bytes("{\"zen\":\"hi\"}");
        String sig = Signature.sign(Signature.secret(SECRET), body);
        assertEquals(200, receiver.handle(request("ping", "g-7", body, sig)).status());
        assertEquals(200, receiver.handle(request("push", "g-8", body, sig)).status());
        assertEquals(400, receiver.handle(request("workflow_run", "g-9", body, sig)).status());
        byte[] junk = bytes("not json");
        assertEquals(400, receiver.handle(request("workflow_run", "g-10", junk, Signature.sign(Signature.secret(SECRET), junk))).status());
        assertTrue(queued.isEmpty());
    }
}
