package dev.weft.console;

import dev.weft.server.PageHandler.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;

/**
 * {@code GET/POST /console/login} and {@code POST /console/logout}: the operator token, posted
 * once, becomes a session cookie ({@link Sessions}). A wrong token answers 401, a console without a
 * token 403; neither redirects. Every login, failed login and logout is logged with the client's
 * address.
 */
final class LoginHandler {
    private static final Logger log = LoggerFactory.getLogger(LoginHandler.class);

    private final Sessions sessions;

    LoginHandler(Sessions sessions) {
        this.sessions = sessions;
    }

    Response form(Console.Call call) {
        return Console.html(200, call.page("Log in", body(call, "")));
    }

    Response post(Console.Call call) {
        String client = call.request().client();
        if (!sessions.loginPossible()) {
            log.info("console: login refused from {}: no WEFT_ADMIN_TOKEN_FILE, the console is read-only", client);
            return Console.html(403, call.page("Log in", body(call, "")));
        }
        Optional<Sessions.Session> s = sessions.login(call.field("token").orElse(null));
        if (s.isEmpty()) {
            log.warn("console: failed login from {}", client);
            return Console.html(401, call.page("Log in", body(call, "That is not the operator token.")));
        }
        log.info("console: login, session {} from {}", s.get().tag(), client);
        return new Response(303, null, java.util.Map.of(), new byte[0])
                .with("Location", "/console").with("Set-Cookie", sessions.setCookie(s.get(), call.secure()));
    }

    Response logout(Console.Call call) {
        Optional<Response> refused = ActionHandler.refusal(call, "logout");
        if (refused.isPresent()) return refused.get();
        Sessions.Session s = call.session().orElseThrow();
        sessions.logout(s);
        log.info("console: logout, session {} from {}", s.tag(), call.request().client());
        return new Response(303, null, java.util.Map.of(), new byte[0])
                .with("Location", "/console").with("Set-Cookie", Sessions.clearCookie(call.secure()));
    }

    private static String body(Console.Call call, String problem) {
        StringBuilder b = new StringBuilder(1024);
        b.append("<h1>Log in</h1>");
        if (!call.loginPossible()) {
            return b.append("<p>This console is read-only: no operator token is configured (<code>WEFT_ADMIN_TOKEN_FILE</code>).</p>")
                    .toString();
        }
        if (call.session().isPresent()) b.append("<p>You are logged in.</p>");
        if (!problem.isEmpty()) b.append("<p class=\"bad\" id=\"login-problem\">").append(Html.esc(problem)).append("</p>");
        return b.append("<form class=\"login\" method=\"post\" action=\"/console/login\">")
                .append("<label>operator token <input type=\"password\" name=\"token\" autocomplete=\"current-password\" required autofocus></label>")
                .append("<button type=\"submit\">log in</button></form>")
                .append("<p class=\"muted\">The token is the first line of the file <code>WEFT_ADMIN_TOKEN_FILE</code> names. ")
                .append("Reading the console needs no login; cancelling and re-running do.</p>").toString();
    }
}
