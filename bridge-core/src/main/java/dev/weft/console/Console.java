package dev.weft.console;

import dev.weft.server.PageHandler;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The web console, mounted at {@code /console}: routes each request to the handler of its one job
 * and puts the same protective headers on every answer (a strict Content-Security-Policy: scripts
 * and styles from {@code /console/assets} only, no framing; no caching; no MIME sniffing).
 *
 * <p>Paths: {@code GET /console} (pipelines), {@code /console/pipeline/<rkey>},
 * {@code /console/log/<knot>/<rkey>/<workflow>}, {@code /console/system}, {@code /console/login}
 * (GET and POST), {@code POST /console/logout}, {@code POST /console/cancel},
 * {@code POST /console/rerun}, {@code /console/assets/...}. A page asked for with {@code ?part=1}
 * answers its live part as JSON {@code {"html": ...}}, which the page's script polls.
 */
public final class Console implements PageHandler {
    public static final String PREFIX = "/console";
    /** How long a login lasts. */
    static final Duration SESSION_LIFETIME = Duration.ofHours(12);

    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self' ws: wss:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    private final Sessions sessions;
    private final ListPage list;
    private final PipelinePage pipeline;
    private final LogPage logPage;
    private final SystemPage system;
    private final LoginHandler login;
    private final ActionHandler actions;
    private final Assets assets = new Assets();

    /**
     * @param adminToken the operator token ({@code WEFT_ADMIN_TOKEN_FILE}'s), or null: read-only
     */
    public Console(ConsoleSources sources, String adminToken, Clock clock) {
        Objects.requireNonNull(sources, "sources");
        this.sessions = new Sessions(adminToken, SESSION_LIFETIME, clock, sources.sessions());
        this.list = new ListPage(sources, clock);
        this.pipeline = new PipelinePage(sources, clock);
        this.logPage = new LogPage(sources);
        this.system = new SystemPage(sources, clock);
        this.login = new LoginHandler(sessions);
        this.actions = new ActionHandler(sources);
    }

    /** One request as the handlers see it: the page request, its form fields, and its live session. */
    record Call(PageHandler.Request request, Map<String, List<String>> form, Optional<Sessions.Session> session,
                boolean loginPossible) {
        Optional<String> field(String name) {
            List<String> v = form.get(name);
            if (v != null && !v.isEmpty()) return Optional.of(v.get(0));
            return Optional.empty();
        }

        boolean wantsPart() {
            return request.param("part").isPresent();
        }

        /** Whether the browser reached us over HTTPS (a TLS-terminating proxy says so), for the cookie's Secure flag. */
        boolean secure() {
            return request.header("x-forwarded-proto").map(p -> p.equalsIgnoreCase("https")).orElse(false);
        }

        String page(String title, String body) {
            return Html.page(title, session, loginPossible, body);
        }
    }

    @Override
    public Response handle(Request r) throws Exception {
        return protect(route(r));
    }

    private Response route(Request r) throws Exception {
        String path = r.path();
        String rest = path.length() <= PREFIX.length() ? "" : path.substring(PREFIX.length());
        boolean get = r.method().equals("GET");
        boolean post = r.method().equals("POST");
        if (rest.startsWith("/assets/")) return get ? assets.get(rest.substring("/assets/".length())) : notAllowed("GET");
        Call call = new Call(r, post ? form(r.body()) : Map.of(), sessions.find(r.header("cookie").orElse(null)),
                sessions.loginPossible());
        if (rest.isEmpty() || rest.equals("/")) return get ? list.get(call) : notAllowed("GET");
        if (rest.equals("/system")) return get ? system.get(call) : notAllowed("GET");
        if (rest.equals("/login")) {
            if (get) return login.form(call);
            return post ? login.post(call) : notAllowed("GET, POST");
        }
        if (rest.equals("/logout")) return post ? login.logout(call) : notAllowed("POST");
        if (rest.equals("/cancel")) return post ? actions.cancel(call) : notAllowed("POST");
        if (rest.equals("/rerun")) return post ? actions.rerun(call) : notAllowed("POST");
        if (rest.startsWith("/pipeline/")) {
            List<String> segs = segments(rest.substring("/pipeline/".length()));
            if (segs.size() == 1) return get ? pipeline.get(call, segs.get(0)) : notAllowed("GET");
        }
        if (rest.startsWith("/log/")) {
            List<String> segs = segments(rest.substring("/log/".length()));
            if (segs.size() == 3) return get ? logPage.get(call, segs.get(0), segs.get(1), segs.get(2)) : notAllowed("GET");
        }
        return notFound(call, "no console page at " + path);
    }

    /** Decoded, non-empty path segments; empty when any is empty or undecodable. */
    private static List<String> segments(String s) {
        String[] parts = s.split("/", -1);
        java.util.ArrayList<String> out = new java.util.ArrayList<>();
        for (String p : parts) {
            String d;
            try {
                d = QueryStringDecoder.decodeComponent(p, StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return List.of();
            }
            if (d.isEmpty()) return List.of();
            out.add(d);
        }
        return out;
    }

    private static Map<String, List<String>> form(byte[] body) {
        try {
            return new QueryStringDecoder("?" + new String(body, StandardCharsets.UTF_8), StandardCharsets.UTF_8, true, 64).parameters();
        } catch (IllegalArgumentException e) {
            return Map.of(); // a broken %-escape: no fields, so the CSRF check refuses it
        }
    }

    static Response html(int status, String body) {
        return Response.of(status, "text/html; charset=utf-8", body);
    }

    static Response notFound(Call call, String why) {
        return html(404, call.page("not found", "<h1>not found</h1><p>" + Html.esc(why) + "</p>"));
    }

    private static Response notAllowed(String allow) {
        return Response.of(405, "text/plain; charset=utf-8", "method not allowed\n").with("Allow", allow);
    }

    private static Response protect(Response r) {
        return r.with("Content-Security-Policy", CSP).with("X-Content-Type-Options", "nosniff")
                .with("Referrer-Policy", "same-origin").with("X-Frame-Options", "DENY")
                .with("Cache-Control", r.headers().getOrDefault("Cache-Control", "no-store"));
    }
}
