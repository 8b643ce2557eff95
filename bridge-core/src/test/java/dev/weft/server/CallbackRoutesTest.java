package dev.weft.server;

import dev.weft.spi.WebhookResponse;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CallbackRoutesTest {

    @Test
    @DisplayName("no provider can mount /hooks/callback or below it, whether as the engine callback or as an alias")
    void reserved() {
        WebhookRoutes routes = new WebhookRoutes();
        assertThrows(IllegalArgumentException.class, () -> routes.forEngine("callback").mount(req -> WebhookResponse.ok()));
        assertThrows(IllegalArgumentException.class, () -> routes.forEngine("x").mountAlias("/hooks/callback/1", req -> WebhookResponse.ok()));
        assertThrows(IllegalArgumentException.class, () -> routes.mount("/hooks/callback/", "x", req -> WebhookResponse.ok()));
        routes.mount("/hooks/callbacks", "callbacks", req -> WebhookResponse.ok()); // a different path
        assertTrue(routes.findCallback("/hooks/callback/1").isEmpty(), "nothing answers until weft mounts its own");
        routes.mountCallbacks(req -> WebhookResponse.ok());
        assertEquals(WebhookRoutes.CALLBACK_ENGINE, routes.findCallback("/hooks/callback/1").orElseThrow().engine());
        assertThrows(IllegalStateException.class, () -> routes.mountCallbacks(req -> WebhookResponse.ok()));
    }
}
