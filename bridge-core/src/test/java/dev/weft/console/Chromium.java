package dev.weft.console;

import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Debian's {@code chromium} and {@code chromium-driver} for the console's browser tests: installed
 * with apt when absent (CI runs as root on a clean machine), and a test FAILS when they cannot be
 * installed, so a missing browser never passes as a skipped test. The browser is started through
 * the local chromedriver only: no Selenium Manager download.
 */
final class Chromium {
    static final Path BROWSER = Path.of("/usr/bin/chromium");
    static final Path DRIVER = Path.of("/usr/bin/chromedriver");
    private static boolean checked;

    private Chromium() {
    }

    static synchronized void ensureInstalled() {
        if (checked) return;
        if (!present()) {
            Path log = Path.of(System.getProperty("java.io.tmpdir"), "weft-chromium-apt.log");
            System.err.println("installing chromium and chromium-driver with apt (output in " + log + ")");
            run(log, List.of("apt-get", "update"));
            // --reinstall: also repairs an installed package whose binary is gone; on a clean machine it installs.
            run(log, List.of("apt-get", "install", "-y", "--reinstall", "chromium", "chromium-driver"));
            if (!present()) fail("chromium and chromium-driver are still missing after apt-get install; see " + log);
        }
        checked = true;
    }

    private static boolean present() {
        return Files.isExecutable(BROWSER) && Files.isExecutable(DRIVER);
    }

    private static void run(Path log, List<String> command) {
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
            Process p = pb.start();
            if (!p.waitFor(15, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                fail(String.join(" ", command) + " did not finish in 15 minutes; see " + log);
            }
            if (p.exitValue() != 0) {
                fail(String.join(" ", command) + " failed with exit " + p.exitValue() + " (is this root, with apt reachable?); see " + log);
            }
        } catch (IOException e) {
            fail("cannot run " + String.join(" ", command) + ": " + e.getMessage() + " (the browser tests need Debian's apt-get)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted while installing chromium");
        }
    }

    /** A headless chromium with a fresh profile, driven through the local chromedriver. */
    static ChromeDriver start(Path profile) {
        ensureInstalled();
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(DRIVER.toFile()).usingAnyFreePort()
                .withLogOutput(java.io.OutputStream.nullOutputStream()).build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(new File(BROWSER.toString()));
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--window-size=1280,900");
        ChromeDriver driver = new ChromeDriver(service, options);
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(10));
        return driver;
    }
}
