package dev.weft.pipelines;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;

/**
 * A path pattern with the semantics of {@code github.com/bmatcuk/doublestar/v4 Match}, which upstream
 * uses for {@code when} {@code branch}, {@code tag} and {@code paths}:
 * <ul>
 *   <li>{@code *} matches any run of characters except {@code /}; {@code ?} one character except {@code /};</li>
 *   <li>{@code **} as a whole path segment crosses {@code /}: <code>a/**&#47;b</code> matches {@code a/b} and
 *       {@code a/x/y/b}, a trailing {@code a/**} matches {@code a}, {@code a/} and everything under it;
 *       {@code **} inside a segment ({@code a**}, {@code **.txt}) is a plain {@code *};</li>
 *   <li>{@code [abc]}, {@code [a-z]}, negated with {@code ^} or {@code !}; a class must not be empty
 *       ({@code []a]} is malformed) and, as in doublestar, may match {@code /};</li>
 *   <li>{@code {a,b}} alternatives, nestable, an alternative may be empty;</li>
 *   <li>a backslash makes the next character literal, inside classes too.</li>
 * </ul>
 * A malformed pattern (an unclosed '[' or '{', an unmatched '}', an empty class, a trailing
 * backslash) never matches: doublestar returns {@code ErrBadPattern}, and weft reads that as "no
 * match" rather than failing the trigger.
 *
 * <p>Unlike doublestar, which expands alternatives by recursion (exponential in the number of
 * brace groups), the pattern is compiled once to a small automaton and run over the name in
 * time proportional to pattern length times name length, so a hostile pattern cannot hang weft. Two
 * bounds keep that cost and the parser's stack small: patterns longer than {@link #MAX_LENGTH} code
 * points, or with alternatives nested deeper than {@link #MAX_NESTING}, are treated as malformed.
 *
 * <p>Where doublestar's recursion treats {@code **} at the start of any alternative as segment-initial
 * even in <code>a{**&#47;b,c}</code>, this class follows the documented rule instead: {@code **} is a
 * globstar only when it starts a path segment of the expanded pattern. And a {@code **} whose
 * {@code /} comes only after a group's closing brace (<code>{a,**}/b</code>) stays a plain {@code *} here.
 */
public final class Glob {
    /** Longest pattern compiled, in code points; real branch and path globs are far shorter. */
    public static final int MAX_LENGTH = 4096;
    /** Deepest nesting of {@code {}} alternatives. */
    public static final int MAX_NESTING = 32;

    private final String pattern;
    private final Program program; // null: malformed, never matches

    private Glob(String pattern, Program program) {
        this.pattern = pattern;
        this.program = program;
    }

    /** Compiles {@code pattern}; a malformed one gives a glob that never matches (see {@link #valid()}). */
    public static Glob of(String pattern) {
        Objects.requireNonNull(pattern, "pattern");
        int[] cps = pattern.codePoints().toArray();
        if (cps.length > MAX_LENGTH) return new Glob(pattern, null);
        try {
            return new Glob(pattern, new Compiler(cps).compile());
        } catch (Malformed e) {
            return new Glob(pattern, null);
        }
    }

    /** True when any of {@code patterns} matches {@code name}; an empty list never matches. */
    public static boolean anyMatch(List<Glob> patterns, String name) {
        for (Glob g : patterns) {
            if (g.matches(name)) return true;
        }
        return false;
    }

    /** Whether the pattern is well formed; a malformed pattern matches nothing. */
    public boolean valid() {
        return program != null;
    }

    /** The pattern as written. */
    public String pattern() {
        return pattern;
    }

    /** Whether the whole of {@code name} matches the pattern. */
    public boolean matches(String name) {
        return program != null && program.run(name.codePoints().toArray());
    }

    @Override
    public String toString() {
        return pattern;
    }

    /* ---------- automaton ---------- */

    /** Thrown while compiling; never escapes {@link #of}. */
    private static final class Malformed extends Exception {
        Malformed() {
            super(null, null, false, false);
        }
    }

    // State kinds. SPLIT has no input and leads to all of its outs; MATCH accepts.
    private static final byte CHAR = 0, NOT_SEP = 1, ANY = 2, CLASS = 3, SPLIT = 4, MATCH = 5;

