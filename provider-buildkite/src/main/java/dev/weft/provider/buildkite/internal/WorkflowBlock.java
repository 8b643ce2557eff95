package dev.weft.provider.buildkite.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.spi.WorkflowSpecException;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A workflow's {@code buildkite:} block (or tack's {@code tack: {buildkite: ...}}), validated.
 *
 * <pre>
 * buildkite:
 *   pipeline: my-pipeline      # required: the pipeline slug
 *   org: my-org                # optional: overrides WEFT_BUILDKITE_ORG
 *   branch: main               # optional: the branch of manual runs
 *   message: "..."             # optional: the build message
 *   env: {KEY: value}          # optional: build environment
 *   meta_data: {key: value}    # optional: build meta-data
 * </pre>
 *
 * @param source   {@code buildkite} or {@code tack.buildkite}: how error messages name the block
 * @param fromTack whether tack's alias supplied the block
 */
public record WorkflowBlock(String source, boolean fromTack, String pipeline, Optional<String> org,
                            Optional<String> branch, Optional<String> message, Map<String, String> env,
                            Map<String, String> metaData) {

    /** Buildkite slugs: lower-case letters, digits and dashes (we accept underscores and dots too). */
    private static final Pattern SLUG = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    /**
     * Reads the block of a run: {@code block} (the {@code buildkite:} key) when present, else
     * {@code spec.tack.buildkite}.
     *
     * @throws WorkflowSpecException naming the first missing or invalid key
     */
    public static WorkflowBlock parse(JsonNode block, JsonNode spec) throws WorkflowSpecException {
        boolean tack = false;
        String source = "buildkite";
        JsonNode b = block;
        if (b == null || b.isMissingNode() || b.isNull()) {
            JsonNode t = spec == null ? null : spec.path("tack").path("buildkite");
            if (t != null && !t.isMissingNode() && !t.isNull()) {
                b = t;
                tack = true;
                source = "tack.buildkite";
            }
        }
        if (b == null || b.isMissingNode() || b.isNull()) {
            throw new WorkflowSpecException(
                    "the workflow has no buildkite: block; add buildkite: {pipeline: <pipeline slug>}");
        }
        if (!b.isObject()) {
            throw new WorkflowSpecException(source + " must be a map with at least a pipeline key");
        }
        String pipeline = requiredSlug(b, source, "pipeline");
        Optional<String> org = optionalText(b, source, "org");
        if (org.isPresent() && !SLUG.matcher(org.get()).matches()) {
            throw new WorkflowSpecException(source + ".org is not an organization slug: \"" + org.get() + "\"");
        }
        Optional<String> branch = optionalText(b, source, "branch");
        Optional<String> message = optionalText(b, source, "message");
        Map<String, String> env = stringMap(b, source, "env");
        Map<String, String> meta = stringMap(b, source, "meta_data");
        return new WorkflowBlock(source, tack, pipeline, org, branch, message, env, meta);
    }

    private static String requiredSlug(JsonNode b, String source, String key) throws WorkflowSpecException {
        JsonNode v = b.get(key);
        if (v == null || v.isNull() || (v.isTextual() && v.asText().isBlank())) {
            throw new WorkflowSpecException(source + "." + key + " is required (the Buildkite pipeline slug)");
        }
        if (!v.isTextual()) {
            throw new WorkflowSpecException(source + "." + key + " must be a string");
        }
        String s = v.asText().trim();
        if (!SLUG.matcher(s).matches()) {
            throw new WorkflowSpecException(source + "." + key + " is not a pipeline slug: \"" + s + "\"");
        }
        return s;
    }

    private static Optional<String> optionalText(JsonNode b, String source, String key)
            throws WorkflowSpecException {
        JsonNode v = b.get(key);
        if (v == null || v.isNull()) return Optional.empty();
        if (!v.isValueNode() || v.isBinary()) {
            throw new WorkflowSpecException(source + "." + key + " must be a string");
        }
        String s = v.asText().trim();
        return s.isEmpty() ? Optional.empty() : Optional.of(s);
    }

    private static Map<String, String> stringMap(JsonNode b, String source, String key)
            throws WorkflowSpecException {
        JsonNode v = b.get(key);
        if (v == null || v.isNull()) return Map.of();
        if (!v.isObject()) {
            throw new WorkflowSpecException(source + "." + key + " must be a map of names to strings");
        }
        Map<String, String> out = new LinkedHashMap<>();
        var it = v.fields();
        while (it.hasNext()) {
            var e = it.next();
            JsonNode val = e.getValue();
            if (val == null || val.isNull()) {
                out.put(e.getKey(), "");
            } else if (val.isValueNode() && !val.isBinary()) {
                out.put(e.getKey(), val.asText());
            } else {
                throw new WorkflowSpecException(
                        source + "." + key + "." + e.getKey() + " must be a string, number or boolean");
            }
        }
        return Collections.unmodifiableMap(out);
    }
}
