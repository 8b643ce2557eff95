package dev.weft.model;

import java.util.Objects;

/**
 * One workflow of a pipeline record: its file name, the engine that runs it, clone options and the
 * whole YAML file as the knot sent it ({@code raw}).
 *
 * @param invalid empty for a workflow that can run; otherwise why its file could not be compiled
 *                ({@code invalid workflow file: <reason>}): weft keeps such a file in the pipeline
 *                and fails it where its author looks, instead of dropping it as upstream does
 */
public record Workflow(String name, String engine, CloneOptions cloneOptions, String raw, String invalid) {
    public Workflow {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(engine, "engine");
        cloneOptions = cloneOptions == null ? CloneOptions.DEFAULT : cloneOptions;
        raw = raw == null ? "" : raw;
        invalid = invalid == null ? "" : invalid;
    }

    public Workflow(String name, String engine, CloneOptions cloneOptions, String raw) {
        this(name, engine, cloneOptions, raw, "");
    }

    /** A workflow file that cannot be compiled, carried so that its run fails with {@code error}. */
    public static Workflow invalid(String name, String engine, String error) {
        if (error.isEmpty()) throw new IllegalArgumentException("an invalid workflow needs its error");
        return new Workflow(name, engine, CloneOptions.DEFAULT, "", error);
    }

    public boolean isInvalid() {
        return !invalid.isEmpty();
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
