package dev.weft.console;

import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;


/**
 * Debian's {@code chromium} and {@code chromium-driver} for the console's browser tests: installed
 * with apt when absent (CI runs as root on a clean machine), and a test FAILS when they cannot be
 * installed, so a missing browser never passes as a skipped test. The browser is started through
 * the local chromedriver only: no Selenium Manager download.
 */
final class Chromium {
    static final Path BROWSER = Path.of("/usr/bin/chromium");
    static final Path DRIVER = Path.of("/usr/bin/chromedriver");

    private Chromium() {
    }

    static void ensureInstalled() {
        dev.weft.testing.AptPackages.ensure(List.of(BROWSER, DRIVER), List.of("chromium", "chromium-driver"));
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
