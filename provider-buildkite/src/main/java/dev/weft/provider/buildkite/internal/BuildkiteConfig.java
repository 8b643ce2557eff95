package dev.weft.provider.buildkite.internal;

import dev.weft.spi.ProviderConfig;
import dev.weft.spi.ProviderConfigException;
import okhttp3.HttpUrl;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * The operator's Buildkite settings, read once at start-up. Every {@code WEFT_BUILDKITE_*} key
 * also accepts tack's {@code TACK_BUILDKITE_*} name where tack had one; the runtime logs each alias
 * used. {@link #from} collects every problem before failing.
 *
 * @param token          API access token; absent means runs of this engine fail with a clear error
 * @param org            default organization slug, overridable per workflow
 * @param webhookSecret  the webhook's token or signature secret; absent means every webhook is 401
 * @param webhookMode    which header a delivery must carry
 * @param api            REST base URL, {@code https://api.buildkite.com/v2} by default
 * @param poll           backstop interval for re-reading a build that is not tailing logs
 * @param logPoll        interval for tailing the logs of running jobs
 * @param httpTimeout    call timeout of one API request
 * @param retryBackoff   first wait after a 5xx or I/O error on an idempotent request (doubles)
 * @param requestsPerMinute the per-organization request budget shared by all runs
 */
public record BuildkiteConfig(Optional<String> token, Optional<String> org, Optional<String> webhookSecret,
                              WebhookMode webhookMode, HttpUrl api, Duration poll, Duration logPoll,
                              Duration httpTimeout, Duration retryBackoff, int requestsPerMinute) {

    public static final String DEFAULT_API = "https://api.buildkite.com/v2";

    /** Which webhook authentication header is accepted. */
    public enum WebhookMode {
        /** {@code X-Buildkite-Signature} or {@code X-Buildkite-Token}, whichever the delivery carries. */
        ANY,
        /** Only {@code X-Buildkite-Token}. */
        TOKEN,
        /** Only {@code X-Buildkite-Signature}. */
        SIGNATURE
    }

    public static BuildkiteConfig from(ProviderConfig c) throws ProviderConfigException {
        Optional<String> token = c.get("TOKEN", "TACK_BUILDKITE_TOKEN");
        Optional<String> org = c.get("ORG", "TACK_BUILDKITE_ORG");
        Optional<String> secret = c.get("WEBHOOK_SECRET", "TACK_BUILDKITE_WEBHOOK_SECRET");

        WebhookMode mode = WebhookMode.ANY;
        Optional<String> modeText = c.get("WEBHOOK_MODE", "TACK_BUILDKITE_WEBHOOK_MODE");
        if (modeText.isPresent()) {
            switch (modeText.get().toLowerCase(Locale.ROOT)) {
                case "token" -> mode = WebhookMode.TOKEN;
                case "signature" -> mode = WebhookMode.SIGNATURE;
                case "any" -> mode = WebhookMode.ANY;
                default -> c.problem("WEBHOOK_MODE",
                        "must be token, signature or any, not \"" + modeText.get() + "\"");
            }
        }

        String apiText = c.get("API").orElse(DEFAULT_API);
        HttpUrl api = HttpUrl.parse(apiText);
        if (api == null) {
            c.problem("API", "is not an http(s) URL: \"" + apiText + "\"");
            api = HttpUrl.get(DEFAULT_API);
        }

        Duration poll = positive(c, "POLL", Duration.ofSeconds(30));
        Duration logPoll = positive(c, "LOG_POLL", Duration.ofSeconds(3));
        Duration timeout = positive(c, "HTTP_TIMEOUT", Duration.ofSeconds(30));
        Duration backoff = positive(c, "RETRY_BACKOFF", Duration.ofSeconds(1));

        int rpm = 200;
        Optional<String> rpmText = c.get("REQUESTS_PER_MINUTE");
        if (rpmText.isPresent()) {
            try {
                rpm = Integer.parseInt(rpmText.get());
                if (rpm < 1) throw new NumberFormatException();
            } catch (NumberFormatException e) {
                c.problem("REQUESTS_PER_MINUTE", "must be a positive integer, not \"" + rpmText.get() + "\"");
                rpm = 200;
            }
        }
        c.validate();
        return new BuildkiteConfig(token, org, secret, mode, api, poll, logPoll, timeout, backoff, rpm);
    }

    private static Duration positive(ProviderConfig c, String key, Duration dflt) {
        Duration d = c.duration(key, dflt);
        if (d.isNegative() || d.isZero()) {
            c.problem(key, "must be a positive duration");
            return dflt;
        }
        return d;
    }
}
