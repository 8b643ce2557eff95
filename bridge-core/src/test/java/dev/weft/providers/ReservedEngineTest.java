package dev.weft.providers;

import dev.weft.spi.Provider;
import dev.weft.spi.ProviderConfigException;
import dev.weft.spi.ProviderContext;
import dev.weft.spi.ProviderFactory;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReservedEngineTest {

    @Test
    @DisplayName("a provider whose engine is called callback is refused: /hooks/callback belongs to job callbacks")
    void callbackIsReserved() {
        ProviderFactory f = new ProviderFactory() {
            @Override
            public String engine() {
                return "callback";
            }

            @Override
            public Provider create(ProviderContext context) {
                throw new AssertionError("never created");
            }
        };
        var e = assertThrows(ProviderConfigException.class, () -> ProviderRegistry.create(List.of(f), Map.of(),
                Clock.systemUTC(), new SimpleMeterRegistry(), null, "weft.test", (path, engine, handler) -> {
                    throw new AssertionError("nothing mounted");
                }, null));
        assertTrue(e.problems().get(0).contains("engine name \"callback\" is reserved for job callbacks"), e.problems().toString());
    }
}
