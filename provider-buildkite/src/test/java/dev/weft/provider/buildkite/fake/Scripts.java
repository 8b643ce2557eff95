package dev.weft.provider.buildkite.fake;

import java.time.Instant;

/** Canned build behaviours for {@link FakeBuildkite#script}. */
public final class Scripts {
    public static final Instant T0 = Instant.parse("2026-01-01T00:01:00Z");

    private Scripts() {
    }

    public static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One script job that prints two lines and exits {@code exit}; the build ends passed or failed. */
    public static void runs(FakeBuildkite.FakeBuild b, int exit) {
        sleep(100);
        FakeBuildkite.FakeJob j = b.addJob("Tests", "make test");
        b.state("running");
        j.start(T0).append("\u001b_bk;t=" + T0.toEpochMilli() + "\u0007hello\n");
        sleep(150);
        if (b.cancelRequested()) return;
        j.append("bye\n").finish(exit == 0 ? "passed" : "failed", exit, T0.plusSeconds(1));
        b.state(exit == 0 ? "passed" : "failed");
    }

    /** Runs until cancelled (the fake completes the cancel itself). */
    public static void hangs(FakeBuildkite.FakeBuild b) {
        sleep(50);
        FakeBuildkite.FakeJob j = b.addJob("Forever", "sleep infinity");
        b.state("running");
        j.start(T0).append("started\n");
    }
}
