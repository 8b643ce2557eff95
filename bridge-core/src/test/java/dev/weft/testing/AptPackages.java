package dev.weft.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian packages a test needs (a browser, a proxy): installed with apt when their programs are
 * absent (CI runs as root on a clean machine), and the test FAILS when they cannot be installed, so
 * a missing program never passes as a skipped test.
 */
public final class AptPackages {
    private AptPackages() {
    }

    /** Installs {@code packages} unless every one of {@code programs} is executable already. */
    public static synchronized void ensure(List<Path> programs, List<String> packages) {
        if (present(programs)) return;
        String what = String.join(" and ", packages);
        Path log = Path.of(System.getProperty("java.io.tmpdir"), "weft-apt-" + packages.get(0) + ".log");
        System.err.println("installing " + what + " with apt (output in " + log + ")");
        run(log, List.of("apt-get", "update"), what);
        // --reinstall: also repairs an installed package whose binary is gone; on a clean machine it installs.
        List<String> install = new java.util.ArrayList<>(List.of("apt-get", "install", "-y", "--reinstall"));
        install.addAll(packages);
        run(log, install, what);
        if (!present(programs)) fail(what + " still missing after apt-get install; see " + log);
    }

    private static boolean present(List<Path> programs) {
        return programs.stream().allMatch(Files::isExecutable);
    }

    private static void run(Path log, List<String> command, String what) {
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
            fail("cannot run " + String.join(" ", command) + ": " + e.getMessage() + " (" + what + " come from Debian's apt-get)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted while installing " + what);
        }
    }
}
