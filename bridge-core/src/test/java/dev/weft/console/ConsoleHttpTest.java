package dev.weft.console;

import dev.weft.model.PipelineId;
import dev.weft.model.RunState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The console over plain HTTP against a real weft: logging in, the refusals of actions without a
 * session or CSRF token (401/403, never a redirect), a read-only console, a console turned off,
 * and escaping of untrusted names.
 */
@Timeout(120)
@DisplayName("the web console over HTTP")
class ConsoleHttpTest {
    static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    static final Pattern CSRF = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"");

    static HttpResponse<String> get(ConsoleWeft w, String path, String cookie) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(w.url(path))).GET();
        if (cookie != null) b.header("Cookie", cookie);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(ConsoleWeft w, String path, String cookie, Map<String, String> form) throws Exception {
        String body = form.entrySet().stream().map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(w.url(path)))
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(body));
        if (cookie != null) b.header("Cookie", cookie);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static void refused(HttpResponse<String> r, int status) {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Location").isEmpty(), "a refusal never redirects");
    }

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    @DisplayName("with an operator token")
    class WithToken {
        ConsoleWeft w;

        @BeforeAll
        void start(@TempDir Path dir) throws Exception {
            w = ConsoleWeft.start(dir, true, null);
        }

        @AfterAll
        void stop() {
            w.close();
        }

        /** A logged-in session: its cookie header and its CSRF token (read from a page, as a browser would). */
        record Login(String cookie, String csrf) {
        }

        Login login() throws Exception {
            HttpResponse<String> r = post(w, "/console/login", null, Map.of("token", ConsoleWeft.TOKEN));
            assertEquals(303, r.statusCode(), r.body());
            String set = r.headers().firstValue("Set-Cookie").orElseThrow();
            String cookie = set.substring(0, set.indexOf(';'));
            Matcher m = CSRF.matcher(get(w, "/console", cookie).body());
            assertTrue(m.find(), "a logged-in page carries the CSRF token");
            return new Login(cookie, m.group(1));
        }

        @Test
        @DisplayName("the login answers a session cookie that is HTTP-only, SameSite=Strict and not the token")
        void loginCookie() throws Exception {
            HttpResponse<String> r = post(w, "/console/login", null, Map.of("token", ConsoleWeft.TOKEN));
            assertEquals(303, r.statusCode());
            String set = r.headers().firstValue("Set-Cookie").orElseThrow();
            assertTrue(set.startsWith(Sessions.COOKIE + "="), set);
            assertTrue(set.contains("HttpOnly"), set);
            assertTrue(set.contains("SameSite=Strict"), set);
            assertFalse(set.contains(ConsoleWeft.TOKEN), "the cookie does not carry the token");
            String id = set.substring(Sessions.COOKIE.length() + 1, set.indexOf(';'));
            assertTrue(id.length() >= 40, "a random session id: " + id);
        }

        @Test
        @DisplayName("the system page shows a concurrency group's queue: the run holding it, then the one waiting")
        void concurrencyQueues() throws Exception {
            PipelineId first = w.pipelineWith("concurrency: deploy-prod\n", "queued", "deploy.yml", "wait");
            w.awaitState(first, "deploy.yml", RunState.RUNNING);
            PipelineId second = w.pipelineWith("concurrency: deploy-prod\n", "queued", "deploy.yml", "wait");
            await().atMost(java.time.Duration.ofSeconds(10)).until(() ->
                    get(w, "/console/system", null).body().contains("waiting <a href=\"/console/log/"));
            String page = get(w, "/console/system", null).body();
            int group = page.indexOf("deploy-prod");
            int running = page.indexOf("running <a href=\"/console/log/", group);
            int waiting = page.indexOf("waiting <a href=\"/console/log/", group);
            assertTrue(group > 0 && running > group && waiting > running, page);
            assertTrue(page.indexOf(first.rkey(), running) < waiting, "the holder first: " + page);
            assertTrue(page.indexOf(second.rkey(), waiting) > waiting, "then the waiting run: " + page);
            assertEquals(RunState.PENDING, w.state(second, "deploy.yml"));
        }

        @Test
        @DisplayName("a wrong token answers 401 with no cookie, and does not redirect")
        void wrongToken() throws Exception {
            HttpResponse<String> r = post(w, "/console/login", null, Map.of("token", ConsoleWeft.TOKEN + "x"));
            refused(r, 401);
            assertTrue(r.headers().firstValue("Set-Cookie").isEmpty());
            refused(post(w, "/console/login", null, Map.of()), 401);
        }

        @Test
        @DisplayName("an action without the session cookie answers 401, with it but without or with a wrong CSRF token 403")
        void refusals() throws Exception {
            PipelineId p = w.pipeline("refused", "hold.yml", "wait");
            w.awaitState(p, "hold.yml", RunState.RUNNING);
            Map<String, String> target = Map.of("knot", p.knot(), "rkey", p.rkey(), "workflow", "hold.yml");
            Login login = login();
            var withCsrf = new java.util.HashMap<>(target);
            withCsrf.put("csrf", login.csrf());
            refused(post(w, "/console/cancel", null, withCsrf), 401);
            refused(post(w, "/console/cancel", "weft_session=forged", withCsrf), 401);
            refused(post(w, "/console/cancel", login.cookie(), target), 403);
            var wrong = new java.util.HashMap<>(target);
            wrong.put("csrf", login.csrf() + "x");
            refused(post(w, "/console/cancel", login.cookie(), wrong), 403);
            refused(post(w, "/console/rerun", login.cookie(), Map.of("rkey", p.rkey())), 403);
            refused(post(w, "/console/rerun", null, Map.of("rkey", p.rkey())), 401);
            // Another session's CSRF token is not this session's.
            Login other = login();
            var crossed = new java.util.HashMap<>(target);
            crossed.put("csrf", other.csrf());
            refused(post(w, "/console/cancel", login.cookie(), crossed), 403);
            assertEquals(RunState.RUNNING, w.state(p, "hold.yml"), "nothing refused touched the run");
            // With both, the cancel goes through the run runtime, and the log names the session by its tag.
            java.io.PrintStream err = System.err;
            java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
            HttpResponse<String> ok;
            System.setErr(new java.io.PrintStream(captured, true, StandardCharsets.UTF_8));
            try {
                ok = post(w, "/console/cancel", login.cookie(), withCsrf);
                refused(post(w, "/console/cancel", login.cookie(), target), 403);
            } finally {
                System.setErr(err);
            }
            assertEquals(303, ok.statusCode(), ok.body());
            String logged = captured.toString(StandardCharsets.UTF_8);
            String id = login.cookie().substring(login.cookie().indexOf('=') + 1);
            String tag = Sessions.sha256(id).substring(0, 12);
            assertTrue(logged.contains("console: cancel of " + p + "/hold.yml by session " + tag + " from 127.0.0.1: REQUESTED"), logged);
            assertTrue(logged.contains("console: cancel refused for session " + tag + " from 127.0.0.1: no CSRF token"), logged);
            assertFalse(logged.contains(id), "the session id itself is never logged");
            w.awaitState(p, "hold.yml", RunState.CANCELLED);
            assertEquals(409, post(w, "/console/cancel", login.cookie(), withCsrf).statusCode(), "already ended");
        }

        @Test
        @DisplayName("the CSRF token may come as the X-CSRF-Token header")
        void csrfHeader() throws Exception {
            PipelineId p = w.pipeline("header", "hold.yml", "wait");
            w.awaitState(p, "hold.yml", RunState.RUNNING);
            Login login = login();
            HttpRequest req = HttpRequest.newBuilder(URI.create(w.url("/console/cancel")))
                    .header("Content-Type", "application/x-www-form-urlencoded").header("Cookie", login.cookie())
                    .header("X-CSRF-Token", login.csrf())
                    .POST(HttpRequest.BodyPublishers.ofString("knot=" + p.knot() + "&rkey=" + p.rkey() + "&workflow=hold.yml")).build();
            assertEquals(303, HTTP.send(req, HttpResponse.BodyHandlers.ofString()).statusCode());
            w.awaitState(p, "hold.yml", RunState.CANCELLED);
        }

        @Test
        @DisplayName("after logout the session's cookie is refused")
        void logout() throws Exception {
            Login login = login();
            assertEquals(303, post(w, "/console/logout", login.cookie(), Map.of("csrf", login.csrf())).statusCode());
            refused(post(w, "/console/rerun", login.cookie(), Map.of("rkey", "x", "csrf", login.csrf())), 401);
        }

        @Test
        @DisplayName("a legacy knot's pipeline cannot be re-run from the console, and says why")
        void rerunLegacy() throws Exception {
            PipelineId p = w.pipeline("legacy", "ok.yml", "ok");
            w.awaitState(p, "ok.yml", RunState.SUCCESS);
            Login login = login();
            HttpResponse<String> r = post(w, "/console/rerun", login.cookie(), Map.of("rkey", p.rkey(), "csrf", login.csrf()));
            assertEquals(409, r.statusCode(), r.body());
            assertTrue(r.body().contains("legacy knot"), r.body());
            assertEquals(404, post(w, "/console/rerun", login.cookie(), Map.of("rkey", "nosuchrkey", "csrf", login.csrf())).statusCode());
        }

        @Test
        @DisplayName("untrusted repository, workflow and error text is escaped in every page")
        void escaping() throws Exception {
            String evilRepo = "x\"><img src=x onerror=alert(1)>";
            String evilWorkflow = "<script>alert('wf')</script>.yml";
            PipelineId p = w.pipeline(evilRepo, evilWorkflow, "fail");
            w.awaitState(p, evilWorkflow, RunState.FAILED);
            for (String path : new String[] {"/console", "/console?part=1", "/console/pipeline/" + p.rkey(),
                    "/console/pipeline/" + p.rkey() + "?part=1",
                    "/console/log/" + p.knot() + "/" + p.rkey() + "/" + URLEncoder.encode(evilWorkflow, StandardCharsets.UTF_8)}) {
                HttpResponse<String> r = get(w, path, null);
                assertEquals(200, r.statusCode(), path);
                String body = r.body();
                assertFalse(body.contains("<img src=x"), path + " has the raw repo name");
                assertFalse(body.contains("<script>alert"), path + " has the raw workflow name");
                assertTrue(body.contains("&lt;script&gt;alert(&#39;wf&#39;)&lt;/script&gt;.yml"), path + " shows the name escaped: " + body);
                if (!path.startsWith("/console/log/")) {
                    assertTrue(body.contains("x&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"), path + " shows the repo escaped: " + body);
                }
                assertTrue(r.headers().firstValue("Content-Security-Policy").orElse("").contains("script-src 'self'"), path);
            }
        }

        @Test
        @DisplayName("a failed workflow shows its failing step, last lines and the matched advice")
        void failureAndAdvice() throws Exception {
            PipelineId p = w.pipeline("advice", "db.yml", "fail");
            w.awaitState(p, "db.yml", RunState.FAILED);
            String body = get(w, "/console/pipeline/" + p.rkey(), null).body();
            assertTrue(body.contains("failed in step <b>test</b>"), body);
            assertTrue(body.contains("10.0.0.5:5432: connection refused"), body);
            assertTrue(body.contains("The staging database is down."), body);
            assertTrue(body.contains("https://runbooks.example/staging-db"), body);
            assertTrue(body.contains("https://ci.example.com/builds/"), "the provider's run is linked");
            assertTrue(body.contains("https://tangled.org/" + ConsoleWeft.OWNER + "/advice/pipelines/" + p.rkey() + "/workflow/db.yml"),
                    "the appview is linked");
        }

        @Test
        @DisplayName("the list filters by repository, status and provider")
        void filters() throws Exception {
            PipelineId ok = w.pipeline("filtered-a", "ok.yml", "ok");
            PipelineId bad = w.pipeline("filtered-b", "bad.yml", "fail");
            w.awaitState(ok, "ok.yml", RunState.SUCCESS);
            w.awaitState(bad, "bad.yml", RunState.FAILED);
            String failed = get(w, "/console?status=failed", null).body();
            assertTrue(failed.contains("data-rkey=\"" + bad.rkey() + "\""));
            assertFalse(failed.contains("data-rkey=\"" + ok.rkey() + "\""));
            String repo = get(w, "/console?repo=" + URLEncoder.encode(ConsoleWeft.KNOT + "/" + ConsoleWeft.OWNER + "/filtered-a",
                    StandardCharsets.UTF_8), null).body();
            assertTrue(repo.contains("data-rkey=\"" + ok.rkey() + "\""));
            assertFalse(repo.contains("data-rkey=\"" + bad.rkey() + "\""));
            assertTrue(get(w, "/console?provider=scripted", null).body().contains("data-rkey=\"" + ok.rkey() + "\""));
            assertTrue(get(w, "/console?provider=other", null).body().contains("no pipelines"));
        }

        @Test
        @DisplayName("the system page shows the store, providers and notifiers, and a place for concurrency queues")
        void system() throws Exception {
            String body = get(w, "/console/system", null).body();
            assertTrue(body.contains("scripted"), body);
            assertTrue(body.contains("<span class=\"ok\">ok</span>"), body);
            assertTrue(body.contains("id=\"concurrency-queues\""), body);
        }

        @Test
        @DisplayName("GET / links to the console; unknown console paths answer 404")
        void indexAndNotFound() throws Exception {
            assertTrue(get(w, "/", null).body().contains("/console"));
            assertEquals(404, get(w, "/console/nope", null).statusCode());
            assertEquals(404, get(w, "/console/pipeline/nosuch", null).statusCode());
            assertEquals(405, get(w, "/console/cancel", null).statusCode());
        }
    }

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    @DisplayName("without an operator token")
    class ReadOnly {
        ConsoleWeft w;

        @BeforeAll
        void start(@TempDir Path dir) throws Exception {
            w = ConsoleWeft.start(dir, false, null);
        }

        @AfterAll
        void stop() {
            w.close();
        }

        @Test
        @DisplayName("reading works, logging in and every action answer 403")
        void readOnly() throws Exception {
            PipelineId p = w.pipeline("ro", "hold.yml", "wait");
            w.awaitState(p, "hold.yml", RunState.RUNNING);
            assertEquals(200, get(w, "/console", null).statusCode());
            assertFalse(get(w, "/console", null).body().contains("log in"), "no login link on a read-only console");
            refused(post(w, "/console/login", null, Map.of("token", "anything-at-all-long")), 403);
            refused(post(w, "/console/cancel", null, Map.of("knot", p.knot(), "rkey", p.rkey(), "workflow", "hold.yml")), 403);
            refused(post(w, "/console/rerun", null, Map.of("rkey", p.rkey())), 403);
            assertEquals(RunState.RUNNING, w.state(p, "hold.yml"));
        }
    }

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    @DisplayName("with WEFT_CONSOLE=off")
    class Off {
        ConsoleWeft w;

        @BeforeAll
        void start(@TempDir Path dir) throws Exception {
            w = ConsoleWeft.start(dir, true, "off");
        }

        @AfterAll
        void stop() {
            w.close();
        }

        @Test
        @DisplayName("every console path answers 404")
        void off() throws Exception {
            assertEquals(404, get(w, "/console", null).statusCode());
            assertEquals(404, get(w, "/console/assets/console.js", null).statusCode());
            assertEquals(404, post(w, "/console/login", null, Map.of("token", ConsoleWeft.TOKEN)).statusCode());
            assertEquals(200, get(w, "/healthz", null).statusCode(), "the rest of weft is there");
        }
    }
}