    /** A Thompson automaton: every consuming state has one out; SPLIT states have several. */
    private record Program(byte[] kind, int[] ch, int[][] outs, int[][] ranges, boolean[] negated, int start) {
        boolean run(int[] name) {
            int n = kind.length;
            BitSet current = new BitSet(n);
            BitSet next = new BitSet(n);
            int[] stack = new int[n];
            close(start, current, stack);
            for (int c : name) {
                if (current.isEmpty()) return false;
                next.clear();
                for (int s = current.nextSetBit(0); s >= 0; s = current.nextSetBit(s + 1)) {
                    if (consumes(s, c)) close(outs[s][0], next, stack);
                }
                BitSet t = current;
                current = next;
                next = t;
            }
            for (int s = current.nextSetBit(0); s >= 0; s = current.nextSetBit(s + 1)) {
                if (kind[s] == MATCH) return true;
            }
            return false;
        }

        private boolean consumes(int s, int c) {
            return switch (kind[s]) {
                case CHAR -> ch[s] == c;
                case NOT_SEP -> c != '/';
                case ANY -> true;
                case CLASS -> inClass(s, c) != negated[s];
                default -> false;
            };
        }

        private boolean inClass(int s, int c) {
            int[] r = ranges[s];
            for (int i = 0; i < r.length; i += 2) {
                if (r[i] <= c && c <= r[i + 1]) return true;
            }
            return false;
        }

        /** Adds {@code s} and every state reachable from it without input to {@code set}. */
        private void close(int s, BitSet set, int[] stack) {
            int top = 0;
            if (set.get(s)) return;
            set.set(s);
            stack[top++] = s;
            while (top > 0) {
                int x = stack[--top];
                if (kind[x] != SPLIT) continue;
                for (int o : outs[x]) {
                    if (!set.get(o)) {
                        set.set(o);
                        stack[top++] = o;
                    }
                }
            }
        }
    }

    /**
     * Parses the pattern by recursive descent and builds the automaton back to front: each piece is
     * compiled knowing the state that follows it, which is how {@code **} learns whether it ends the
     * pattern.
     */
    private static final class Compiler {
        private final int[] p;
        private final int[] closing;   // for a structural '{': its '}'; else -1
        private final int[] enclosing; // for a structural '{', ',' or '}': the '{' of the group it belongs to
        private final List<Byte> kinds = new ArrayList<>();
        private final List<Integer> chars = new ArrayList<>();
        private final List<int[]> outs = new ArrayList<>();
        private final List<int[]> ranges = new ArrayList<>();
        private final List<Boolean> negated = new ArrayList<>();

        Compiler(int[] p) throws Malformed {
            this.p = p;
            this.closing = new int[p.length];
            this.enclosing = new int[p.length];
            validate();
        }

        Program compile() throws Malformed {
            int match = add(MATCH, 0, new int[0], null, false);
            List<Item> items = parseSeq(0, p.length);
            int start = build(items, match);
            int n = kinds.size();
            byte[] k = new byte[n];
            int[] c = new int[n];
            boolean[] neg = new boolean[n];
            for (int i = 0; i < n; i++) {
                k[i] = kinds.get(i);
                c[i] = chars.get(i);
                neg[i] = negated.get(i);
            }
            return new Program(k, c, outs.toArray(int[][]::new), ranges.toArray(int[][]::new), neg, start);
        }

        /**
         * Doublestar's validation (escapes complete, classes closed and non-empty, braces balanced)
         * plus the nesting bound; records which braces and commas are structure, not literals.
         */
        private void validate() throws Malformed {
            Arrays.fill(closing, -1);
            Arrays.fill(enclosing, -1);
            int[] open = new int[MAX_NESTING];
            int depth = 0;
            for (int i = 0; i < p.length; i++) {
                switch (p[i]) {
                    case '\\' -> {
                        if (++i >= p.length) throw new Malformed();
                    }
                    case '[' -> i = classEnd(p, i);
                    case '{' -> {
                        if (depth == MAX_NESTING) throw new Malformed();
                        enclosing[i] = depth > 0 ? open[depth - 1] : -2; // -2: structural, at top level
                        open[depth++] = i;
                    }
                    case ',' -> {
                        if (depth > 0) enclosing[i] = open[depth - 1];
                    }
                    case '}' -> {
                        if (depth == 0) throw new Malformed();
                        int o = open[--depth];
                        closing[o] = i;
                        enclosing[i] = o;
                    }
                    default -> { }
                }
            }
            if (depth != 0) throw new Malformed();
        }

