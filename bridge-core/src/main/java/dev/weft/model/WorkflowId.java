package dev.weft.model;

import java.util.Objects;

/** One workflow of one pipeline: the pipeline id plus the workflow's file name ({@code ci.yml}). */
public record WorkflowId(PipelineId pipeline, String name) {
    public WorkflowId {
        Objects.requireNonNull(pipeline, "pipeline");
        Objects.requireNonNull(name, "name");
    }

    public WorkflowId(String knot, String rkey, String name) {
        this(new PipelineId(knot, rkey), name);
    }

    @Override
    public String toString() {
        return pipeline + "/" + name;
    }
}
