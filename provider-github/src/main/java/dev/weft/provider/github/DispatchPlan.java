package dev.weft.provider.github;

import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;
import dev.weft.spi.WorkflowSpecException;
import dev.weft.spi.Variables;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What to dispatch for a run: the ref and the inputs. The ref is {@code github.ref} when given, else
 * the pushed branch or tag, the pull request's source branch, or (manual runs) the repository's
 * default branch. Inputs are {@code github.inputs} (with {@code ${TANGLED_...}} variables expanded),
 * then a manual run's inputs over them, then {@code weft_run_id} and, when the block says
 * {@code callback: true}, {@code weft_callback_url} and {@code weft_callback_token} (only then: GitHub
 * rejects inputs a workflow does not declare); GitHub takes at most 25.
 */
record DispatchPlan(String ref, Map<String, String> inputs) {
    static final int MAX_INPUTS = 25;

    /** The ref the trigger implies, when it implies one (not for a manual run without a default branch). */
    static Optional<String> refFor(Trigger trigger, WorkflowBlock block) {
        if (block.ref().isPresent()) return block.ref();
        return switch (trigger.kind()) {
            case TriggerKind.Push p -> Optional.of(p.refName());
            case TriggerKind.PullRequest pr -> Optional.of(pr.sourceBranch());
            case TriggerKind.Manual m -> Optional.of(trigger.repo().defaultBranch()).filter(s -> !s.isEmpty());
        };
    }

    static Map<String, String> inputsFor(long runId, Trigger trigger, WorkflowBlock block,
                                         Map<String, String> variables) throws WorkflowSpecException {
        Map<String, String> inputs = new LinkedHashMap<>();
        block.inputs().forEach((k, v) -> inputs.put(k, Variables.expand(v, variables)));
        if (trigger.kind() instanceof TriggerKind.Manual m) {
            for (TriggerKind.Input i : m.inputs()) {
                if (!WorkflowBlock.RESERVED_INPUTS.contains(i.key())) inputs.put(i.key(), i.value());
            }
        }
        int own = inputs.size();
        inputs.put(WorkflowBlock.RUN_ID_INPUT, Long.toString(runId));
        if (block.callback()) {
            inputs.put(WorkflowBlock.CALLBACK_URL_INPUT, Variables.callbackUrl(variables).orElseThrow(
                    () -> new WorkflowSpecException("github.callback: this run has no callback URL")));
            inputs.put(WorkflowBlock.CALLBACK_TOKEN_INPUT, Variables.callbackToken(variables).orElseThrow(
                    () -> new WorkflowSpecException("github.callback: this run has no callback token")));
        }
        if (inputs.size() > MAX_INPUTS) {
            throw new WorkflowSpecException("github.inputs: " + own + " inputs plus " + String.join(", ",
                    inputs.keySet().stream().skip(own).toList()) + " make " + inputs.size() + "; GitHub accepts at most "
                    + MAX_INPUTS + " workflow_dispatch inputs");
        }
        return inputs;
    }

}
