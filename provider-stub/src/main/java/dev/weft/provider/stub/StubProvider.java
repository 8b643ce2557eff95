package dev.weft.provider.stub;

import dev.weft.spi.LineAssembler;
import dev.weft.spi.Provider;
import dev.weft.spi.Run;
import dev.weft.spi.SecretSupport;
import dev.weft.spi.Step;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a {@link StubScript} on the run's own virtual thread, blocking for its duration. Its work
 * lives in this process, so it cannot be resumed after a restart ({@link #resume} keeps the
 * default {@code false}) and it cancels by watching {@link Run#awaitCancel}.
 *
 * <p>Secrets: the repository's secrets are the environment of its scripted steps (all of them user
 * steps), so {@code ${NAME}} in an output line expands to a secret's value; the runtime masks it in
 * the log. Step commands are shown as written, with only the Tangled variables expanded, as a shell
 * shows a command before it expands it. Values never leave the process: {@link SecretSupport#SECURE}.
 */
final class StubProvider implements Provider {
    private static final Pattern VAR = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");

    @Override
    public void spawn(Run run) throws Exception {
        StubScript script = StubScript.parse(run.spec(), run.block());
        Map<String, String> env = new HashMap<>(run.variables());
        env.putAll(run.secrets());
        run.status().running();
        for (StubScript.StubStep s : script.steps()) {
            Step step = run.log().startStep(s.name(), expand(s.command(), run.variables()), false, null);
            for (String line : s.output()) {
                if (pause(run, s.delay())) return;
                step.out(expand(line, env));
            }
            if (!s.chunks().isEmpty()) {
                // A backend's log arrives in pieces that split lines anywhere: assemble them first.
                LineAssembler lines = new LineAssembler(step::out);
                for (String chunk : s.chunks()) {
                    if (pause(run, s.delay())) return;
                    lines.accept(expand(chunk, env));
                }
                lines.flush();
            }
            for (String line : s.stderr()) {
                if (pause(run, s.delay())) return;
                step.err(expand(line, env));
            }
            step.end();
            if (s.exit() != 0) {
                run.status().failed("step \"" + s.name() + "\" exited with code " + s.exit(), s.exit());
                return;
            }
        }
        if (script.hang()) {
            while (!run.awaitCancel(Duration.ofMinutes(1))) {
                // hang: true never finishes on its own; only a cancel or the timeout ends it
            }
            run.status().cancelled("cancelled");
            return;
        }
        if (run.cancelRequested()) {
            run.status().cancelled("cancelled");
            return;
        }
        run.status().success();
    }

    /** Waits before a line; true when the run was cancelled meanwhile (and is now reported so). */
    private static boolean pause(Run run, Duration delay) {
        boolean cancelled = delay.isZero() ? run.cancelRequested() : run.awaitCancel(delay);
        if (cancelled) run.status().cancelled("cancelled");
        return cancelled;
    }

    /** Replaces {@code ${NAME}} with the run's variable; unknown names stay as written. */
    static String expand(String text, Map<String, String> vars) {
        Matcher m = VAR.matcher(text);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            String v = vars.get(m.group(1));
            m.appendReplacement(b, Matcher.quoteReplacement(v == null ? m.group() : v));
        }
        return m.appendTail(b).toString();
    }

    @Override
    public SecretSupport secretSupport() {
        return SecretSupport.SECURE;
    }

    @Override
    public void close() {
    }
}