        private boolean structural(int i) {
            return enclosing[i] != -1;
        }

        /** The index of the ']' closing the class that opens at {@code i}. */
        private static int classEnd(int[] p, int i) throws Malformed {
            i++;
            if (i < p.length && (p[i] == '^' || p[i] == '!')) i++;
            if (i >= p.length || p[i] == ']') throw new Malformed();
            for (; i < p.length; i++) {
                if (p[i] == '\\') i++;
                else if (p[i] == ']') return i;
            }
            throw new Malformed();
        }

        /* The parsed pattern. */
        private sealed interface Item permits Lit, Single, Star, Globstar, Cls, Alt, SlashTail { }
        private record Lit(int c) implements Item { }
        private record Single() implements Item { }            // ?
        private record Star() implements Item { }              // * (and ** inside a segment)
        private record Globstar(boolean toEnd) implements Item { } // ** segment: toEnd = nothing follows
        private record Cls(int[] ranges, boolean negated) implements Item { }
        private record Alt(List<List<Item>> alternatives) implements Item { }
        /** "/**" or "/**&#47;" ending the pattern: doublestar lets it match nothing at all too. */
        private record SlashTail(boolean trailingSlash) implements Item { }

        /** Parses {@code p[from, to)}, which holds whole classes and groups only. */
        private List<Item> parseSeq(int from, int to) throws Malformed {
            List<Item> items = new ArrayList<>();
            int i = from;
            while (i < to) {
                int c = p[i];
                switch (c) {
                    case '\\' -> {
                        items.add(new Lit(p[i + 1]));
                        i += 2;
                    }
                    case '?' -> {
                        items.add(new Single());
                        i++;
                    }
                    case '[' -> {
                        int end = classEnd(p, i);
                        items.add(parseClass(i + 1, end));
                        i = end + 1;
                    }
                    case '{' -> {
                        int end = closing[i];
                        List<List<Item>> alts = new ArrayList<>();
                        int a = i + 1;
                        for (int j = a; j <= end; j++) {
                            if ((p[j] == ',' || p[j] == '}') && structural(j) && enclosing[j] == i) {
                                alts.add(parseSeq(a, j));
                                a = j + 1;
                            }
                        }
                        items.add(new Alt(alts));
                        i = end + 1;
                    }
                    case '*' -> {
                        int run = i;
                        while (run < to && p[run] == '*') run++;
                        boolean segmentStart = segmentStart(i);
                        int after = follower(run);
                        // a '/' that follows only after a group's '}' is left to a plain '*': rare, and
                        // the globstar would have to own a separator that another piece parses
                        if (run - i == 2 && segmentStart && run < to && p[run] == '/') {
                            items.add(new Globstar(false));
                            i = run + 1; // the '/' belongs to the globstar: zero or more "dir/"
                        } else if (run - i == 2 && segmentStart && after == -1) {
                            items.add(new Globstar(true));
                            i = run;
                        } else {
                            items.add(new Star());
                            i = run;
                        }
                    }
                    case '/' -> {
                        SlashTail tail = slashTail(i);
                        if (tail != null) {
                            items.add(tail);
                            i += tail.trailingSlash() ? 4 : 3;
                        } else {
                            items.add(new Lit('/'));
                            i++;
                        }
                    }
                    default -> {
                        items.add(new Lit(c));
                        i++;
                    }
                }
            }
            return items;
        }

        /** "/**" or "/**&#47;" at {@code i} with nothing after it in the expanded pattern. */
        private SlashTail slashTail(int i) {
            if (i + 2 >= p.length || p[i + 1] != '*' || p[i + 2] != '*') return null;
            int j = i + 3;
            if (j < p.length && p[j] == '*') return null;
            int f = follower(j);
            if (f == -1) return new SlashTail(false);
            if (p[j] == '/' && follower(j + 1) == -1) return new SlashTail(true);
            return null;
        }

