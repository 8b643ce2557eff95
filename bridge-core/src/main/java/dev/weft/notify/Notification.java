package dev.weft.notify;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One notification, as every notifier receives it and as the generic webhook sends it (field by
 * field in {@code docs/notifications.md}). Immutable; strings are never null (empty when absent);
 * every text from a run (error, lines, step command) was masked like the run's log.
 *
 * @param id       stable across retries and restarts: derived from the run and its status, so a
 *                 receiver can drop redeliveries
 * @param event    what happened
 * @param pipeline the pipeline's AT-URI
 * @param workflow the workflow's name
 * @param engine   the workflow's engine
 * @param repo     the repository
 * @param trigger  what caused the pipeline, and who
 * @param step     the failing step (empty when no step failed or none was known)
 * @param exitCode the exit code, null when none
 * @param error    the status's error text
 * @param lines    the failing step's last lines, repeated identical lines collapsed
 * @param advice   the matching advice, or null
 * @param links    where to look
 * @param incident the incident this belongs to, or null
 * @param at       when the status was decided (ISO-8601)
 * @param workflows every workflow of the pipeline and its status when this was made, in order, so a
 *                 message that stands for the pipeline can show how its other workflows ended
 */
public record Notification(String id, Event event, String pipeline, String workflow, String engine, Repo repo,
                           Trigger trigger, Step step, Long exitCode, String error, List<Line> lines, Advice advice,
                           Links links, Incident incident, String at, List<WorkflowStatus> workflows) {
    public Notification {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(repo, "repo");
        Objects.requireNonNull(trigger, "trigger");
        Objects.requireNonNull(links, "links");
        pipeline = nz(pipeline);
        workflow = nz(workflow);
        engine = nz(engine);
        step = step == null ? Step.NONE : step;
        error = nz(error);
        lines = List.copyOf(lines);
        at = nz(at);
        workflows = workflows == null ? List.of() : List.copyOf(workflows);
    }

    /** Without the pipeline's other workflows. */
    public Notification(String id, Event event, String pipeline, String workflow, String engine, Repo repo,
                        Trigger trigger, Step step, Long exitCode, String error, List<Line> lines, Advice advice,
                        Links links, Incident incident, String at) {
        this(id, event, pipeline, workflow, engine, repo, trigger, step, exitCode, error, lines, advice, links, incident, at,
                List.of());
    }

    public Notification withIncident(Incident i) {
        return new Notification(id, event, pipeline, workflow, engine, repo, trigger, step, exitCode, error, lines, advice,
                links, i, at, workflows);
    }

    /** The same notification under another id, showing the pipeline's workflows as they are now. */
    public Notification withWorkflows(String newId, List<WorkflowStatus> now) {
        return new Notification(newId, event, pipeline, workflow, engine, repo, trigger, step, exitCode, error, lines, advice,
                links, incident, at, now);
    }

    /** One workflow of the pipeline and its status ({@code pending}, {@code running}, {@code failed}, ...). */
    public record WorkflowStatus(String workflow, String status) {
        public WorkflowStatus {
            workflow = nz(workflow);
            status = nz(status);
        }
    }

    /**
     * The repository.
     *
     * @param knot  its knot host
     * @param owner the owner's DID
     * @param name  its name (or record key)
     * @param did   its own DID, empty for legacy repositories
     */
    public record Repo(String knot, String owner, String name, String did) {
        public Repo {
            knot = nz(knot);
            owner = nz(owner);
            name = nz(name);
            did = nz(did);
        }

        /** {@code owner/name}, how people read a repository. */
        public String display() {
            return owner + "/" + name;
        }
    }

    /**
     * What caused the pipeline.
     *
     * @param kind     {@code push}, {@code pull_request} or {@code manual}
     * @param ref      push: the ref; pull request: the source branch; manual: the ref when known
     * @param branch   the branch incidents are kept per (push: the branch; pull request: the source branch)
     * @param target   pull request: the target branch, else empty
     * @param sha      the full commit, empty when unknown
     * @param shortSha its first 7 characters
     * @param actor    the DID of who triggered it (the repo owner when the trigger names nobody)
     * @param mention  the actor's chat member id from the people map, empty when unknown
     * @param inputs   manual inputs, in order
     * @param pull     pull request: the pull record's AT-URI when known
     */
    public record Trigger(String kind, String ref, String branch, String target, String sha, String shortSha,
                          String actor, String mention, Map<String, String> inputs, String pull) {
        public Trigger {
            kind = nz(kind);
            ref = nz(ref);
            branch = nz(branch);
            target = nz(target);
            sha = nz(sha);
            shortSha = nz(shortSha);
            actor = nz(actor);
            mention = nz(mention);
            inputs = Map.copyOf(inputs);
            pull = nz(pull);
        }
    }

    /** A step by name and command. */
    public record Step(String name, String command) {
        public static final Step NONE = new Step("", "");

        public Step {
            name = nz(name);
            command = nz(command);
        }
    }

    /** One output line; {@code repeat} counts identical consecutive lines collapsed into it (1 = not collapsed). */
    public record Line(String text, int repeat) {
        public Line {
            text = nz(text);
        }
    }

    /** Operator advice from the advice file: what to do, and where to read more (may be empty). */
    public record Advice(String text, String link) {
        public Advice {
            text = nz(text);
            link = nz(link);
        }
    }

    /** Links: the appview's workflow page and the provider's run page (empty when unknown). */
    public record Links(String appview, String run) {
        public Links {
            appview = nz(appview);
            run = nz(run);
        }
    }

    /**
     * The incident: a (repository, workflow, branch) from its first failure until it passes.
     *
     * @param id     weft's incident number
     * @param opened whether this notification opened it
     * @param closed whether this notification closed it ({@link Event#FIXED})
     */
    public record Incident(long id, boolean opened, boolean closed) {
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}
