package dev.weft.concurrency;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A workflow's {@code concurrency} setting, read from its YAML next to {@code engine}:
 * <pre>{@code
 * concurrency:
 *   group: deploy-${TANGLED_REF_NAME}
 *   cancel-in-progress: false
 * }</pre>
 * or the short form {@code concurrency: deploy}. {@code ${TANGLED_*}} references expand to the
 * run's Tangled variables (one the run does not have, a pull request's on a push say, expands to
 * nothing); any other text, {@code ${OTHER}} included, is kept as written. The expanded name must be
 * 1 to {@link #MAX_GROUP} characters without control characters, and so must the name as written:
 * anything else is {@link Invalid}, and the run fails at dispatch with that error.
 */
public sealed interface ConcurrencySpec {
    /** The longest group name, as written and as expanded: a name is a key, not a document. */
    int MAX_GROUP = 256;

    /** No {@code concurrency} key: the run starts at once, as every run did before groups. */
    record None() implements ConcurrencySpec {
    }

    /** A member of group {@code name} of its repository. */
    record Group(String name, boolean cancelInProgress) implements ConcurrencySpec {
        public Group {
            Objects.requireNonNull(name, "name");
        }
    }

    /** A {@code concurrency} key weft cannot use: the run fails with {@code error}. */
    record Invalid(String error) implements ConcurrencySpec {
    }

    ConcurrencySpec NONE = new None();

    /** {@code ${NAME}}: only names of the Tangled variables' shape are expanded. */
    Pattern VARIABLE = Pattern.compile("\\$\\{(TANGLED_[A-Z0-9_]*)}");

    /**
     * Reads {@code spec}'s {@code concurrency} key. {@code spec} is the parsed workflow (a missing
     * node when it did not parse: the run fails for that reason elsewhere); {@code variables} are
     * the run's Tangled variables.
     */
    static ConcurrencySpec read(JsonNode spec, Map<String, String> variables) {
        if (spec == null || !spec.isObject() || !spec.has("concurrency")) return NONE;
        JsonNode c = spec.get("concurrency");
        if (c.isTextual()) return group(c.textValue(), false, variables);
        if (!c.isObject()) {
            return new Invalid("concurrency must be a group name or a mapping with group and cancel-in-progress, not "
                    + kind(c));
        }
        for (Iterator<String> names = c.fieldNames(); names.hasNext(); ) {
            String n = names.next();
            if (!n.equals("group") && !n.equals("cancel-in-progress")) {
                return new Invalid("concurrency has an unknown key " + quoted(n) + " (known: group, cancel-in-progress)");
            }
        }
        JsonNode g = c.get("group");
        if (g == null || g.isNull()) return new Invalid("concurrency needs a group");
        if (!g.isTextual()) return new Invalid("concurrency.group must be a string, not " + kind(g));
        JsonNode cancel = c.get("cancel-in-progress");
        if (cancel != null && !cancel.isNull() && !cancel.isBoolean()) {
            return new Invalid("concurrency.cancel-in-progress must be true or false, not " + kind(cancel));
        }
        return group(g.textValue(), cancel != null && cancel.booleanValue(), variables);
    }

    private static ConcurrencySpec group(String written, boolean cancelInProgress, Map<String, String> variables) {
        String problem = problem(written, "");
        if (problem != null) return new Invalid(problem);
        Matcher m = VARIABLE.matcher(written);
        StringBuilder out = new StringBuilder();
        while (m.find()) m.appendReplacement(out, Matcher.quoteReplacement(variables.getOrDefault(m.group(1), "")));
        m.appendTail(out);
        String expanded = out.toString().strip();
        problem = problem(expanded, " once expanded");
        return problem != null ? new Invalid(problem) : new Group(expanded, cancelInProgress);
    }

    private static String problem(String name, String when) {
        if (name.isBlank()) return "concurrency group is empty" + when;
        if (name.length() > MAX_GROUP) {
            return "concurrency group is " + name.length() + " characters" + when + ", more than the " + MAX_GROUP + " allowed";
        }
        if (name.chars().anyMatch(Character::isISOControl)) return "concurrency group contains control characters" + when;
        return null;
    }

    private static String kind(JsonNode n) {
        if (n.isArray()) return "a list";
        if (n.isObject()) return "a mapping";
        if (n.isNumber()) return "a number";
        if (n.isBoolean()) return "a boolean";
        if (n.isNull()) return "empty";
        if (n.isTextual()) return "a string";
        return n.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }

    /** A user's key, shortened: it is echoed in an error, and keys can be long. */
    private static String quoted(String s) {
        return "\"" + (s.length() > 64 ? s.substring(0, 64) + "..." : s) + "\"";
    }
}
