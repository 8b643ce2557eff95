package dev.weft.provider.stub;

import dev.weft.spi.Provider;
import dev.weft.spi.ProviderContext;
import dev.weft.spi.ProviderFactory;

/** Registers engine {@code stub}; it needs no configuration. */
public final class StubProviderFactory implements ProviderFactory {
    @Override
    public String engine() {
        return "stub";
    }

    @Override
    public Provider create(ProviderContext context) {
        return new StubProvider();
    }
}
