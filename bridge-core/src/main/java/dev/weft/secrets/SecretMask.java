package dev.weft.secrets;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces every secret value of a run, and its base64 forms, with {@code ***} in a line of text.
 * Immutable and thread-safe.
 *
 * <p>What is masked, for each non-empty value:
 * <ul>
 *   <li>the value itself and, for a multi-line value, each of its non-blank lines (a log line can
 *       only ever hold one line of it);</li>
 *   <li>its standard and URL-safe base64 encodings, padded and unpadded ({@code echo -n $S | base64});</li>
 *   <li>the characters of its base64 encoding that depend only on the value, at each of the three
 *       byte alignments, so the value is masked inside a longer base64 text too
 *       ({@code echo $S | base64}, a base64 basic-auth header); these forms are used only when at
 *       least {@value #MIN_EMBEDDED} characters long, so a short secret does not eat random text.</li>
 * </ul>
 * Overlapping matches are resolved leftmost-longest.
 *
 * <p><b>Lines, not chunks.</b> The mask works on one log line at a time, as the runtime stores them.
 * Providers assemble their backend's log chunks into lines first (see
 * {@link dev.weft.spi.LineAssembler}), so a value split across two chunks is whole again when it
 * is masked. A value split across two <em>lines</em> (a multi-line secret) is masked line by line.
 */
public final class SecretMask implements UnaryOperator<String> {
    public static final String MASK = "***";
    /** Shortest embedded-base64 form that is masked. */
    public static final int MIN_EMBEDDED = 6;
    private static final SecretMask NONE = new SecretMask(null, List.of(), List.of());

    private final Pattern pattern;
    private final List<String> forms;
    /** Values replaced as they are, after the pattern (see {@link #plusLiterals}). */
    private final List<String> literals;

    private SecretMask(Pattern pattern, List<String> forms, List<String> literals) {
        this.pattern = pattern;
        this.forms = forms;
        this.literals = literals;
    }

    /**
     * This mask, and also {@code values} replaced as they are (no encoded forms): for credentials
     * weft mints for each run (its callback token), where compiling a pattern per run on the
     * intake's path would cost far more than a plain search for one random string.
     */
    public SecretMask plusLiterals(Collection<String> values) {
        List<String> more = new ArrayList<>(literals);
        for (String v : values) if (v != null && !v.isEmpty() && !more.contains(v)) more.add(v);
        return more.size() == literals.size() ? this : new SecretMask(pattern, forms, List.copyOf(more));
    }

    public static SecretMask none() {
        return NONE;
    }

    public static SecretMask of(Collection<String> values) {
        Set<String> forms = new LinkedHashSet<>();
        for (String v : values) {
            if (v == null || v.isEmpty()) continue;
            forms.add(v);
            if (v.indexOf('\n') >= 0 || v.indexOf('\r') >= 0) {
                for (String line : v.split("\r\n|\r|\n")) {
                    if (!line.isBlank()) forms.add(line);
                }
            }
            byte[] bytes = v.getBytes(StandardCharsets.UTF_8);
            String std = Base64.getEncoder().encodeToString(bytes);
            addBase64(forms, std);
            for (int offset = 0; offset < 3; offset++) {
                String core = embedded(bytes, offset);
                if (core.length() >= MIN_EMBEDDED) addBase64(forms, core);
            }
        }
        if (forms.isEmpty()) return NONE;
        List<String> sorted = new ArrayList<>(forms);
        sorted.sort(Comparator.comparingInt(String::length).reversed());
        StringBuilder re = new StringBuilder();
        for (String f : sorted) {
            if (!re.isEmpty()) re.append('|');
            re.append(Pattern.quote(f));
        }
        return new SecretMask(Pattern.compile(re.toString()), List.copyOf(sorted), List.of());
    }

    private static void addBase64(Set<String> forms, String std) {
        String unpadded = std.replace("=", "");
        String url = std.replace('+', '-').replace('/', '_');
        forms.add(std);
        forms.add(unpadded);
        forms.add(url);
        forms.add(url.replace("=", ""));
    }

    /**
     * The base64 characters fully determined by {@code bytes} when they start {@code offset} bytes
     * into a longer input: character j covers bits [6j, 6j+6), the value bits [8o, 8(o+n)).
     */
    static String embedded(byte[] bytes, int offset) {
        byte[] shifted = new byte[offset + bytes.length];
        System.arraycopy(bytes, 0, shifted, offset, bytes.length);
        String enc = Base64.getEncoder().withoutPadding().encodeToString(shifted);
        int from = (8 * offset + 5) / 6;
        int to = (8 * (offset + bytes.length)) / 6;
        return from >= to ? "" : enc.substring(from, Math.min(to, enc.length()));
    }

    public boolean isEmpty() {
        return pattern == null && literals.isEmpty();
    }

    /** The strings this mask replaces, longest first (for tests and diagnostics; they are secret). */
    List<String> forms() {
        return forms;
    }

    /** The text with every form replaced by {@code ***}; null stays null. */
    @Override
    public String apply(String text) {
        if (text == null || text.isEmpty()) return text;
        for (String l : literals) {
            if (text.contains(l)) text = text.replace(l, MASK);
        }
        if (pattern == null) return text;
        Matcher m = pattern.matcher(text);
        if (!m.find()) return text;
        StringBuilder b = new StringBuilder(text.length());
        int last = 0;
        do {
            b.append(text, last, m.start()).append(MASK);
            last = m.end();
        } while (m.find());
        return b.append(text, last, text.length()).toString();
    }
}
