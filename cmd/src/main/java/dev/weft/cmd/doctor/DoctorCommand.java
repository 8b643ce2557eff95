package dev.weft.cmd.doctor;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.config.WeftConfig;
import dev.weft.providers.Plugins;
import dev.weft.spi.ProviderConfigException;
import dev.weft.spi.Check;
import dev.weft.spi.GoDuration;

import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code weft doctor [--json] [--timeout 5s] [serve's flags]}: one line per check, or the JSON
 * document; exit 1 exactly when a check failed, 2 on a usage error.
 */
public final class DoctorCommand {
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    private static final ObjectMapper JSON = new ObjectMapper();

    private DoctorCommand() {
    }

    public static int run(List<String> args, Map<String, String> environment, PrintStream out, PrintStream err) {
        // Providers created to check their configuration log their start-up notes; the checks say
        // the same in their own lines. (slf4j-simple reads this once, at its first logger.)
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        List<String> flags = new ArrayList<>(args);
        boolean json = flags.remove("--json");
        Duration timeout = DEFAULT_TIMEOUT;
        int t = flags.indexOf("--timeout");
        try {
            if (t >= 0 && t + 1 < flags.size()) {
                timeout = GoDuration.parse(flags.get(t + 1));
                flags.remove(t + 1);
                flags.remove(t);
            }
            if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("must be positive");
        } catch (IllegalArgumentException e) {
            err.println("weft doctor: --timeout: " + e.getMessage());
            return 2;
        }
        Map<String, String> env;
        try {
            env = WeftConfig.applyFlags(environment, flags);
        } catch (WeftConfig.InvalidConfigException e) {
            err.println("weft doctor: " + String.join("; ", e.problems()));
            err.println("usage: weft doctor [--json] [--timeout 5s] [the flags weft serve takes]");
            return 2;
        }
        // The providers serve would have: built in, and the plugin jars of WEFT_PLUGINS_DIR.
        ClassLoader here = DoctorCommand.class.getClassLoader();
        Check pluginCheck = null;
        Plugins plugins;
        try {
            plugins = Plugins.load(WeftConfig.from(env).pluginsDir(), here);
            pluginCheck = Check.ok("plugins", plugins.jars().isEmpty() ? "no plugin jar" : plugins.jars().size() + " jar(s) loaded");
        } catch (WeftConfig.InvalidConfigException e) {
            plugins = Plugins.builtIn(here); // the configuration check says what is wrong
        } catch (ProviderConfigException e) {
            plugins = Plugins.builtIn(here);
            pluginCheck = Check.fail("plugins", String.join("; ", e.problems()),
                    "remove or rebuild the jar named in WEFT_PLUGINS_DIR; weft serve refuses to start with it");
        }
        List<Check> checks = new ArrayList<>();
        try (Plugins loaded = plugins) {
            if (pluginCheck != null) checks.add(pluginCheck);
            checks.addAll(new Doctor(env, loaded.providerFactories(), timeout, Clock.systemUTC()).run());
        }
        if (json) out.println(json(checks));
        else print(checks, out);
        return Doctor.ok(checks) ? 0 : 1;
    }

    static String json(List<Check> checks) {
        ObjectNode root = JSON.createObjectNode();
        root.put("ok", Doctor.ok(checks));
        ArrayNode list = root.putArray("checks");
        for (Check c : checks) {
            list.addObject().put("name", c.name()).put("status", c.status().word()).put("detail", c.detail()).put("fix", c.fix());
        }
        return root.toString();
    }

    static void print(List<Check> checks, PrintStream out) {
        int width = checks.stream().mapToInt(c -> c.name().length()).max().orElse(0);
        for (Check c : checks) {
            out.printf("%-4s  %-" + width + "s  %s%n", c.status().word(), c.name(), c.detail());
            if (!c.fix().isEmpty() && (c.status() == Check.Status.FAIL || c.status() == Check.Status.WARN)) {
                out.printf("      %-" + width + "s  fix: %s%n", "", c.fix());
            }
        }
        long failed = checks.stream().filter(c -> c.status() == Check.Status.FAIL).count();
        long warned = checks.stream().filter(c -> c.status() == Check.Status.WARN).count();
        out.println(failed == 0 ? "weft doctor: no failures" + (warned == 0 ? "" : " (" + warned + " warning(s))")
                : "weft doctor: " + failed + " check(s) failed");
    }
}