        /**
         * Whether index {@code i} starts a path segment: the pattern's start, after a '/', or at the
         * start of an alternative whose group itself starts a segment.
         */
        private boolean segmentStart(int i) {
            if (i == 0) return true;
            int prev = i - 1;
            if (p[prev] == '/') return true;
            if (structural(prev) && (p[prev] == '{' || p[prev] == ',')) {
                int open = p[prev] == '{' ? prev : enclosing[prev];
                return segmentStart(open);
            }
            return false;
        }

        /**
         * The character that follows position {@code i} once alternatives are expanded: a structural
         * ',' or '}' ends the current alternative, so look past its group's '}'. -1 is the end.
         */
        private int follower(int i) {
            while (i < p.length && structural(i) && (p[i] == ',' || p[i] == '}')) {
                i = closing[enclosing[i]] + 1;
            }
            return i < p.length ? p[i] : -1;
        }

        private Cls parseClass(int from, int end) {
            int i = from;
            boolean neg = p[i] == '^' || p[i] == '!';
            if (neg) i++;
            List<Integer> r = new ArrayList<>();
            int last = -1; // the previous single character, which a '-' may turn into a range
            while (i < end) {
                int c = p[i++];
                if (c == '-' && last >= 0 && i < end) {
                    int hi = p[i++];
                    if (hi == '\\') hi = p[i++];
                    r.set(r.size() - 1, hi); // widen [last,last] to [last,hi]
                    last = -1;
                    continue;
                }
                if (c == '\\') c = p[i++];
                r.add(c);
                r.add(c);
                last = c;
            }
            return new Cls(r.stream().mapToInt(Integer::intValue).toArray(), neg);
        }

        /** Compiles {@code items} so that they lead to state {@code next}; returns their first state. */
        private int build(List<Item> items, int next) {
            for (int k = items.size() - 1; k >= 0; k--) next = build(items.get(k), next);
            return next;
        }

        private int build(Item item, int next) {
            return switch (item) {
                case Lit l -> add(CHAR, l.c(), new int[]{next}, null, false);
                case Single s -> add(NOT_SEP, 0, new int[]{next}, null, false);
                case Cls c -> add(CLASS, 0, new int[]{next}, c.ranges(), c.negated());
                case Star s -> loop(NOT_SEP, next);
                case Globstar g when g.toEnd() -> loop(ANY, next);
                case Globstar g -> dirs(next);
                case SlashTail t -> {
                    int rest = t.trailingSlash() ? dirs(next) : loop(ANY, next);
                    int slash = add(CHAR, '/', new int[]{rest}, null, false);
                    yield add(SPLIT, 0, new int[]{next, slash}, null, false);
                }
                case Alt a -> {
                    int[] starts = new int[a.alternatives().size()];
                    for (int k = 0; k < starts.length; k++) starts[k] = build(a.alternatives().get(k), next);
                    yield add(SPLIT, 0, starts, null, false);
                }
            };
        }

        /** {@code x*} for a single consuming state of {@code kind}. */
        private int loop(byte kind, int next) {
            int split = add(SPLIT, 0, null, null, false);
            int body = add(kind, 0, new int[]{split}, null, false);
            outs.set(split, new int[]{next, body});
            return split;
        }

        /** <code>([^/]*&#47;)*</code>: zero or more whole directories, each ending in '/'. */
        private int dirs(int next) {
            int boundary = add(SPLIT, 0, null, null, false);
            int inSegment = add(SPLIT, 0, null, null, false);
            int segChar = add(NOT_SEP, 0, new int[]{inSegment}, null, false);
            int slash = add(CHAR, '/', new int[]{boundary}, null, false);
            outs.set(inSegment, new int[]{segChar, slash});
            outs.set(boundary, new int[]{next, inSegment});
            return boundary;
        }

        private int add(byte kind, int c, int[] out, int[] range, boolean neg) {
            kinds.add(kind);
            chars.add(c);
            outs.add(out);
            ranges.add(range);
            negated.add(neg);
            return kinds.size() - 1;
        }
    }

    /** Compiles every pattern; a convenience for constraint lists. */
    static List<Glob> all(List<String> patterns) {
        List<Glob> out = new ArrayList<>(patterns.size());
        for (String s : patterns) out.add(of(s));
        return List.copyOf(out);
    }
}
