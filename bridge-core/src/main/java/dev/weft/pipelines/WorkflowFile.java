package dev.weft.pipelines;

import dev.weft.model.Workflow;

import java.util.List;

/** One workflow file as {@link WorkflowReader} read it: readable with its {@code when}, or not. */
sealed interface WorkflowFile {
    /** The file's name. */
    String name();

    /** The file, readable: its compiled workflow and its {@code when}. */
    record Readable(Workflow workflow, List<Constraint> when) implements WorkflowFile {
        public Readable {
            when = List.copyOf(when);
        }

        public String name() {
            return workflow.name();
        }
    }

    /** The file, unreadable. */
    record Unreadable(InvalidWorkflow invalid) implements WorkflowFile {
        public String name() {
            return invalid.name();
        }
    }
}
