package dev.weft.provider.github;

import dev.weft.spi.ProviderFactory;
import dev.weft.testkit.ProviderCompatibilityKit;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** The SPI test kit against the fake GitHub: pass.yml succeeds, fail.yml fails, hang.yml runs until cancelled. */
class GitHubCompatibilityTest extends ProviderCompatibilityKit {
    FakeGitHub gh;
    ScheduledExecutorService script;

    @Override
    protected void setUpBackend() throws Exception {
        gh = new FakeGitHub();
        script = Executors.newSingleThreadScheduledExecutor();
        gh.onCreate = run -> script.schedule(() -> {
            Instant t = Instant.parse("2026-02-03T10:00:00Z");
            FakeGitHub.GhJob job = run.job("build").start(t);
            FakeGitHub.GhStep step = job.step("Run ./test.sh", t);
            run.status("in_progress", null);
            if (run.workflow.equals("hang.yml")) return;
            script.schedule(() -> {
                boolean pass = run.workflow.equals("pass.yml");
                step.complete(pass ? "success" : "failure", t.plusSeconds(2));
                job.complete(pass ? "success" : "failure", t.plusSeconds(2),
                        "2026-02-03T10:00:00.5000000Z ##[group]Run ./test.sh\n2026-02-03T10:00:00.5000000Z ./test.sh\n"
                                + "2026-02-03T10:00:00.5000000Z ##[endgroup]\n2026-02-03T10:00:01.0000000Z "
                                + (pass ? "ok\n" : "##[error]Process completed with exit code 1.\n"));
                run.status("completed", pass ? "success" : "failure");
            }, 200, TimeUnit.MILLISECONDS);
        }, 100, TimeUnit.MILLISECONDS);
    }

    @Override
    protected void tearDownBackend() {
        script.shutdownNow();
        gh.close();
    }

    @Override
    protected ProviderFactory factory() {
        return new GitHubProviderFactory();
    }

    @Override
    protected Map<String, String> env() {
        return Map.of("WEFT_GITHUB_TOKEN", gh.token, "WEFT_GITHUB_API", gh.apiUrl(),
                "WEFT_GITHUB_POLL_INTERVAL", "100ms");
    }

    @Override
    protected boolean supportsResume() {
        return true;
    }

    private static String workflow(String file) {
        return "engine: github\ngithub:\n  repo: octo/mirror\n  workflow: " + file + "\n";
    }

    @Override
    protected String succeedingWorkflow() {
        return workflow("pass.yml");
    }

    @Override
    protected String failingWorkflow() {
        return workflow("fail.yml");
    }

    @Override
    protected String longRunningWorkflow() {
        return workflow("hang.yml");
    }
}
