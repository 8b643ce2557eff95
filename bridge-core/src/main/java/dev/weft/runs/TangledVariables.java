package dev.weft.runs;

import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The variables every workflow sees (legacy spec section 9, extended by spec tangled-ci 2.8),
 * computed once per run, here only. Repositories known by their DID also get
 * {@code TANGLED_REPO_REPO_DID} and a clone URL on it.
 */
public final class TangledVariables {
    private TangledVariables() {
    }

    public static Map<String, String> of(Trigger t, boolean dev) {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("CI", "true");
        v.put("TANGLED_PIPELINE_ID", t.pipeline().atUri());
        v.put("TANGLED_PIPELINE_KIND", t.kind().wireName());
        v.put("TANGLED_REPO_KNOT", t.repo().knot());
        v.put("TANGLED_REPO_DID", t.repo().did());
        v.put("TANGLED_REPO_NAME", t.repo().name());
        if (t.repo().hasRepoDid()) v.put("TANGLED_REPO_REPO_DID", t.repo().repoDid());
        v.put("TANGLED_REPO_DEFAULT_BRANCH", t.repo().defaultBranch());
        v.put("TANGLED_REPO_URL", t.repo().httpUrl(dev));
        switch (t.kind()) {
            case TriggerKind.Push p -> {
                v.put("TANGLED_REF", p.ref());
                v.put("TANGLED_REF_NAME", p.refName());
                v.put("TANGLED_REF_TYPE", p.refType());
                v.put("TANGLED_SHA", p.newSha());
                v.put("TANGLED_COMMIT_SHA", p.newSha());
            }
            case TriggerKind.PullRequest pr -> {
                v.put("TANGLED_REF", "refs/heads/" + pr.sourceBranch());
                v.put("TANGLED_REF_NAME", pr.sourceBranch());
                v.put("TANGLED_REF_TYPE", "branch");
                v.put("TANGLED_SHA", pr.sourceSha());
                v.put("TANGLED_COMMIT_SHA", pr.sourceSha());
                v.put("TANGLED_PR_SOURCE_BRANCH", pr.sourceBranch());
                v.put("TANGLED_PR_TARGET_BRANCH", pr.targetBranch());
                v.put("TANGLED_PR_SOURCE_SHA", pr.sourceSha());
                v.put("TANGLED_PR_ACTION", pr.action());
            }
            case TriggerKind.Manual m -> {
                if (!m.ref().isEmpty()) {
                    TriggerKind.Push asRef = new TriggerKind.Push(m.ref(), m.sha(), "");
                    v.put("TANGLED_REF", m.ref());
                    v.put("TANGLED_REF_NAME", asRef.refName());
                    v.put("TANGLED_REF_TYPE", asRef.refType());
                }
                if (!m.sha().isEmpty()) {
                    v.put("TANGLED_SHA", m.sha());
                    v.put("TANGLED_COMMIT_SHA", m.sha());
                }
                for (TriggerKind.Input in : m.inputs()) v.put("TANGLED_INPUT_" + envName(in.key()), in.value());
            }
        }
        return java.util.Collections.unmodifiableMap(v);
    }

    /** An input key as an environment variable suffix: upper case, anything else than [A-Z0-9_] as '_'. */
    static String envName(String key) {
        StringBuilder b = new StringBuilder(key.length());
        for (char c : key.toUpperCase(Locale.ROOT).toCharArray()) {
            b.append((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ? c : '_');
        }
        return b.toString();
    }
}
