package dev.weft.notifications;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.notify.Notification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The advice file's content, validated: rules in file order (the first that matches wins) and the
 * people map (DID to chat member id). Immutable.
 */
public record AdviceRules(List<Rule> rules, Map<String, String> people) {
    private static final Logger log = LoggerFactory.getLogger(AdviceRules.class);
    public static final AdviceRules EMPTY = new AdviceRules(List.of(), Map.of());

    /** How many characters of a line, and of the error, a rule sees: longer text is cut, not scanned. */
    static final int MAX_LINE = 4096;
    /**
     * Character reads one rule may spend on one failure. A sane pattern needs a few reads per
     * character (20 lines of 4 KiB is ~80k); a catastrophic one hits this in milliseconds.
     */
    static final long BUDGET = 2_000_000;

    private static final Set<String> RULE_KEYS = Set.of("match", "advice", "link", "engine", "repo", "workflow", "branch");

    public AdviceRules {
        rules = List.copyOf(rules);
        people = Map.copyOf(people);
    }

    /**
     * One rule. Filters are empty when absent; {@code repo} is {@code did/name} or a repository DID.
     */
    public record Rule(int index, Pattern match, String advice, String link, String engine, String repo,
                       String workflow, String branch) {
        boolean applies(Facts f) {
            return (engine.isEmpty() || engine.equals(f.engine()))
                    && (repo.isEmpty() || repo.equals(f.repoDid()) || repo.equals(f.ownerDid() + "/" + f.repoName()))
                    && (workflow.isEmpty() || workflow.equals(f.workflow()))
                    && (branch.isEmpty() || branch.equals(f.branch()));
        }
    }

    /** What a rule is matched against. */
    public record Facts(String engine, String ownerDid, String repoName, String repoDid, String workflow, String branch,
                        String error, List<String> lines) {
    }

    /** Every problem of a parsed advice file, each naming the rule (1-based) and the key. */
    public static final class InvalidAdviceException extends Exception {
        public InvalidAdviceException(List<String> problems) {
            super(String.join("; ", problems));
        }
    }

    /** Validates a parsed TOML tree; throws with every problem at once. */
    public static AdviceRules from(JsonNode root) throws InvalidAdviceException {
        List<String> problems = new ArrayList<>();
        List<Rule> rules = new ArrayList<>();
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!k.equals("rule") && !k.equals("people")) problems.add("unknown table or key '" + k + "' (expected [[rule]] or [people])");
        }
        JsonNode rs = root.path("rule");
        if (!rs.isMissingNode() && !rs.isArray()) problems.add("'rule' must be an array of tables: write [[rule]]");
        int i = 0;
        for (JsonNode r : rs.isArray() ? rs : List.<JsonNode>of()) {
            i++;
            String where = "rule " + i;
            if (!r.isObject()) {
                problems.add(where + ": not a table");
                continue;
            }
            for (Iterator<String> it = r.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!RULE_KEYS.contains(k)) problems.add(where + ": unknown key '" + k + "' (known: " + RULE_KEYS.stream().sorted().toList() + ")");
                else if (!r.get(k).isTextual()) problems.add(where + ": '" + k + "' must be a string");
            }
            String match = r.path("match").asText("");
            String advice = r.path("advice").asText("");
            String link = r.path("link").asText("");
            Pattern p = null;
            if (match.isEmpty()) problems.add(where + ": 'match' is required (a regular expression)");
            else {
                try {
                    p = Pattern.compile(match);
                } catch (PatternSyntaxException e) {
                    problems.add(where + ": 'match' is not a valid regular expression: " + e.getDescription()
                            + " near index " + e.getIndex());
                }
            }
            if (advice.isBlank()) problems.add(where + ": 'advice' is required");
            if (!link.isEmpty() && !isHttpUrl(link)) problems.add(where + ": 'link' must be an http(s) URL, got '" + link + "'");
            if (p != null) {
                rules.add(new Rule(i, p, advice.strip(), link, r.path("engine").asText(""), r.path("repo").asText(""),
                        r.path("workflow").asText(""), r.path("branch").asText("")));
            }
        }
        Map<String, String> people = new LinkedHashMap<>();
        JsonNode ps = root.path("people");
        if (!ps.isMissingNode() && !ps.isObject()) problems.add("'people' must be a table: [people]");
        ps.fields().forEachRemaining(e -> {
            if (!e.getKey().startsWith("did:")) problems.add("people: '" + e.getKey() + "' is not a DID");
            else if (!e.getValue().isTextual() || e.getValue().asText().isBlank()) problems.add("people: '" + e.getKey() + "' must map to a member id string");
            else people.put(e.getKey(), e.getValue().asText().strip());
        });
        if (!problems.isEmpty()) throw new InvalidAdviceException(problems);
        return new AdviceRules(rules, people);
    }

    private static boolean isHttpUrl(String s) {
        try {
            URI u = URI.create(s);
            return ("http".equals(u.getScheme()) || "https".equals(u.getScheme())) && u.getHost() != null;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * The advice of the first rule whose filters apply and whose pattern is found in the error or
     * in one of the lines. A rule that spends its budget is skipped with a warning: a bad pattern
     * costs a bounded amount of time and never the notification.
     */
    public Optional<Notification.Advice> adviceFor(Facts f) {
        for (Rule r : rules) {
            if (!r.applies(f)) continue;
            long[] budget = {BUDGET};
            try {
                if (found(r.match(), f.error(), budget) || f.lines().stream().anyMatch(l -> found(r.match(), l, budget))) {
                    return Optional.of(new Notification.Advice(r.advice(), r.link()));
                }
            } catch (BoundedText.BudgetExceeded e) {
                log.warn("advice rule {} ('{}') took too long on {}'s output and was skipped: simplify its pattern",
                        r.index(), r.match().pattern(), f.workflow());
            }
        }
        return Optional.empty();
    }

    private static boolean found(Pattern p, String text, long[] budget) {
        if (text == null || text.isEmpty()) return false;
        String t = text.length() > MAX_LINE ? text.substring(text.length() - MAX_LINE) : text;
        Matcher m = p.matcher(new BoundedText(t, budget));
        return m.find();
    }

    /** The chat member id of a DID, or empty (unknown DIDs are simply not mentioned). */
    public String memberOf(String did) {
        return people.getOrDefault(did, "");
    }
}
