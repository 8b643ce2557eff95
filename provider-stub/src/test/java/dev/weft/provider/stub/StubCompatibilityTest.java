package dev.weft.provider.stub;

import dev.weft.spi.ProviderFactory;
import dev.weft.testkit.ProviderCompatibilityKit;

/** The stub passes the SPI contract every provider must pass. */
class StubCompatibilityTest extends ProviderCompatibilityKit {
    @Override
    protected ProviderFactory factory() {
        return new StubProviderFactory();
    }

    @Override
    protected String succeedingWorkflow() {
        return """
                engine: stub
                stub:
                  steps:
                    - name: build
                      command: make
                      output: ["ok"]
                """;
    }

    @Override
    protected String failingWorkflow() {
        return """
                engine: stub
                stub:
                  steps:
                    - name: test
                      command: make test
                      stderr: ["boom"]
                      exit: 2
                """;
    }

    @Override
    protected String longRunningWorkflow() {
        return """
                engine: stub
                stub:
                  steps:
                    - name: wait
                      output: ["waiting"]
                  hang: true
                """;
    }
}
