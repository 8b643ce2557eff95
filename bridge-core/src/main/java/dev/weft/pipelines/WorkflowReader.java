package dev.weft.pipelines;

import dev.weft.model.Workflow;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.representer.Representer;

import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads one workflow file the way upstream's {@code workflow/def.go} reads it with go-yaml:
 * {@code engine}, {@code when} and {@code clone}; everything else travels in {@code raw} for the
 * engine. The bytes come from whoever can push, so reading is bounded and never throws: a file
 * that cannot be read becomes an {@link InvalidWorkflow} with the reason.
 *
 * <p>SnakeYAML's composer is used directly rather than through Jackson: Jackson's YAML parser does
 * not expand aliases (it reports {@code *a} as the string {@code "a"}), so {@code when: [*c]} would
 * be misread, and the alias limit below, which only the composer enforces, would do nothing. The
 * composed node graph keeps every scalar as written, so a string field gets the text go-yaml
 * would give it ({@code on} stays {@code "on"}) rather than YAML 1.1's boolean.
 */
final class WorkflowReader {
    /** Larger files are invalid: real workflow files are a few KiB, and this bounds parsing. */
    static final int MAX_BYTES = 256 * 1024;
    /** Deepest YAML nesting accepted; workflow files need a handful of levels. */
    static final int MAX_NESTING = 64;
    /** Aliases allowed to point at collections: enough for real reuse, far too few for an alias bomb. */
    static final int MAX_COLLECTION_ALIASES = 50;
    /**
     * YAML nodes visited while reading {@code engine}, {@code when} and {@code clone}, counting each
     * alias as often as it is used: 50 aliases can still fan out to millions of nodes, or loop.
     */
    static final int MAX_NODES = 10_000;

    /** The reason a file cannot be read; no stack trace, it is an expected outcome. */
    private static final class Unreadable extends Exception {
        Unreadable(String reason) {
            super(reason, null, false, false);
        }
    }

    private WorkflowReader() {
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

        Node root;
        try {
            // go-yaml's Unmarshal reads the first document and ignores the rest
            Iterator<Node> documents = yaml().composeAll(new StringReader(text)).iterator();
            root = documents.hasNext() ? documents.next() : null;
        } catch (RuntimeException | StackOverflowError e) {
            return invalid(name, "", "not valid YAML: " + oneLine(e.getMessage()));
        }
        if (root == null || isNull(root)) return invalid(name, "", "empty file: missing engine");
        if (!(root instanceof MappingNode)) return invalid(name, "", "the top level is not a mapping");

        Budget budget = new Budget();
        String engine = "";
        try {
            Map<String, Node> top = fields((MappingNode) root, "the top level", budget);
            Node engineNode = top.get("engine");
            if (engineNode != null && !isNull(engineNode)) {
                if (!(engineNode instanceof ScalarNode s)) throw new Unreadable("engine is not a string");
                engine = s.getValue();
            }
            List<Constraint> when = when(top.get("when"), budget);
            Workflow.CloneOptions clone = clone(top.get("clone"), budget);
            if (engine.isEmpty()) return invalid(name, "", "missing engine");
            return new WorkflowFile.Readable(new Workflow(name, engine, clone, text), when);
        } catch (Unreadable e) {
            return invalid(name, engine, e.getMessage());
        }
    }

    /** A parser per file: SnakeYAML's {@code Yaml} is not thread-safe. */
    private static Yaml yaml() {
        LoaderOptions options = new LoaderOptions();
        options.setMaxAliasesForCollections(MAX_COLLECTION_ALIASES);
        options.setNestingDepthLimit(MAX_NESTING);
        options.setCodePointLimit(MAX_BYTES);
        options.setAllowRecursiveKeys(false);
        DumperOptions unused = new DumperOptions(); // the constructor wants them; nothing is dumped
        return new Yaml(new SafeConstructor(options), new Representer(unused), unused, options);
    }

    private static WorkflowFile invalid(String name, String engine, String reason) {
        return new WorkflowFile.Unreadable(InvalidWorkflow.of(name, engine, reason));
    }

    private static String oneLine(String s) {
        if (s == null || s.isBlank()) return "unknown parse error";
        return s.strip().replaceAll("\\s*\\n\\s*", " ");
    }

    /** Counts visited nodes so that aliases cannot make reading unbounded. */
    private static final class Budget {
        private int left = MAX_NODES;

        void spend(String where) throws Unreadable {
            if (--left < 0) throw new Unreadable(where + " is too large once aliases are expanded (more than "
                    + MAX_NODES + " YAML nodes)");
        }
    }

    private static boolean isNull(Node n) {
        return n.getTag().equals(Tag.NULL);
    }

    /**
     * A mapping's string keys, with {@code <<} merge keys applied (explicit keys win) and a key
     * defined twice refused, as go-yaml does.
     */
    private static Map<String, Node> fields(MappingNode m, String where, Budget budget) throws Unreadable {
        return fields(m, where, budget, 0);
    }

