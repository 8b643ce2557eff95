package dev.weft.provider.buildkite;

import dev.weft.provider.buildkite.internal.BuildkiteChecks;
import dev.weft.provider.buildkite.internal.BuildkiteConfig;
import dev.weft.spi.Check;
import dev.weft.spi.CheckContext;
import dev.weft.provider.buildkite.internal.BuildkiteProvider;
import dev.weft.spi.Provider;
import dev.weft.spi.ProviderConfigException;
import dev.weft.spi.ProviderContext;
import dev.weft.spi.ProviderFactory;

/**
 * The {@code buildkite} engine: each Tangled workflow becomes one Buildkite build. Configured by
 * {@code WEFT_BUILDKITE_*} (or tack's {@code TACK_BUILDKITE_*}); see {@code docs/buildkite.md}.
 */
public final class BuildkiteProviderFactory implements ProviderFactory {

    public static final String ENGINE = "buildkite";

    @Override
    public String engine() {
        return ENGINE;
    }

    @Override
    public Provider create(ProviderContext context) throws ProviderConfigException {
        BuildkiteConfig config = BuildkiteConfig.from(context.config());
        return new BuildkiteProvider(context, config);
    }

    /** The token's scopes ({@code GET /v2/access-token}) and the webhook secret. */
    @Override
    public java.util.List<Check> checks(CheckContext context) {
        return BuildkiteChecks.run(context);
    }
}
