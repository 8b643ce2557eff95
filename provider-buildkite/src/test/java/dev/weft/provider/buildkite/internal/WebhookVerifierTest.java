package dev.weft.provider.buildkite.internal;

import dev.weft.provider.buildkite.internal.BuildkiteConfig.WebhookMode;
import dev.weft.provider.buildkite.internal.WebhookVerifier.Outcome;
import dev.weft.spi.WebhookRequest;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class WebhookVerifierTest {
    static final String SECRET = "It's a Secret to Everybody";
    static final byte[] PING = "{\"event\":\"ping\"}".getBytes(StandardCharsets.UTF_8);
    static final Clock AT_VECTOR = Clock.fixed(Instant.ofEpochSecond(1619071700 + 30), ZoneOffset.UTC);

    static WebhookRequest req(Map<String, String> headers, byte[] body) {
        Map<String, List<String>> h = new java.util.HashMap<>();
        headers.forEach((k, v) -> h.put(k.toLowerCase(), List.of(v)));
        return new WebhookRequest("POST", "/hooks/buildkite", h, body);
    }

    static WebhookVerifier verifier(WebhookMode mode, Clock clock) {
        return new WebhookVerifier(Optional.of(SECRET), mode, clock, Duration.ofMinutes(5));
    }

    @Test
    @DisplayName("the spec's self-computed vector signs as documented")
    void vector() {
        assertEquals("cacfa71b95c0f6f3296e52418e4cec6967d3e03b28e063a0bae5b0eb2d4901be",
                WebhookVerifier.signatureHex(SECRET, "1619071700", PING));
    }

    @Test
    @DisplayName("a signed delivery within five minutes is accepted, its replay is not")
    void signedAndReplayed() {
        WebhookVerifier v = verifier(WebhookMode.ANY, AT_VECTOR);
        var r = req(Map.of("X-Buildkite-Signature",
                "timestamp=1619071700,signature=cacfa71b95c0f6f3296e52418e4cec6967d3e03b28e063a0bae5b0eb2d4901be"), PING);
        assertEquals(Outcome.OK, v.verify(r));
        assertEquals(Outcome.REPLAYED, v.verify(r));
    }

    @Test
    @DisplayName("a signature over another body, or with another key, is forged")
    void forged() {
        WebhookVerifier v = verifier(WebhookMode.ANY, AT_VECTOR);
        String sig = WebhookVerifier.signatureHex(SECRET, "1619071700", PING);
        assertEquals(Outcome.FORGED, v.verify(req(Map.of("X-Buildkite-Signature",
                "timestamp=1619071700,signature=" + sig), "{\"event\":\"pong\"}".getBytes(StandardCharsets.UTF_8))));
        String other = WebhookVerifier.signatureHex("not the secret", "1619071700", PING);
        assertEquals(Outcome.FORGED, v.verify(req(Map.of("X-Buildkite-Signature",
                "timestamp=1619071700,signature=" + other), PING)));
        // The timestamp is signed too: moving it breaks the signature.
        assertEquals(Outcome.FORGED, v.verify(req(Map.of("X-Buildkite-Signature",
                "timestamp=1619071701,signature=" + sig), PING)));
    }

    @Test
    @DisplayName("a correctly signed delivery older than five minutes is stale")
    void stale() {
        Clock later = Clock.fixed(Instant.ofEpochSecond(1619071700 + 301), ZoneOffset.UTC);
        var r = req(Map.of("X-Buildkite-Signature", "timestamp=1619071700,signature="
                + WebhookVerifier.signatureHex(SECRET, "1619071700", PING)), PING);
        assertEquals(Outcome.STALE, verifier(WebhookMode.ANY, later).verify(r));
        Clock justInTime = Clock.fixed(Instant.ofEpochSecond(1619071700 + 299), ZoneOffset.UTC);
        assertEquals(Outcome.OK, verifier(WebhookMode.ANY, justInTime).verify(r));
    }

    @Test
    @DisplayName("unsigned deliveries and malformed signatures are refused")
    void unsigned() {
        WebhookVerifier v = verifier(WebhookMode.ANY, AT_VECTOR);
        assertEquals(Outcome.MISSING, v.verify(req(Map.of(), PING)));
        assertEquals(Outcome.MALFORMED, v.verify(req(Map.of("X-Buildkite-Signature", "signature=abc"), PING)));
        assertEquals(Outcome.MALFORMED, v.verify(req(Map.of("X-Buildkite-Signature", "timestamp=x,signature=zz"), PING)));
    }

    @Test
    @DisplayName("the token header must equal the secret")
    void token() {
        WebhookVerifier v = verifier(WebhookMode.ANY, AT_VECTOR);
        assertEquals(Outcome.OK, v.verify(req(Map.of("X-Buildkite-Token", SECRET), PING)));
        assertEquals(Outcome.FORGED, v.verify(req(Map.of("X-Buildkite-Token", SECRET + "x"), PING)));
        assertEquals(Outcome.FORGED, v.verify(req(Map.of("X-Buildkite-Token", ""), PING)));
    }

    @Test
    @DisplayName("the mode restricts which header is accepted, and no secret accepts nothing")
    void modes() {
        var token = req(Map.of("X-Buildkite-Token", SECRET), PING);
        var signed = req(Map.of("X-Buildkite-Signature", "timestamp=1619071700,signature="
                + WebhookVerifier.signatureHex(SECRET, "1619071700", PING)), PING);
        assertEquals(Outcome.WRONG_MODE, verifier(WebhookMode.SIGNATURE, AT_VECTOR).verify(token));
        assertEquals(Outcome.WRONG_MODE, verifier(WebhookMode.TOKEN, AT_VECTOR).verify(signed));
        assertEquals(Outcome.OK, verifier(WebhookMode.TOKEN, AT_VECTOR).verify(token));
        assertEquals(Outcome.OK, verifier(WebhookMode.SIGNATURE, AT_VECTOR).verify(signed));
        WebhookVerifier none = new WebhookVerifier(Optional.empty(), WebhookMode.ANY, AT_VECTOR, Duration.ofMinutes(5));
        assertEquals(Outcome.NO_SECRET, none.verify(token));
    }
}
