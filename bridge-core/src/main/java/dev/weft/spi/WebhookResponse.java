package dev.weft.spi;

import java.nio.charset.StandardCharsets;

/** The answer to a webhook delivery. */
public record WebhookResponse(int status, String contentType, byte[] body) {

    public static WebhookResponse text(int status, String text) {
        return new WebhookResponse(status, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8));
    }

    public static WebhookResponse ok() {
        return text(200, "ok\n");
    }

    /** 401 for a delivery that failed verification; the reason is logged, not detailed to the sender. */
    public static WebhookResponse unauthorized() {
        return text(401, "unauthorized\n");
    }
}
