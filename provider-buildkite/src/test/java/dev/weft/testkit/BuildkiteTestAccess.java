package dev.weft.testkit;

import dev.weft.model.WorkflowId;

/**
 * Reaches {@link ProviderHarness.TestRun}'s package-private constructor, which the kit uses to
 * look a run up again after {@link ProviderHarness#restart()}. Remove once the harness offers a
 * public way (for example {@code harness.run(WorkflowId)}).
 */
public final class BuildkiteTestAccess {
    private BuildkiteTestAccess() {
    }

    public static ProviderHarness.TestRun run(ProviderHarness h, WorkflowId id) {
        return h.new TestRun(id);
    }
}
