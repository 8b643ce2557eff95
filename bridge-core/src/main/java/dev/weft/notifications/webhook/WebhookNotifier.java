package dev.weft.notifications.webhook;

import dev.weft.notifications.HttpDelivery;
import dev.weft.notify.Delivery;
import dev.weft.notify.Notification;
import dev.weft.notify.NotificationJson;
import dev.weft.notify.Notifier;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * The generic webhook: each notification POSTed as its JSON document ({@link NotificationJson}),
 * signed with {@code X-Weft-Signature-256: sha256=<hex HMAC-SHA256 of the body>} when a secret is
 * set. {@code X-Weft-Delivery} repeats the notification id (stable across retries) and
 * {@code X-Weft-Event} its event.
 */
public final class WebhookNotifier implements Notifier {
    public static final String SIGNATURE_HEADER = "X-Weft-Signature-256";

    private final URI url;
    private final byte[] secret;
    private final HttpDelivery http;

    public WebhookNotifier(URI url, String secret, Duration timeout) {
        this.url = url;
        this.secret = secret == null ? new byte[0] : secret.getBytes(StandardCharsets.UTF_8);
        this.http = new HttpDelivery(timeout);
    }

    @Override
    public String name() {
        return "webhook";
    }

    @Override
    public Delivery deliver(Notification n, Optional<String> incidentRef) {
        String body = NotificationJson.write(n);
        Map<String, String> headers = new java.util.LinkedHashMap<>();
        headers.put("X-Weft-Event", n.event().wireName());
        headers.put("X-Weft-Delivery", n.id());
        if (secret.length > 0) headers.put(SIGNATURE_HEADER, signature(secret, body));
        return switch (http.post(url, "application/json", body, headers)) {
            case HttpDelivery.Result.Ok ok -> new Delivery.Sent(null);
            case HttpDelivery.Result.Failed f -> f.outcome();
        };
    }

    /** {@code sha256=<hex HMAC-SHA256 of body>}, what a receiver recomputes with the shared secret. */
    public static String signature(byte[] secret, String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e); // HmacSHA256 is in every JDK
        }
    }

    @Override
    public void close() {
        http.close();
    }
}
