package dev.weft.provider.buildkite.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;
import dev.weft.spi.Variables;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Builds the JSON body of {@code POST .../builds} from a run's trigger and workflow block.
 *
 * <ul>
 *   <li>push: {@code commit} = newSha, {@code branch} = the ref without {@code refs/heads/} or
 *       {@code refs/tags/};</li>
 *   <li>pull request: {@code commit} = sourceSha, {@code branch} = sourceBranch,
 *       {@code pull_request_base_branch} = targetBranch;</li>
 *   <li>manual: {@code commit} = {@code HEAD} of {@code branch} (the block's, else the repository's
 *       default, else the pipeline's), the inputs added to {@code env} and {@code meta_data}.</li>
 * </ul>
 * {@code env} layers, lowest first: the run's variables, the block's {@code env}, then manual inputs,
 * then the run's callback URL and token ({@code WEFT_CALLBACK_URL}, {@code WEFT_CALLBACK_TOKEN}),
 * which always win: a step posts its progress with them (docs/callbacks.md). {@code meta_data} layers the block's, then manual inputs, then weft's own
 * {@code weft_run_id} and {@code weft_workflow}, which always win: they find the build again.
 */
public final class DispatchBody {

    public static final String RUN_ID_KEY = "weft_run_id";
    public static final String WORKFLOW_KEY = "weft_workflow";

    private DispatchBody() {
    }

    /**
     * @param runId         weft's run id
     * @param workflowKey   {@code <knot>/<rkey>/<workflow name>}, unique per workflow run
     * @param workflowName  the workflow's file name
     * @param trigger       what triggered the run
     * @param block         the workflow's block
     * @param variables     the run's variables (Tangled ones, the callback URL and token)
     * @param manualBranch  the branch of a manual run when the block and the repository give none
     */
    public static ObjectNode build(ObjectMapper json, long runId, String workflowKey, String workflowName,
                                   Trigger trigger, WorkflowBlock block, Map<String, String> variables,
                                   String manualBranch) {
        ObjectNode body = json.createObjectNode();
        Map<String, String> env = new LinkedHashMap<>(variables);
        env.putAll(block.env());
        Map<String, String> meta = new LinkedHashMap<>(block.metaData());

        switch (trigger.kind()) {
            case TriggerKind.Push p -> {
                body.put("commit", p.newSha());
                body.put("branch", p.refName());
            }
            case TriggerKind.PullRequest pr -> {
                body.put("commit", pr.sourceSha());
                body.put("branch", pr.sourceBranch());
                body.put("pull_request_base_branch", pr.targetBranch());
            }
            case TriggerKind.Manual m -> {
                body.put("commit", "HEAD");
                body.put("branch", manualBranch);
                for (TriggerKind.Input in : m.inputs()) {
                    env.put(in.key(), in.value());
                    meta.put(in.key(), in.value());
                }
            }
        }
        Variables.callbackUrl(variables).ifPresent(v -> env.put(Variables.CALLBACK_URL, v));
        Variables.callbackToken(variables).ifPresent(v -> env.put(Variables.CALLBACK_TOKEN, v));
        body.put("message", block.message().orElseGet(() -> message(trigger, workflowName)));
        meta.put(RUN_ID_KEY, Long.toString(runId));
        meta.put(WORKFLOW_KEY, workflowKey);
        ObjectNode envNode = body.putObject("env");
        env.forEach(envNode::put);
        ObjectNode metaNode = body.putObject("meta_data");
        meta.forEach(metaNode::put);
        return body;
    }

    /** The branch a manual run uses before the pipeline's default is consulted, or null. */
    public static String manualBranchHint(Trigger trigger, WorkflowBlock block) {
        if (block.branch().isPresent()) return block.branch().get();
        String repoDefault = trigger.repo().defaultBranch();
        return repoDefault.isEmpty() ? null : repoDefault;
    }

    /** {@code Tangled <did>/<repo>: push to main (0123abc), ci.yml}, and so on per trigger kind. */
    static String message(Trigger trigger, String workflowName) {
        String repo = "Tangled " + trigger.repo().did() + "/" + trigger.repo().name() + ": ";
        String what = switch (trigger.kind()) {
            case TriggerKind.Push p -> "push to " + p.refName() + " (" + shortSha(p.newSha()) + ")";
            case TriggerKind.PullRequest pr -> "pull request " + pr.sourceBranch() + " \u2192 "
                    + pr.targetBranch() + " (" + shortSha(pr.sourceSha()) + ")";
            case TriggerKind.Manual m -> "manual run";
        };
        return repo + what + ", " + workflowName;
    }

    private static String shortSha(String sha) {
        return sha.length() > 7 ? sha.substring(0, 7) : sha;
    }
}
