package dev.weft.pipelines;

import dev.weft.model.TriggerKind;

import java.util.List;
import java.util.Set;

/**
 * One entry of a workflow's {@code when} list, evaluated exactly as upstream's {@code workflow/def.go}
 * (spec tangled-ci 2.6). Each field was written as one string or a list of strings.
 */
record Constraint(List<String> event, List<Glob> branch, List<Glob> tag, List<String> types, List<Glob> paths) {
    /** A pull request constraint without {@code types} runs on these actions only. */
    private static final Set<String> DEFAULT_TYPES = Set.of("opened", "reopened", "synchronize");

    Constraint {
        event = List.copyOf(event);
        branch = List.copyOf(branch);
        tag = List.copyOf(tag);
        types = List.copyOf(types);
        paths = List.copyOf(paths);
    }

    /**
     * Whether a workflow with this {@code when} runs for {@code trigger}: manual runs ignore it, an
     * absent or empty {@code when} always runs, otherwise any one constraint must match.
     */
    static boolean matches(List<Constraint> when, WorkflowTrigger trigger) {
        if (trigger instanceof WorkflowTrigger.Manual) return true;
        for (Constraint c : when) {
            if (c.matches(trigger)) return true;
        }
        return when.isEmpty();
    }

    boolean matches(WorkflowTrigger trigger) {
        boolean m = event.contains(trigger.kind().wireName());
        List<String> changed = List.of();
        switch (trigger) {
            case WorkflowTrigger.PullRequest pr -> {
                TriggerKind.PullRequest k = pr.kind();
                m = m && Glob.anyMatch(branch, k.targetBranch()) && matchesType(k.action());
            }
            case WorkflowTrigger.Push push -> {
                TriggerKind.Push k = push.kind();
                if (k.ref().startsWith("refs/heads/")) m = m && Glob.anyMatch(branch, k.refName());
                else if (k.ref().startsWith("refs/tags/")) m = m && Glob.anyMatch(tag, k.refName());
                else m = false; // neither a branch nor a tag: no constraint can name it
                changed = push.changedFiles().orElse(List.of());
            }
            case WorkflowTrigger.Manual manual -> { }
        }
        if (!paths.isEmpty()) m = m && changed.stream().anyMatch(f -> Glob.anyMatch(paths, f));
        return m;
    }

    private boolean matchesType(String action) {
        String a = action.isEmpty() ? "opened" : action;
        return types.isEmpty() ? DEFAULT_TYPES.contains(a) : types.contains(a);
    }
}
