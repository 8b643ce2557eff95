package dev.weft.provider.buildkite.internal;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a build lives: single-build routes take (organization, pipeline, number). Its text form
 * {@code <org>/<pipeline>/<number>} is the run's external id, unique across organizations and
 * pipelines (a number alone is not).
 */
public record BuildRef(String org, String pipeline, long number) {
    private static final Pattern API_URL = Pattern.compile("/organizations/([^/]+)/pipelines/([^/]+)/builds/(\\d+)");

    public String externalId() {
        return org + "/" + pipeline + "/" + number;
    }

    @Override
    public String toString() {
        return org + "/" + pipeline + "#" + number;
    }

    public static Optional<BuildRef> parse(String externalId) {
        if (externalId == null) return Optional.empty();
        String[] p = externalId.split("/");
        if (p.length != 3 || p[0].isEmpty() || p[1].isEmpty() || !p[2].matches("\\d{1,18}")) return Optional.empty();
        return Optional.of(new BuildRef(p[0], p[1], Long.parseLong(p[2])));
    }

    /** From a build's API {@code url} ({@code .../organizations/o/pipelines/p/builds/n}). */
    public static Optional<BuildRef> fromApiUrl(String url) {
        if (url == null) return Optional.empty();
        Matcher m = API_URL.matcher(url);
        if (!m.find()) return Optional.empty();
        return Optional.of(new BuildRef(m.group(1), m.group(2), Long.parseLong(m.group(3))));
    }
}
