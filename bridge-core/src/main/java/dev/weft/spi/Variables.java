package dev.weft.spi;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ${NAME}} expansion over a run's variables, for providers that let workflow authors use
 * {@code ${TANGLED_SHA}} and friends in their block. Unknown names stay as written, so a typo shows
 * up in the output rather than vanishing; there is no escaping and no default-value syntax.
 */
public final class Variables {
    private static final Pattern VAR = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");

    private Variables() {
    }

    /** {@code text} with every {@code ${NAME}} whose name is in {@code values} replaced by its value. */
    public static String expand(String text, Map<String, String> values) {
        Matcher m = VAR.matcher(text);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            String v = values.get(m.group(1));
            m.appendReplacement(b, Matcher.quoteReplacement(v == null ? m.group() : v));
        }
        return m.appendTail(b).toString();
    }
}
