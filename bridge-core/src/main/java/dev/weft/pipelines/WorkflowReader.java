package dev.weft.pipelines;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import dev.weft.model.Workflow;
import org.yaml.snakeyaml.LoaderOptions;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads one workflow file the way upstream's {@code workflow/def.go} reads it: {@code engine},
 * {@code when} and {@code clone}; everything else travels in {@code raw} for the engine. The bytes
 * come from whoever can push, so reading is bounded and never throws: a file that cannot be read
 * becomes an {@link InvalidWorkflow} with the reason.
 */
final class WorkflowReader {
    /** Larger files are invalid: real workflow files are a few KiB, and this bounds parsing. */
    static final int MAX_BYTES = 256 * 1024;
    /** Deepest YAML nesting accepted; workflow files need a handful of levels. */
    static final int MAX_NESTING = 64;
    /** Aliases allowed to point at collections: enough for real reuse, far too few for an alias bomb. */
    static final int MAX_COLLECTION_ALIASES = 50;

    /** A field that go-yaml could not have decoded into upstream's types; the message is the reason. */
    private static final class BadField extends Exception {
        BadField(String reason) {
            super(reason, null, false, false);
        }
    }

    static final ObjectMapper YAML = yamlMapper();

    private WorkflowReader() {
    }

    private static ObjectMapper yamlMapper() {
        LoaderOptions loader = new LoaderOptions();
        loader.setMaxAliasesForCollections(MAX_COLLECTION_ALIASES);
        loader.setCodePointLimit(MAX_BYTES);
        loader.setNestingDepthLimit(MAX_NESTING);
        loader.setAllowDuplicateKeys(false);
        YAMLFactory factory = YAMLFactory.builder()
                .loaderOptions(loader)
                // "when:" with nothing after it is null, as in go-yaml, not the empty string
                .enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL)
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(MAX_NESTING)
                        .maxStringLength(MAX_BYTES)
                        .maxDocumentLength(MAX_BYTES)
                        .build())
                .build();
        // go-yaml refuses a key defined twice; so does weft, instead of keeping the last one
        return new YAMLMapper(factory).enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    }

    /** Reads file {@code name}. */
    static WorkflowFile read(String name, byte[] bytes) {
        if (bytes.length > MAX_BYTES) {
            return invalid(name, "", "file is " + bytes.length + " bytes, more than the " + MAX_BYTES + " allowed");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return invalid(name, "", "not UTF-8 text (binary file?)");
        }
        if (text.indexOf('\0') >= 0) return invalid(name, "", "binary file (contains NUL bytes)");
        if (text.isBlank()) return invalid(name, "", "empty file: missing engine");

        JsonNode root;
        try {
            root = YAML.readTree(text);
        } catch (Exception | StackOverflowError e) {
            return invalid(name, "", "not valid YAML: " + firstLine(e.getMessage()));
        }
        if (root == null || root.isMissingNode() || root.isNull()) return invalid(name, "", "empty file: missing engine");
        if (!root.isObject()) return invalid(name, "", "the top level is not a mapping");

        JsonNode engineNode = root.get("engine");
        String engine = "";
        if (engineNode != null && !engineNode.isNull()) {
            if (!engineNode.isValueNode()) return invalid(name, "", "engine is not a string");
            engine = engineNode.asText();
        }
        try {
            List<Constraint> when = when(root.get("when"));
            Workflow.CloneOptions clone = clone(root.get("clone"));
            if (engine.isEmpty()) return invalid(name, "", "missing engine");
            return new WorkflowFile.Readable(new Workflow(name, engine, clone, text), when);
        } catch (BadField e) {
            return invalid(name, engine, e.getMessage());
        }
    }

    private static WorkflowFile invalid(String name, String engine, String reason) {
        return new WorkflowFile.Unreadable(InvalidWorkflow.of(name, engine, reason));
    }

    private static String firstLine(String s) {
        if (s == null) return "unknown parse error";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** {@code when}: absent or null is empty (always run); otherwise a list of mappings. */
    private static List<Constraint> when(JsonNode n) throws BadField {
        if (n == null || n.isNull()) return List.of();
        if (!n.isArray()) throw new BadField("when is not a list");
        List<Constraint> out = new ArrayList<>();
        int i = 0;
        for (JsonNode c : n) {
            String at = "when[" + i++ + "]";
            if (c.isNull()) { // go-yaml decodes it to an empty constraint, which matches nothing
                out.add(new Constraint(List.of(), List.of(), List.of(), List.of(), List.of()));
                continue;
            }
            if (!c.isObject()) throw new BadField(at + " is not a mapping");
            out.add(new Constraint(strings(c, "event", at), Glob.all(strings(c, "branch", at)),
                    Glob.all(strings(c, "tag", at)), strings(c, "types", at), Glob.all(strings(c, "paths", at))));
        }
        return out;
    }

    /** A constraint field: one string or a list of strings; absent or null is empty. */
    private static List<String> strings(JsonNode c, String field, String at) throws BadField {
        JsonNode n = c.get(field);
        if (n == null || n.isNull()) return List.of();
        if (n.isValueNode()) return List.of(n.asText());
        if (!n.isArray()) throw new BadField(at + "." + field + " is not a string or a list of strings");
        List<String> out = new ArrayList<>(n.size());
        for (JsonNode s : n) {
            if (!s.isValueNode() || s.isNull()) {
                throw new BadField(at + "." + field + " is not a string or a list of strings");
            }
            out.add(s.asText());
        }
        return out;
    }

    /**
     * {@code clone}: {@code skip} false, {@code depth} 0 (one commit at clone time),
     * {@code submodules} and {@code tags} true when absent, as upstream's {@code AsRecord}.
     */
    private static Workflow.CloneOptions clone(JsonNode n) throws BadField {
        if (n == null || n.isNull()) return new Workflow.CloneOptions(false, 0, true, true);
        if (!n.isObject()) throw new BadField("clone is not a mapping");
        return new Workflow.CloneOptions(bool(n, "skip", false), depth(n), bool(n, "submodules", true),
                bool(n, "tags", true));
    }

    private static boolean bool(JsonNode clone, String field, boolean absent) throws BadField {
        JsonNode n = clone.get(field);
        if (n == null || n.isNull()) return absent;
        if (!n.isBoolean()) throw new BadField("clone." + field + " is not a boolean");
        return n.booleanValue();
    }

    private static int depth(JsonNode clone) throws BadField {
        JsonNode n = clone.get("depth");
        if (n == null || n.isNull()) return 0;
        if (!n.isIntegralNumber() || !n.canConvertToInt()) throw new BadField("clone.depth is not an integer");
        return n.intValue();
    }
}