    private static Map<String, Node> fields(MappingNode m, String where, Budget budget, int merged) throws Unreadable {
        // a merge can name the mapping it is in: the depth bound stops that before the stack does
        if (merged > MAX_NESTING) throw new Unreadable(where + " merges mappings too deeply (recursive alias?)");
        budget.spend(where);
        Map<String, Node> out = new LinkedHashMap<>();
        List<Node> merges = new ArrayList<>();
        for (NodeTuple t : m.getValue()) {
            budget.spend(where);
            if (!(t.getKeyNode() instanceof ScalarNode k)) continue; // not a field upstream can name
            if (k.getTag().equals(Tag.MERGE)) {
                merges.add(t.getValueNode());
                continue;
            }
            if (out.put(k.getValue(), t.getValueNode()) != null) {
                throw new Unreadable(where + " defines key \"" + k.getValue() + "\" twice");
            }
        }
        for (Node merge : merges) {
            List<Node> sources = merge instanceof SequenceNode s ? s.getValue() : List.of(merge);
            for (Node source : sources) {
                if (!(source instanceof MappingNode sm)) throw new Unreadable(where + " merges a value that is not a mapping");
                fields(sm, where, budget, merged + 1).forEach(out::putIfAbsent);
            }
        }
        return out;
    }

    /** {@code when}: absent or null is empty (always run); otherwise a list of mappings. */
    private static List<Constraint> when(Node n, Budget budget) throws Unreadable {
        if (n == null || isNull(n)) return List.of();
        if (!(n instanceof SequenceNode seq)) throw new Unreadable("when is not a list");
        List<Constraint> out = new ArrayList<>();
        int i = 0;
        for (Node c : seq.getValue()) {
            String at = "when[" + i++ + "]";
            budget.spend(at);
            if (isNull(c)) { // go-yaml decodes it to an empty constraint, which matches nothing
                out.add(new Constraint(List.of(), List.of(), List.of(), List.of(), List.of()));
                continue;
            }
            if (!(c instanceof MappingNode cm)) throw new Unreadable(at + " is not a mapping");
            Map<String, Node> f = fields(cm, at, budget);
            out.add(new Constraint(strings(f, "event", at, budget), Glob.all(strings(f, "branch", at, budget)),
                    Glob.all(strings(f, "tag", at, budget)), strings(f, "types", at, budget),
                    Glob.all(strings(f, "paths", at, budget))));
        }
        return out;
    }

    /** A constraint field: one string or a list of strings; absent or null is empty. */
    private static List<String> strings(Map<String, Node> fields, String field, String at, Budget budget)
            throws Unreadable {
        Node n = fields.get(field);
        if (n == null || isNull(n)) return List.of();
        if (n instanceof ScalarNode s) return List.of(s.getValue());
        String bad = at + "." + field + " is not a string or a list of strings";
        if (!(n instanceof SequenceNode seq)) throw new Unreadable(bad);
        List<String> out = new ArrayList<>(seq.getValue().size());
        for (Node item : seq.getValue()) {
            budget.spend(at + "." + field);
            if (!(item instanceof ScalarNode s) || isNull(s)) throw new Unreadable(bad);
            out.add(s.getValue());
        }
        return out;
    }

    /**
     * {@code clone}: {@code skip} false, {@code depth} 0 (one commit at clone time),
     * {@code submodules} and {@code tags} true when absent, as upstream's {@code AsRecord}.
     */
    private static Workflow.CloneOptions clone(Node n, Budget budget) throws Unreadable {
        if (n == null || isNull(n)) return new Workflow.CloneOptions(false, 0, true, true);
        if (!(n instanceof MappingNode m)) throw new Unreadable("clone is not a mapping");
        Map<String, Node> f = fields(m, "clone", budget);
        return new Workflow.CloneOptions(bool(f, "skip", false), depth(f), bool(f, "submodules", true),
                bool(f, "tags", true));
    }

    /** The spellings go-yaml accepts for a {@code bool} field (YAML 1.2 plus its 1.1 compatibility). */
    private static final Set<String> TRUE = Set.of("true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y");
    private static final Set<String> FALSE = Set.of("false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N");

    private static boolean bool(Map<String, Node> clone, String field, boolean absent) throws Unreadable {
        Node n = clone.get(field);
        if (n == null || isNull(n)) return absent;
        if (n instanceof ScalarNode s && !quoted(s)) {
            if (TRUE.contains(s.getValue())) return true;
            if (FALSE.contains(s.getValue())) return false;
        }
        throw new Unreadable("clone." + field + " is not a boolean");
    }

    private static int depth(Map<String, Node> clone) throws Unreadable {
        Node n = clone.get("depth");
        if (n == null || isNull(n)) return 0;
        if (n instanceof ScalarNode s && !quoted(s) && s.getTag().equals(Tag.INT)) {
            try {
                return Integer.parseInt(s.getValue().replace("_", "").replaceFirst("^\\+", ""));
            } catch (NumberFormatException e) {
                // out of range, or a YAML 1.1 form (0x1f, 0o17) nobody writes for a depth: refused below
            }
        }
        throw new Unreadable("clone.depth is not an integer");
    }

    private static boolean quoted(ScalarNode s) {
        return s.getScalarStyle() != DumperOptions.ScalarStyle.PLAIN;
    }
}
