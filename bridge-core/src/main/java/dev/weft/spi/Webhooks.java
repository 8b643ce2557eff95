package dev.weft.spi;

/** Mounts a provider's webhook routes on weft's HTTP server. */
public interface Webhooks {

    /** Mounts {@code handler} at {@code /hooks/<engine>} for POST requests. Call once, from {@code create}. */
    void mount(WebhookHandler handler);

    /**
     * Mounts {@code handler} at an additional exact path (a compatibility alias such as tack's
     * {@code /webhooks/buildkite}). The path must start with {@code /} and not collide with weft's
     * own routes or another provider's.
     */
    void mountAlias(String path, WebhookHandler handler);
}
