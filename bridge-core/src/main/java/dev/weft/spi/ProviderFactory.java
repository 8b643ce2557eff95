package dev.weft.spi;

/**
 * Entry point of a provider plugin, found with {@link java.util.ServiceLoader}: list the
 * implementation's binary name in {@code META-INF/services/dev.weft.spi.ProviderFactory}. It needs
 * a public no-argument constructor.
 *
 * <p>A factory serves exactly one engine name: the {@code engine:} value of the Tangled workflows
 * it runs. Two factories claiming the same engine fail start-up.
 */
public interface ProviderFactory {

    /**
     * The engine name this provider serves, lower case, as workflows write it ({@code buildkite}).
     * It also names the configuration prefix ({@code WEFT_BUILDKITE_*}), the workflow block
     * ({@code buildkite:}) and the webhook route ({@code /hooks/buildkite}). Called on the start-up
     * thread; must be constant.
     */
    String engine();

    /**
     * Creates the provider. Called once, on the start-up thread, before any run is handed to it.
     * Validate the configuration here and throw {@link ProviderConfigException} listing every
     * problem at once; mount webhook routes through {@link ProviderContext#webhooks()}.
     *
     * <p>Providers whose configuration is absent altogether (no token set, say) should still be
     * created, and fail the runs that reach them with a clear error: an operator who does not use
     * an engine must not have to configure it.
     *
     * @throws ProviderConfigException when the configuration is present but wrong
     */
    Provider create(ProviderContext context) throws ProviderConfigException;

    /**
     * The provider's own checks for {@code weft doctor}: are the credentials valid, with the scopes
     * or permissions the provider needs; is the webhook secret set; is the backend reachable. Never
     * called by the daemon, and never together with {@link #create} on the same configuration
     * object: do not mount webhooks or start anything here.
     *
     * <p>Called on a virtual thread that the doctor owns. Bound every network call by
     * {@link CheckContext#timeout()}; the thread is interrupted when the provider's checks run out
     * of time. Return {@link Check.Status#SKIP} for what is not configured (no token: the engine is
     * unused), {@link Check.Status#FAIL} for what would fail runs, {@link Check.Status#WARN} for what
     * works with a drawback; give each a {@code fix} naming the variable to set. Configuration
     * problems that {@link #create} reports are already checked by the doctor (it creates the
     * provider once with a throw-away context): no need to repeat them here.
     *
     * <p>The default returns nothing, which suits a provider without credentials to check.
     *
     * @return the checks in the order to print them; never {@code null}
     */
    default java.util.List<Check> checks(CheckContext context) {
        return java.util.List.of();
    }
}
