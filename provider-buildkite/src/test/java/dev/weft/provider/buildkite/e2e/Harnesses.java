package dev.weft.provider.buildkite.e2e;

import dev.weft.provider.buildkite.fake.FakeBuildkite;

import java.util.LinkedHashMap;
import java.util.Map;

/** The provider's environment for end-to-end tests against a {@link FakeBuildkite}. */
final class Harnesses {
    static final String SECRET = "It's a Secret to Everybody";

    private Harnesses() {
    }

    static Map<String, String> env(FakeBuildkite bk) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("WEFT_BUILDKITE_TOKEN", FakeBuildkite.TOKEN);
        env.put("WEFT_BUILDKITE_API", bk.apiBase());
        env.put("WEFT_BUILDKITE_ORG", "acme");
        env.put("WEFT_BUILDKITE_WEBHOOK_SECRET", SECRET);
        env.put("WEFT_BUILDKITE_POLL", "200ms");
        env.put("WEFT_BUILDKITE_LOG_POLL", "100ms");
        env.put("WEFT_BUILDKITE_HTTP_TIMEOUT", "2s");
        env.put("WEFT_BUILDKITE_RETRY_BACKOFF", "50ms");
        return env;
    }
}
