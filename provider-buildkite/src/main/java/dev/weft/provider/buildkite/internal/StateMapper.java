package dev.weft.provider.buildkite.internal;

import dev.weft.model.Status;

import java.util.Optional;

/**
 * Maps a Buildkite build onto weft's status machine. Build states are an open set: a state this
 * class does not know maps to {@link Mapped.Unknown}, and the caller keeps the run's last status.
 *
 * <table>
 *   <caption>Mapping</caption>
 *   <tr><td>creating, scheduled, waiting</td><td>pending</td></tr>
 *   <tr><td>running, failing, canceling</td><td>running</td></tr>
 *   <tr><td>blocked, or {@code blocked: true} on a build that has not failed</td><td>running, waiting for an unblock</td></tr>
 *   <tr><td>passed</td><td>success</td></tr>
 *   <tr><td>skipped, not_run</td><td>success, noting that nothing ran</td></tr>
 *   <tr><td>failed, waiting_failed</td><td>failed, exit code of the first failed script job (else -1)</td></tr>
 *   <tr><td>canceled</td><td>cancelled</td></tr>
 * </table>
 */
public final class StateMapper {

    private StateMapper() {
    }

    /** What a build's state means for the run. */
    public sealed interface Mapped {
        /** Not started yet. */
        record Pending() implements Mapped {
        }

        /** Running; {@code blocked} when it waits for someone to unblock it. */
        record Running(boolean blocked) implements Mapped {
        }

        /** Finished; {@code note}, when present, is worth a log line (nothing ran, say). */
        record Finished(Status status, Optional<String> note) implements Mapped {
        }

        /** A state weft does not know: keep the last status. */
        record Unknown(String state) implements Mapped {
        }
    }

    public static Mapped map(Build b) {
        String state = b.state() == null ? "" : b.state();
        String label = "Buildkite build #" + b.number();
        if (b.blocked() && !state.equals("failed") && !state.equals("canceled") && !state.equals("waiting_failed")) {
            return new Mapped.Running(true);
        }
        return switch (state) {
            case "creating", "scheduled", "waiting" -> new Mapped.Pending();
            case "running", "failing", "canceling" -> new Mapped.Running(false);
            case "blocked" -> new Mapped.Running(true);
            case "passed" -> new Mapped.Finished(new Status.Success(), Optional.empty());
            case "skipped", "not_run" -> new Mapped.Finished(new Status.Success(),
                    Optional.of(label + " ended " + state + ": nothing ran"));
            case "failed", "waiting_failed" -> failed(b, label + " " + state.replace('_', ' '));
            case "canceled", "cancelled" -> new Mapped.Finished(new Status.Cancelled(label + " was canceled"),
                    Optional.empty());
            default -> new Mapped.Unknown(state);
        };
    }

    /** The first failed script job (in pipeline order) gives the exit code and names itself. */
    private static Mapped failed(Build b, String label) {
        for (Build.Job j : b.jobs()) {
            if (!j.isScript() || j.softFailed()) continue;
            Long code = j.exitStatus();
            if (code != null && code != 0) {
                return new Mapped.Finished(new Status.Failed(label + ": job \"" + j.displayName()
                        + "\" exited with status " + code, code), Optional.empty());
            }
        }
        for (Build.Job j : b.jobs()) {
            if (j.isScript() && !j.softFailed() && "failed".equals(j.state())) {
                return new Mapped.Finished(new Status.Failed(label + ": job \"" + j.displayName() + "\" failed", -1),
                        Optional.empty());
            }
        }
        return new Mapped.Finished(new Status.Failed(label, -1), Optional.empty());
    }
}
