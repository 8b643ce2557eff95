package dev.weft.provider.stub;

import dev.weft.spi.LineAssembler;
import dev.weft.spi.Provider;
import dev.weft.spi.Run;
import dev.weft.spi.SecretSupport;
import dev.weft.spi.Step;
import dev.weft.spi.Variables;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Runs a {@link StubScript} on the run's own virtual thread, blocking for its duration. Its work
 * lives in this process, so it cannot be resumed after a restart ({@link #resume} keeps the
 * default {@code false}) and it cancels by watching {@link Run#awaitCancel}.
 *
 * <p>Interrupts: every wait (a step's {@code delay}, {@code hang: true}) ends when weft interrupts
 * the thread at shutdown, and {@code spawn} then throws {@link InterruptedException} before
 * writing or reporting anything more, so the run stays open; the next start fails it saying weft
 * restarted, since the stub cannot resume.
 *
 * <p>Secrets: the repository's secrets are the environment of its scripted steps (all of them user
 * steps), so {@code ${NAME}} in an output line expands to a secret's value; the runtime masks it in
 * the log. Step commands are shown as written, with only the Tangled variables expanded, as a shell
 * shows a command before it expands it. Values never leave the process: {@link SecretSupport#SECURE}.
 */
final class StubProvider implements Provider {

    @Override
    public void spawn(Run run) throws Exception {
        StubScript script = StubScript.parse(run.spec(), run.block());
        Map<String, String> env = new HashMap<>(run.variables());
        env.putAll(run.secrets());
        run.status().running();
        for (StubScript.StubStep s : script.steps()) {
            Step step = run.log().startStep(s.name(), Variables.expand(s.command(), run.variables()), false, null);
            for (String line : s.output()) {
                if (pause(run, s.delay())) return;
                step.out(Variables.expand(line, env));
            }
            if (!s.chunks().isEmpty()) {
                // A backend's log arrives in pieces that split lines anywhere: assemble them first.
                LineAssembler lines = new LineAssembler(step::out);
                for (String chunk : s.chunks()) {
                    if (pause(run, s.delay())) return;
                    lines.accept(Variables.expand(chunk, env));
                }
                lines.flush();
            }
            for (String line : s.stderr()) {
                if (pause(run, s.delay())) return;
                step.err(Variables.expand(line, env));
            }
            step.end();
            if (s.exit() != 0) {
                stopIfInterrupted();
                run.status().failed("step \"" + s.name() + "\" exited with code " + s.exit(), s.exit());
                return;
            }
        }
        if (script.hang()) {
            // hang: true never finishes on its own; only a cancel or the timeout ends it (or weft
            // stopping, which leaves it open)
            while (!run.awaitCancel(Duration.ofMinutes(1))) stopIfInterrupted();
            stopIfInterrupted();
            run.status().cancelled("cancelled");
            return;
        }
        stopIfInterrupted();
        if (run.cancelRequested()) {
            run.status().cancelled("cancelled");
            return;
        }
        run.status().success();
    }

    /**
     * Waits before a line; true when the run was cancelled meanwhile (and is now reported so).
     *
     * @throws InterruptedException weft is stopping: nothing more is written or reported
     */
    private static boolean pause(Run run, Duration delay) throws InterruptedException {
        boolean cancelled = delay.isZero() ? run.cancelRequested() : run.awaitCancel(delay);
        stopIfInterrupted();
        if (cancelled) run.status().cancelled("cancelled");
        return cancelled;
    }

    /** {@link Run#awaitCancel} keeps an interrupt as a flag: weft is stopping, so give the thread back. */
    private static void stopIfInterrupted() throws InterruptedException {
        if (Thread.interrupted()) throw new InterruptedException("weft is stopping");
    }

    @Override
    public SecretSupport secretSupport() {
        return SecretSupport.SECURE;
    }

    @Override
    public void close() {
    }
}
