package dev.weft.spi;

import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A run's variables ({@link Run#variables()}): the names weft defines, and {@code ${NAME}}
 * expansion for providers that let workflow authors use {@code ${TANGLED_SHA}} and friends in
 * their block.
 *
 * <h2>The callback URL and token</h2>
 * Every run's variables include {@value #CALLBACK_URL} and {@value #CALLBACK_TOKEN}: the job
 * itself may {@code POST} its progress there (steps and lines, see {@code docs/callbacks.md}), and
 * it shows up live in the run's log while the provider's own log is still on its way. A provider
 * that hands {@link Run#variables()} to its backend as environment needs to do nothing else. One
 * that passes values some other way (workflow inputs, parameters) reads them with
 * {@link #callbackUrl} and {@link #callbackToken} and passes both, and should let them win over
 * anything of the same name a workflow author set. The token is a credential scoped to this run:
 * it stops working 60 seconds after the run ended. Never log it, put it in a URL, a build
 * message or metadata; weft masks it in the run's log like a secret.
 */
public final class Variables {
    /** The variable holding the run's callback URL, {@code <WEFT_PUBLIC_URL>/hooks/callback/<run id>}. */
    public static final String CALLBACK_URL = "WEFT_CALLBACK_URL";
    /** The variable holding the run's callback token, sent as {@code Authorization: Bearer <token>}. */
    public static final String CALLBACK_TOKEN = "WEFT_CALLBACK_TOKEN";

    private static final Pattern VAR = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");

    private Variables() {
    }

    /**
     * The run's callback URL, from its variables; empty only for runs built outside weft's runtime
     * (test doubles).
     */
    public static Optional<String> callbackUrl(Map<String, String> variables) {
        return Optional.ofNullable(variables.get(CALLBACK_URL));
    }

    /**
     * The run's callback token, from its variables; empty only for runs built outside weft's
     * runtime (test doubles). A credential: see the class documentation.
     */
    public static Optional<String> callbackToken(Map<String, String> variables) {
        return Optional.ofNullable(variables.get(CALLBACK_TOKEN));
    }

    /**
     * {@code text} with every {@code ${NAME}} whose name is in {@code values} replaced by its value.
     * Unknown names stay as written, so a typo shows up in the output rather than vanishing; there
     * is no escaping and no default-value syntax.
     */
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
