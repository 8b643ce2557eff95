package dev.weft.spi;

/**
 * Handles one webhook delivery. Runs on a virtual thread per request; the sender is waiting, so
 * verify, queue the work (for example on {@link ProviderContext#scheduler()}) and answer: GitHub
 * gives up after 10 s. Verification failures answer 401 and are counted by the runtime under
 * {@code weft.webhooks{engine, outcome}} according to the status code returned. An exception
 * answers 500 and is logged.
 */
@FunctionalInterface
public interface WebhookHandler {
    WebhookResponse handle(WebhookRequest request) throws Exception;
}
