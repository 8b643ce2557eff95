package dev.weft.provider.github;

import dev.weft.provider.github.rest.AppJwt;
import dev.weft.provider.github.rest.AppTokens;
import dev.weft.provider.github.rest.GitHubRest;
import dev.weft.provider.github.rest.JobLogFetcher;
import dev.weft.provider.github.rest.RateLimiter;
import dev.weft.provider.github.rest.Sleeper;
import dev.weft.provider.github.rest.TokenSource;
import dev.weft.provider.github.webhook.DeliveryDeduper;
import dev.weft.provider.github.webhook.Signature;
import dev.weft.provider.github.webhook.WebhookReceiver;
import dev.weft.spi.Check;
import dev.weft.spi.CheckContext;
import dev.weft.spi.Provider;
import dev.weft.spi.ProviderConfigException;
import dev.weft.spi.ProviderContext;
import dev.weft.spi.ProviderFactory;
import io.micrometer.core.instrument.Counter;
import okhttp3.OkHttpClient;

import java.time.Clock;
import java.util.Optional;

/**
 * The {@code github} engine: Tangled workflows run as GitHub Actions workflows. Configuration is
 * {@code WEFT_GITHUB_*} (see {@code docs/github.md}); the webhook route is {@code /hooks/github}.
 */
public final class GitHubProviderFactory implements ProviderFactory {
    public static final String ENGINE = "github";

    @Override
    public String engine() {
        return ENGINE;
    }

    @Override
    public Provider create(ProviderContext context) throws ProviderConfigException {
        GitHubSettings settings = GitHubSettings.read(context.config());
        context.config().validate();
        // Rate limits and token lifetimes are wall-clock facts of GitHub's, not the runtime's clock.
        Clock wall = Clock.systemUTC();
        Optional<GitHubProvider.Backend> backend = settings.auth().map(auth -> {
            OkHttpClient http = new OkHttpClient.Builder()
                    .callTimeout(settings.requestTimeout())
                    .readTimeout(settings.requestTimeout())
                    .build();
            TokenSource tokens = switch (auth) {
                case GitHubSettings.Auth.Pat p -> TokenSource.fixed(p.token());
                case GitHubSettings.Auth.App a -> new AppTokens(new AppJwt(a.issuer(), a.key()), a.installationId(),
                        http, settings.api(), wall);
            };
            GitHubRest rest = new GitHubRest(http, settings.api(), tokens, RateLimiter.github(wall, Sleeper.REAL),
                    wall, Sleeper.REAL, (code, wait) -> Counter.builder("weft.github.ratelimit.waits")
                    .description("rate-limited GitHub answers waited out").tag("status", Integer.toString(code))
                    .register(context.meterRegistry()).increment());
            // Log downloads go to storage that must never see the token: a client with none.
            OkHttpClient plain = http.newBuilder().build();
            return new GitHubProvider.Backend(rest, new JobLogFetcher(rest, plain), http);
        });
        GitHubProvider provider = new GitHubProvider(settings, backend, context.runs(), context.scheduler(), wall,
                Waits.REAL, context.meterRegistry());
        context.webhooks().mount(new WebhookReceiver(settings.webhookSecret().map(Signature::secret),
                new DeliveryDeduper(10_000), context.scheduler(), provider::onHint));
        return provider;
    }

    /** The token's scopes or the App installation's permissions, and the webhook secret. */
    @Override
    public java.util.List<Check> checks(CheckContext context) {
        return GitHubChecks.run(context);
    }
}
