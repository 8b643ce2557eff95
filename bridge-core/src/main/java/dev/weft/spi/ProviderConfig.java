package dev.weft.spi;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A provider's operator configuration: environment variables {@code WEFT_<ENGINE>_<KEY>} (or the
 * matching {@code --<engine>-<key>} flag). Keys are given without the prefix, upper case
 * ({@code TOKEN}). Values are trimmed; an empty value counts as absent.
 */
public interface ProviderConfig {

    /** {@code WEFT_<ENGINE>_<key>}, when set and non-empty. */
    Optional<String> get(String key);

    /**
     * The first of {@code WEFT_<ENGINE>_<key>} and the given alias variables (full names, such as
     * {@code TACK_BUILDKITE_TOKEN}) that is set. When an alias supplied the value, the runtime logs
     * a start-up line naming it.
     */
    Optional<String> get(String key, String... aliasVariables);

    /**
     * A duration in Go-style notation ({@code 90s}, {@code 2m}, {@code 1h30m}, {@code 250ms}), or the
     * default when absent. An unparsable value is recorded as a problem (see {@link #problems}) and
     * the default returned, so a provider can collect every problem before failing.
     */
    Duration duration(String key, Duration defaultValue);

    /** Records a problem naming the full variable; reported by {@link #problems}. */
    void problem(String key, String message);

    /** Every problem recorded so far, each naming its variable. */
    List<String> problems();

    /** Throws {@link ProviderConfigException} with every recorded problem, if any. */
    default void validate() throws ProviderConfigException {
        if (!problems().isEmpty()) throw new ProviderConfigException(problems());
    }

    /** The full variable name of a key: {@code WEFT_<ENGINE>_<key>}. */
    String variable(String key);
}
