package dev.weft.runs;

import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** The variables every workflow sees (spec section 9), computed once per run, here only. */
public final class TangledVariables {
    private TangledVariables() {
    }

    public static Map<String, String> of(Trigger t, boolean dev) {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("CI", "true");
        v.put("TANGLED_PIPELINE_ID", t.pipeline().atUri());
        v.put("TANGLED_REPO_KNOT", t.repo().knot());
        v.put("TANGLED_REPO_DID", t.repo().did());
        v.put("TANGLED_REPO_NAME", t.repo().name());
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
                v.put("TANGLED_PR_SOURCE_BRANCH", pr.sourceBranch());
                v.put("TANGLED_PR_TARGET_BRANCH", pr.targetBranch());
                v.put("TANGLED_PR_SOURCE_SHA", pr.sourceSha());
            }
            case TriggerKind.Manual m -> {
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
