package dev.weft.cmd;

import dev.weft.config.WeftConfig;
import dev.weft.daemon.Weft;
import dev.weft.spi.ProviderConfigException;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/** {@code weft serve}: the daemon, until SIGTERM/SIGINT. */
final class ServeCommand {
    private ServeCommand() {
    }

    static int run(List<String> args, PrintStream out, PrintStream err) throws WeftConfig.InvalidConfigException {
        List<String> flags = new ArrayList<>(args);
        boolean print = flags.remove("--print-config");
        WeftConfig config = WeftConfig.from(WeftConfig.applyFlags(System.getenv(), flags));
        if (print) {
            config.describe().forEach(out::println);
            return 0;
        }
        Weft weft;
        try {
            weft = Weft.builder(config).jetstream(true).start();
        } catch (ProviderConfigException e) {
            err.println("weft: providers or plugins invalid (WEFT_<ENGINE>_* settings, WEFT_PLUGINS_DIR):");
            e.problems().forEach(p -> err.println("  " + p));
            return 2;
        } catch (RuntimeException e) {
            err.println("weft: cannot start: " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            weft.close();
            stopped.countDown();
        }, "weft-shutdown"));
        java.util.concurrent.atomic.AtomicReference<String> fencedBy = new java.util.concurrent.atomic.AtomicReference<>();
        weft.fenced().thenAccept(why -> {
            fencedBy.set(why);
            stopped.countDown();
        });
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (fencedBy.get() != null) {
            // EX_TEMPFAIL: a service manager (systemd Restart=on-failure) starts a fresh life.
            err.println("weft: stopped: " + fencedBy.get() + "; exiting so that a fresh start rejoins the other instances");
            return 75;
        }
        return 0;
    }
}
