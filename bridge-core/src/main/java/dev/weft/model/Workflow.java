package dev.weft.model;

import java.util.Objects;

/**
 * One workflow of a pipeline record: its file name, the engine that runs it, clone options and the
 * whole YAML file as the knot sent it ({@code raw}).
 */
public record Workflow(String name, String engine, CloneOptions cloneOptions, String raw) {
    public Workflow {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(engine, "engine");
        cloneOptions = cloneOptions == null ? CloneOptions.DEFAULT : cloneOptions;
        raw = raw == null ? "" : raw;
    }

    /**
     * {@code clone: {skip, depth, submodules, tags}}. Legacy knot records have no {@code tags}; the
     * pipelines weft compiles itself do (spec tangled-ci 2.6), hence the three-argument form.
     */
    public record CloneOptions(boolean skip, int depth, boolean submodules, boolean tags) {
        public static final CloneOptions DEFAULT = new CloneOptions(false, 1, false);

        /** Clone options of a legacy record, which cannot ask for tags. */
        public CloneOptions(boolean skip, int depth, boolean submodules) {
            this(skip, depth, submodules, false);
        }
    }
}
