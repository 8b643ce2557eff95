package dev.weft.spi;

import java.util.Locale;
import java.util.Objects;

/**
 * One line of {@code weft doctor}: what was checked, how it went, what was seen and what the
 * operator should do about it. A provider returns these from {@link ProviderFactory#checks}.
 *
 * @param name   short and stable, prefixed with the engine for a provider's checks
 *               ({@code buildkite token}); {@code --json} consumers key on it
 * @param status the outcome; see {@link Status}
 * @param detail what was found, one line ({@code "scopes read_builds, write_builds"}); never a secret
 * @param fix    what to do when the status is {@code WARN} or {@code FAIL}, one line naming the
 *               variable or the place to change; empty for {@code OK} and {@code SKIP}
 */
public record Check(String name, Status status, String detail, String fix) {

    /** The outcome of a check. Only {@link #FAIL} makes {@code weft doctor} exit non-zero. */
    public enum Status {
        /** Works as configured. */
        OK,
        /** Works, but something is off (a webhook secret missing: weft falls back to polling). */
        WARN,
        /** Does not work: weft would fail runs or refuse to start. */
        FAIL,
        /** Not configured, so not checked (an engine without a token). */
        SKIP;

        /** The lower-case word {@code --json} prints: {@code ok}, {@code warn}, {@code fail}, {@code skip}. */
        public String word() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public Check {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(status, "status");
        detail = detail == null ? "" : detail;
        fix = fix == null ? "" : fix;
    }

    public static Check ok(String name, String detail) {
        return new Check(name, Status.OK, detail, "");
    }

    public static Check warn(String name, String detail, String fix) {
        return new Check(name, Status.WARN, detail, fix);
    }

    public static Check fail(String name, String detail, String fix) {
        return new Check(name, Status.FAIL, detail, fix);
    }

    public static Check skip(String name, String detail) {
        return new Check(name, Status.SKIP, detail, "");
    }
}
