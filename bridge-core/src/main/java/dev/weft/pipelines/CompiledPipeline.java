package dev.weft.pipelines;

import dev.weft.model.Workflow;

import java.util.List;
import java.util.Objects;

/** What compiling one commit's workflow files for one trigger gives. */
public sealed interface CompiledPipeline {
    /**
     * The workflows that run and the files that could not be read, each in file-name order (UTF-8
     * byte order, as upstream's directory listing). Both empty means nothing is created.
     */
    record Workflows(List<Workflow> workflows, List<InvalidWorkflow> invalid) implements CompiledPipeline {
        public Workflows {
            workflows = List.copyOf(workflows);
            invalid = List.copyOf(invalid);
        }

        /** Nothing to run and nothing to report: no pipeline is created. */
        public boolean isEmpty() {
            return workflows.isEmpty() && invalid.isEmpty();
        }
    }

    /** The commit as a whole is refused (for example too many files); one error instead of work. */
    record Refused(String error) implements CompiledPipeline {
        public Refused {
            Objects.requireNonNull(error, "error");
        }
    }
}
