package dev.weft.console;

import dev.weft.model.PipelineId;
import dev.weft.model.RunState;
import dev.weft.model.WorkflowId;
import dev.weft.spi.CancelReason;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The console in a real headless chromium (Debian's, installed when absent) against a real weft:
 * the list follows a run live, a log streams in and is rendered by steps with colours, a cancel
 * clicked in the console ends the run {@code cancelled}, requests without the cookie or the CSRF
 * token are refused, and no page scrolls sideways at 375 px. With
 * {@code -Dweft.console.screenshots=<dir>} it also writes the screenshots docs/console.md shows.
 */
@Timeout(120)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@DisplayName("the web console in a headless browser")
class ConsoleBrowserTest {
    static final Duration WAIT = Duration.ofSeconds(15);

    ConsoleWeft w;
    ChromeDriver browser;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        w = ConsoleWeft.start(dir.resolve("weft"), true, null);
        Files.createDirectories(dir.resolve("profile"));
        browser = Chromium.start(dir.resolve("profile"));
    }

    @AfterAll
    void stop() {
        if (browser != null) browser.quit();
        if (w != null) w.close();
    }

    private List<WebElement> all(String css) {
        return browser.findElements(By.cssSelector(css));
    }

    /**
     * The text of the first element matching {@code css}, read in one script: live parts are
     * replaced every few seconds (a running workflow's duration changes), so an element found in
     * one call may be gone in the next.
     */
    private String text(String css) {
        return (String) browser.executeScript("var e = document.querySelector(arguments[0]); return e ? e.textContent : null;", css);
    }

    /** Clicks the first element matching {@code css}, finding it again when a live update replaced it. */
    private void click(String css) {
        await().atMost(WAIT).ignoreExceptionsInstanceOf(org.openqa.selenium.StaleElementReferenceException.class).until(() -> {
            browser.findElement(By.cssSelector(css)).click();
            return true;
        });
    }

    private void login() {
        browser.get(w.url("/console/login"));
        browser.findElement(By.name("token")).sendKeys(ConsoleWeft.TOKEN);
        click("form.login button");
        await().atMost(WAIT).until(() -> browser.manage().getCookieNamed(Sessions.COOKIE) != null
                && !all("form[action='/console/logout']").isEmpty());
    }

    @Test
    @Order(1)
    @DisplayName("the pipelines list updates live when a run starts and when it changes")
    void listIsLive() {
        browser.get(w.url("/console"));
        browser.executeScript("window.weftMarker = 'same page';");
        PipelineId p = w.pipeline("live-repo", "hold.yml", "wait");
        String row = "li.pipe[data-rkey='" + p.rkey() + "'] li.wf[data-workflow='hold.yml']";
        await().atMost(WAIT).until(() -> !all(row + "[data-state='running']").isEmpty());
        w.weft.runs().cancel(new WorkflowId(p, "hold.yml"), CancelReason.REQUESTED);
        await().atMost(WAIT).until(() -> !all(row + "[data-state='cancelled']").isEmpty());
        assertEquals("cancelled", text(row + " .badge"));
        assertEquals("same page", browser.executeScript("return window.weftMarker;"), "updated in place, not reloaded");
    }

    @Test
    @Order(2)
    @DisplayName("a workflow's log streams in by steps, system steps collapsed, ANSI colours rendered")
    void logStreams() {
        PipelineId p = w.pipeline("log-repo", "stream.yml", "feed");
        w.awaitState(p, "stream.yml", RunState.RUNNING);
        browser.get(w.url("/console/log/" + p.knot() + "/" + p.rkey() + "/stream.yml"));
        await().atMost(WAIT).until(() -> !all("#log details.step.user").isEmpty());
        ScriptedEngine.feed("stream.yml").add("compiling <b>not bold</b>");
        ScriptedEngine.feed("stream.yml").add("\u001b[31mred alert\u001b[0m and plain");
        await().atMost(WAIT).until(() -> all("#log details.step.user .line").size() >= 2);
        List<WebElement> lines = all("#log details.step.user .line");
        assertEquals("compiling <b>not bold</b>", lines.get(0).getText(), "log text is text, not markup");
        assertTrue(all("#log .line b").isEmpty(), "no element made from a log line");
        WebElement red = lines.get(1).findElement(By.tagName("span"));
        assertEquals("red alert", red.getText());
        assertTrue(red.getAttribute("class").contains("a-fg-1"), "SGR 31 is colour 1");
        assertEquals("rgba(205, 49, 49, 1)", red.getCssValue("color"));
        WebElement system = browser.findElement(By.cssSelector("#log details.step.system"));
        assertNull(system.getAttribute("open"), "system steps start collapsed");
        assertTrue(system.getText().contains("setup"));
        assertTrue(browser.findElement(By.cssSelector("#log details.step.user")).getAttribute("open") != null);
        ScriptedEngine.feed("stream.yml").add("done");
        ScriptedEngine.feed("stream.yml").add(ScriptedEngine.END);
        w.awaitState(p, "stream.yml", RunState.SUCCESS);
        await().atMost(WAIT).until(() -> all("#log details.step.user .line").size() >= 3);
        await().atMost(WAIT).until(() -> "success".equals(text("#wf-state .badge")));
    }

    @Test
    @Order(3)
    @DisplayName("a cancel clicked in the console ends the run cancelled")
    void cancelFromConsole() {
        login();
        Cookie session = browser.manage().getCookieNamed(Sessions.COOKIE);
        assertTrue(session.isHttpOnly(), "the session cookie is HTTP-only");
        assertEquals("Strict", session.getSameSite());
        assertFalse(session.getValue().contains(ConsoleWeft.TOKEN));
        assertEquals(null, browser.executeScript("return document.cookie.includes('weft_session') ? 'visible' : null;"),
                "scripts cannot read the session cookie");
        PipelineId p = w.pipeline("cancel-repo", "hold.yml", "wait");
        w.awaitState(p, "hold.yml", RunState.RUNNING);
        browser.get(w.url("/console/pipeline/" + p.rkey()));
        await().atMost(WAIT).until(() -> !all("li.wf[data-workflow='hold.yml'] button[data-action='cancel']").isEmpty());
        click("li.wf[data-workflow='hold.yml'] button[data-action='cancel']");
        w.awaitState(p, "hold.yml", RunState.CANCELLED);
        await().atMost(WAIT).until(() -> !all("li.wf[data-workflow='hold.yml'][data-state='cancelled']").isEmpty());
        assertTrue(all("li.wf[data-workflow='hold.yml'] button[data-action='cancel']").isEmpty(), "nothing left to cancel");
    }

    @Test
    @Order(4)
    @DisplayName("from the browser, an action without the CSRF token answers 403 and without the cookie 401, never a redirect")
    void refusedInBrowser() {
        login();
        PipelineId p = w.pipeline("refuse-repo", "hold.yml", "wait");
        w.awaitState(p, "hold.yml", RunState.RUNNING);
        browser.get(w.url("/console/pipeline/" + p.rkey()));
        String csrf = browser.findElement(By.cssSelector("input[name='csrf']")).getAttribute("value");
        String target = "knot=" + p.knot() + "&rkey=" + p.rkey() + "&workflow=hold.yml";
        @SuppressWarnings("unchecked")
        Map<String, Object> noCsrf = (Map<String, Object>) browser.executeAsyncScript(post(target, "same-origin"));
        assertEquals(403L, noCsrf.get("status"));
        assertEquals(false, noCsrf.get("redirected"));
        @SuppressWarnings("unchecked")
        Map<String, Object> noCookie = (Map<String, Object>) browser.executeAsyncScript(post(target + "&csrf=" + csrf, "omit"));
        assertEquals(401L, noCookie.get("status"));
        assertEquals(false, noCookie.get("redirected"));
        assertEquals(RunState.RUNNING, w.state(p, "hold.yml"), "the refused requests did nothing");
        w.weft.runs().cancel(new WorkflowId(p, "hold.yml"), CancelReason.REQUESTED);
    }

    private static String post(String body, String credentials) {
        return "var done = arguments[arguments.length - 1];"
                + "fetch('/console/cancel', {method: 'POST', credentials: '" + credentials + "', redirect: 'manual',"
                + " headers: {'Content-Type': 'application/x-www-form-urlencoded'}, body: '" + body + "'})"
                + ".then(function (r) { done({status: r.status, redirected: r.redirected || r.type === 'opaqueredirect'}); })"
                + ".catch(function (e) { done({status: -1, error: String(e)}); });";
    }

    @Test
    @Order(5)
    @DisplayName("no page scrolls sideways at 375 px; screenshots when asked for")
    void narrowAndScreenshots() throws Exception {
        // Something of every kind to look at.
        PipelineId failed = w.pipeline("api-server", "test.yml", "fail", "lint.yml", "ok");
        PipelineId running = w.pipeline("web-frontend", "build.yml", "feed", "deploy.yml", "wait");
        w.awaitState(failed, "test.yml", RunState.FAILED);
        w.awaitState(running, "build.yml", RunState.RUNNING);
        ScriptedEngine.feed("build.yml").add("\u001b[1m\u001b[32m✓\u001b[0m compiled 214 modules in 3.2s");
        ScriptedEngine.feed("build.yml").add("\u001b[33mwarning\u001b[0m: unused import in src/app.ts:12");
        ScriptedEngine.feed("build.yml").add("bundling…");
        String dir = System.getProperty("weft.console.screenshots", "");
        Map<String, String> pages = new java.util.LinkedHashMap<>();
        pages.put("list", "/console");
        pages.put("pipeline", "/console/pipeline/" + failed.rkey());
        pages.put("log", "/console/log/" + running.knot() + "/" + running.rkey() + "/build.yml");
        pages.put("system", "/console/system");
        pages.put("login", "/console/login");
        for (Map.Entry<String, Dimension> size : Map.of("desktop", new Dimension(1280, 900), "375px", new Dimension(375, 812)).entrySet()) {
            browser.manage().window().setSize(size.getValue());
            for (Map.Entry<String, String> page : pages.entrySet()) {
                if (page.getKey().equals("login")) browser.manage().deleteCookieNamed(Sessions.COOKIE);
                browser.get(w.url(page.getValue()));
                if (page.getKey().equals("log")) await().atMost(WAIT).until(() -> all("#log details.step.user .line").size() >= 3);
                Number scroll = (Number) browser.executeScript("return document.documentElement.scrollWidth;");
                Number width = (Number) browser.executeScript("return document.documentElement.clientWidth;");
                assertTrue(scroll.longValue() <= width.longValue(),
                        page.getKey() + " at " + size.getKey() + " scrolls sideways: " + scroll + " > " + width);
                if (!dir.isEmpty()) {
                    Files.createDirectories(Path.of(dir));
                    Files.write(Path.of(dir, page.getKey() + "-" + size.getKey() + ".png"), browser.getScreenshotAs(OutputType.BYTES));
                }
            }
            login();
        }
        browser.manage().window().setSize(new Dimension(1280, 900));
        // Colours follow prefers-color-scheme.
        browser.get(w.url("/console"));
        assertEquals("rgba(255, 255, 255, 1)", browser.findElement(By.tagName("body")).getCssValue("background-color"));
        browser.executeCdpCommand("Emulation.setEmulatedMedia",
                Map.of("features", List.of(Map.of("name", "prefers-color-scheme", "value", "dark"))));
        browser.get(w.url("/console"));
        assertEquals("rgba(13, 17, 23, 1)", browser.findElement(By.tagName("body")).getCssValue("background-color"));
        if (!dir.isEmpty()) Files.write(Path.of(dir, "list-dark.png"), browser.getScreenshotAs(OutputType.BYTES));
        browser.executeCdpCommand("Emulation.setEmulatedMedia", Map.of("features", List.of()));
        ScriptedEngine.feed("build.yml").add(ScriptedEngine.END);
    }
}
