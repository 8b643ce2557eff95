package dev.weft.provider.github;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.spi.WorkflowSpecException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A workflow's {@code github:} block:
 * <pre>
 * github:
 *   repo: owner/name          # required: the GitHub mirror
 *   workflow: ci.yml          # required: file name under .github/workflows, or the numeric id
 *   ref: main                 # optional: branch or tag; default from the trigger
 *   inputs:                   # optional: workflow_dispatch inputs, strings
 *     target: production
 *   callback: true            # optional: also pass weft_callback_url and weft_callback_token
 * </pre>
 * {@link #parse} names every problem at once, each by its key.
 */
record WorkflowBlock(String owner, String repo, String workflow, Optional<String> ref, Map<String, String> inputs,
                     boolean callback) {
    static final String RUN_ID_INPUT = "weft_run_id";
    /** The inputs {@code callback: true} adds: the run's callback URL and token (docs/callbacks.md). */
    static final String CALLBACK_URL_INPUT = "weft_callback_url";
    static final String CALLBACK_TOKEN_INPUT = "weft_callback_token";
    /** Input names weft sets itself; neither the block nor a manual run may. */
    static final Set<String> RESERVED_INPUTS = Set.of(RUN_ID_INPUT, CALLBACK_URL_INPUT, CALLBACK_TOKEN_INPUT);
    private static final Set<String> KEYS = Set.of("repo", "workflow", "ref", "inputs", "callback");

    /** A block without {@code callback}. */
    WorkflowBlock(String owner, String repo, String workflow, Optional<String> ref, Map<String, String> inputs) {
        this(owner, repo, workflow, ref, inputs, false);
    }
    private static final Pattern REPO = Pattern.compile("([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)");
    private static final Pattern WORKFLOW = Pattern.compile("[A-Za-z0-9_.-]+");

    String fullName() {
        return owner + "/" + repo;
    }

    static WorkflowBlock parse(JsonNode block) throws WorkflowSpecException {
        if (block == null || block.isMissingNode() || block.isNull()) {
            throw new WorkflowSpecException("the workflow has no github: block; it needs github.repo (owner/name)"
                    + " and github.workflow (a workflow file name or id)");
        }
        if (!block.isObject()) throw new WorkflowSpecException("github: must be a mapping with repo and workflow");
        List<String> problems = new ArrayList<>();
        for (var field : block.properties()) {
            String k = field.getKey();
            if (!KEYS.contains(k)) problems.add("github." + k + ": unknown key (known: repo, workflow, ref, inputs, callback)");
        }
        String owner = null;
        String name = null;
        JsonNode repo = block.path("repo");
        if (repo.isMissingNode() || repo.isNull()) {
            problems.add("github.repo: required (owner/name of the GitHub repository)");
        } else {
            var m = repo.isTextual() ? REPO.matcher(repo.asText().trim()) : null;
            if (m == null || !m.matches()) problems.add("github.repo: expected owner/name, got " + repo);
            else {
                owner = m.group(1);
                name = m.group(2);
            }
        }
        String workflow = null;
        JsonNode wf = block.path("workflow");
        if (wf.isMissingNode() || wf.isNull()) {
            problems.add("github.workflow: required (a file name such as ci.yml, or the workflow id)");
        } else if (wf.isIntegralNumber() && wf.asLong() > 0) {
            workflow = Long.toString(wf.asLong());
        } else if (wf.isTextual() && WORKFLOW.matcher(wf.asText().trim()).matches()) {
            workflow = wf.asText().trim();
        } else {
            problems.add("github.workflow: expected a file name (ci.yml) or a numeric id, got " + wf);
        }
        Optional<String> ref = Optional.empty();
        JsonNode r = block.path("ref");
        if (!r.isMissingNode() && !r.isNull()) {
            if (r.isTextual() && !r.asText().isBlank()) ref = Optional.of(r.asText().trim());
            else problems.add("github.ref: expected a branch or tag name, got " + r);
        }
        Map<String, String> inputs = new LinkedHashMap<>();
        JsonNode in = block.path("inputs");
        if (!in.isMissingNode() && !in.isNull()) {
            if (!in.isObject()) {
                problems.add("github.inputs: expected a mapping of input names to strings");
            } else {
                for (var e : in.properties()) {
                    JsonNode v = e.getValue();
                    if (RESERVED_INPUTS.contains(e.getKey())) {
                        problems.add("github.inputs." + e.getKey() + ": reserved, weft sets it");
                    } else if (v.isValueNode() && !v.isNull()) {
                        inputs.put(e.getKey(), v.asText());
                    } else {
                        problems.add("github.inputs." + e.getKey() + ": expected a string, got " + v);
                    }
                }
            }
        }
        boolean callback = false;
        JsonNode cb = block.path("callback");
        if (!cb.isMissingNode() && !cb.isNull()) {
            if (cb.isBoolean()) callback = cb.booleanValue();
            else problems.add("github.callback: expected true or false, got " + cb);
        }
        if (!problems.isEmpty()) throw new WorkflowSpecException(String.join("; ", problems));
        return new WorkflowBlock(owner, name, workflow, ref, java.util.Collections.unmodifiableMap(inputs), callback);
    }
}
