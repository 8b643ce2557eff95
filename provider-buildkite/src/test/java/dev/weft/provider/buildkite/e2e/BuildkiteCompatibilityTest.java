package dev.weft.provider.buildkite.e2e;

import dev.weft.provider.buildkite.BuildkiteProviderFactory;
import dev.weft.provider.buildkite.fake.FakeBuildkite;
import dev.weft.provider.buildkite.fake.Scripts;
import dev.weft.spi.ProviderFactory;
import dev.weft.testkit.ProviderCompatibilityKit;

import java.util.Map;

/** The SPI test kit, run against the fake Buildkite. */
class BuildkiteCompatibilityTest extends ProviderCompatibilityKit {
    FakeBuildkite bk;

    @Override
    protected void setUpBackend() throws Exception {
        bk = new FakeBuildkite();
        bk.script("pass", b -> Scripts.runs(b, 0));
        bk.script("fail", b -> Scripts.runs(b, 3));
        bk.script("hang", Scripts::hangs);
    }

    @Override
    protected void tearDownBackend() {
        bk.close();
    }

    @Override
    protected ProviderFactory factory() {
        return new BuildkiteProviderFactory();
    }

    @Override
    protected Map<String, String> env() {
        return Harnesses.env(bk);
    }

    @Override
    protected boolean supportsResume() {
        return true;
    }

    @Override
    protected String succeedingWorkflow() {
        return "engine: buildkite\nbuildkite: {pipeline: pass}\n";
    }

    @Override
    protected String failingWorkflow() {
        return "engine: buildkite\nbuildkite: {pipeline: fail}\n";
    }

    @Override
    protected String longRunningWorkflow() {
        return "engine: buildkite\nbuildkite: {pipeline: hang}\n";
    }
}
