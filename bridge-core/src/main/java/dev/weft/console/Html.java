package dev.weft.console;

import dev.weft.model.RunState;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;

/**
 * The console's HTML: escaping and the page frame. Every string that did not come from this class
 * (repository and workflow names, errors, log lines, query values) goes through {@link #esc};
 * attribute values are always quoted with double quotes, which {@link #esc} escapes.
 */
final class Html {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

    private Html() {
    }

    /** {@code s} safe as HTML text and as a double- or single-quoted attribute value. */
    static String esc(String s) {
        if (s == null) return "";
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            String r = switch (c) {
                case '&' -> "&amp;";
                case '<' -> "&lt;";
                case '>' -> "&gt;";
                case '"' -> "&quot;";
                case '\'' -> "&#39;";
                default -> null;
            };
            if (r == null && c < 0x20 && c != '\n' && c != '\t') r = "\uFFFD"; // controls have no place in a page
            if (r != null) {
                if (b == null) b = new StringBuilder(s.length() + 16).append(s, 0, i);
                b.append(r);
            } else if (b != null) {
                b.append(c);
            }
        }
        return b == null ? s : b.toString();
    }

    /** A path segment, percent-encoded (names in links: workflow file names, knots). */
    static String seg(String s) {
        return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** A status word as a badge; the words are Tangled's own. */
    static String badge(RunState state) {
        return "<span class=\"badge s-" + state.wireName() + "\">" + state.wireName() + "</span>";
    }

    static String time(Instant t) {
        return "<time datetime=\"" + t + "\">" + TIME.format(t) + "</time>";
    }

    /** {@code 1h02m}, {@code 3m04s}, {@code 12s}: from start to end, or to now while running. */
    static String duration(Optional<Instant> start, Optional<Instant> end, Instant now) {
        if (start.isEmpty()) return "";
        Duration d = Duration.between(start.get(), end.orElse(now));
        if (d.isNegative()) d = Duration.ZERO;
        long s = d.toSeconds();
        if (s >= 3600) return String.format("%dh%02dm", s / 3600, (s % 3600) / 60);
        if (s >= 60) return String.format("%dm%02ds", s / 60, s % 60);
        return s + "s";
    }

    static String shortSha(String sha) {
        return sha.length() > 8 ? sha.substring(0, 8) : sha;
    }

    /**
     * A whole page: head, the navigation (with the login state) and {@code body}, which the
     * caller built from escaped parts.
     */
    static String page(String title, Optional<Sessions.Session> session, boolean loginPossible, String body) {
        StringBuilder b = new StringBuilder(4096 + body.length());
        b.append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
                .append("<meta name=\"color-scheme\" content=\"light dark\">")
                .append("<title>").append(esc(title)).append(" · weft</title>")
                .append("<link rel=\"stylesheet\" href=\"/console/assets/console.css\">")
                .append("<script src=\"/console/assets/console.js\" defer></script>")
                .append("</head><body>")
                .append("<header class=\"top\"><a class=\"brand\" href=\"/console\">weft</a><nav>")
                .append("<a href=\"/console\">pipelines</a><a href=\"/console/system\">system</a>");
        if (session.isPresent()) {
            b.append("<form class=\"inline\" method=\"post\" action=\"/console/logout\">")
                    .append(csrfField(session.get()))
                    .append("<button type=\"submit\" class=\"link\">log out</button></form>");
        } else if (loginPossible) {
            b.append("<a href=\"/console/login\">log in</a>");
        }
        b.append("</nav></header><main>").append(body).append("</main></body></html>\n");
        return b.toString();
    }

    static String csrfField(Sessions.Session s) {
        return "<input type=\"hidden\" name=\"csrf\" value=\"" + esc(s.csrf()) + "\">";
    }
}
