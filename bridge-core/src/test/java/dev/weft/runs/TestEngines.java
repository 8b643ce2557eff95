package dev.weft.runs;

import dev.weft.spi.Provider;
import dev.weft.spi.ProviderContext;
import dev.weft.spi.ProviderFactory;
import dev.weft.spi.Run;

/** Providers made of a lambda or two, for runtime tests that need one behaviour of spawn or resume. */
final class TestEngines {
    private TestEngines() {
    }

    interface Spawn {
        void spawn(Run run) throws Exception;
    }

    interface Resume {
        boolean resume(Run run) throws Exception;
    }

    /** An engine whose spawn is {@code spawn} and that cannot resume (the SPI's default). */
    static ProviderFactory engine(String name, Spawn spawn) {
        return engine(name, spawn, run -> false);
    }

    static ProviderFactory engine(String name, Spawn spawn, Resume resume) {
        return new ProviderFactory() {
            @Override
            public String engine() {
                return name;
            }

            @Override
            public Provider create(ProviderContext context) {
                return new Provider() {
                    @Override
                    public void spawn(Run run) throws Exception {
                        spawn.spawn(run);
                    }

                    @Override
                    public boolean resume(Run run) throws Exception {
                        return resume.resume(run);
                    }

                    @Override
                    public void close() {
                    }
                };
            }
        };
    }
}
