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
}
