package dev.weft.notifications;

import dev.weft.model.Nanos;
import dev.weft.model.RunState;
import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;
import dev.weft.notify.Event;
import dev.weft.notify.Notification;
import dev.weft.store.NotificationStore.Incident;
import dev.weft.store.NotificationStore.IncidentChange;
import dev.weft.store.RunRecord;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Decides what one stored status means for notifications: its event, what it does to its
 * incident, and the notification itself. Pure: everything it needs is passed in.
 */
final class NotificationBuilder {
    private final NotifyOptions options;

    NotificationBuilder(NotifyOptions options) {
        this.options = options;
    }

    /**
     * The decision for one status.
     *
     * @param notification what to send, or null when this status sends nothing
     * @param change       what it does to its incident
     * @param repeat       a failure within an open incident whose step and exit code did not change:
     *                     only notifiers that update one message in place receive it
     */
    record Decision(Notification notification, IncidentChange change, boolean repeat) {
    }

    /** The branch incidents are kept per: the pushed branch (or tag), a pull request's source branch, a manual run's ref. */
    static String branchOf(TriggerKind kind) {
        return switch (kind) {
            case TriggerKind.Push p -> p.refName();
            case TriggerKind.PullRequest pr -> pr.sourceBranch();
            case TriggerKind.Manual m -> m.ref().startsWith("refs/heads/") ? m.ref().substring(11) : m.ref();
        };
    }

    /** {@code repo|workflow|branch}; the repository by its DID when it has one, so a rename keeps the incident. */
    static String scopeOf(Trigger t, String workflow) {
        String repo = t.repo().hasRepoDid() ? t.repo().repoDid() : t.repo().knot() + "/" + t.repo().did() + "/" + t.repo().name();
        return repo + "|" + workflow + "|" + branchOf(t.kind());
    }

    /**
     * Who triggered it: the trigger's actor (a push's {@code committerDid}, a manual run's caller),
     * else a pull request's author (the DID in its record's AT-URI), else the repository owner
     * (legacy knots' records name nobody).
     */
    static String actorOf(Trigger t) {
        if (!t.actor().isEmpty()) return t.actor();
        if (t.kind() instanceof TriggerKind.PullRequest pr && pr.pull().startsWith("at://")) {
            String rest = pr.pull().substring(5);
            int slash = rest.indexOf('/');
            if (slash > 0 && rest.startsWith("did:")) return rest.substring(0, slash);
        }
        return t.repo().did();
    }

    /** Stable across retries and restarts: the same run and status always give the same id. */
    static String idOf(RunRecord run, RunState state) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(("weft-notify\n" + run.workflow().pipeline().knot() + "\n"
                    + run.workflow().pipeline().rkey() + "\n" + run.workflow().name() + "\n" + state.wireName())
                    .getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(h, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // SHA-256 is in every JDK
        }
    }

    /** The id of an update of notification {@code base} caused by notification {@code cause}: stable too. */
    static String derivedId(String base, String cause) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest((base + "\n" + cause).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(h, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    Decision decide(RunRecord run, RunState state, Trigger t, Optional<Incident> open, FailureContext failure,
                    AdviceRules rules) {
        String branch = branchOf(t.kind());
        if (!options.repoWanted(t.repo().did(), t.repo().name(), t.repo().repoDid()) || !options.branchWanted(branch)) {
            return new Decision(null, new IncidentChange.None(), false);
        }
        String scope = scopeOf(t, run.workflow().name());
        Event event;
        IncidentChange change;
        boolean repeat = false;
        long at = run.updatedAt();
        switch (state) {
            case RUNNING -> {
                event = Event.STARTED;
                change = new IncidentChange.None();
            }
            case SUCCESS -> {
                event = open.isPresent() ? Event.FIXED : Event.SUCCESS;
                change = open.<IncidentChange>map(i -> new IncidentChange.Close(i.id(), Nanos.instant(at).toEpochMilli()))
                        .orElse(new IncidentChange.None());
            }
            case FAILED, TIMEOUT -> {
                event = state == RunState.FAILED ? Event.FAILED : Event.TIMEOUT;
                String step = failure.step().name();
                if (open.isPresent()) {
                    Incident i = open.get();
                    repeat = i.step().equals(step) && java.util.Objects.equals(i.exitCode(), run.exitCode());
                    change = new IncidentChange.Update(i.id(), step, run.exitCode(), run.workflow().pipeline().atUri());
                } else {
                    change = new IncidentChange.Open(scope, Nanos.instant(at).toEpochMilli(), step, run.exitCode(),
                            run.workflow().pipeline().atUri());
                }
            }
            case CANCELLED -> {
                event = Event.CANCELLED;
                change = new IncidentChange.None();
            }
            default -> {
                return new Decision(null, new IncidentChange.None(), false);
            }
        }
        if (!options.on().contains(event)) return new Decision(null, change, repeat);
        Notification.Advice advice = null;
        if (event.failing()) {
            advice = rules.adviceFor(facts(run, t, failure)).orElse(null);
        }
        String actor = actorOf(t);
        Notification.Incident incident = switch (change) {
            case IncidentChange.Open o -> new Notification.Incident(0, true, false);
            case IncidentChange.Update u -> new Notification.Incident(u.id(), false, false);
            case IncidentChange.Close c -> new Notification.Incident(c.id(), false, true);
            case IncidentChange.None n -> null;
        };
        Notification n = new Notification(idOf(run, state), event, run.workflow().pipeline().atUri(), run.workflow().name(),
                run.engine(), new Notification.Repo(t.repo().knot(), t.repo().did(), t.repo().name(), t.repo().repoDid()),
                trigger(t, branch, actor, rules.memberOf(actor)),
                event.failing() ? failure.step() : Notification.Step.NONE,
                event.failing() || event == Event.CANCELLED ? run.exitCode() : null,
                event == Event.SUCCESS || event == Event.FIXED || event == Event.STARTED ? "" : run.error(),
                event.failing() ? failure.lines() : java.util.List.of(), advice,
                new Notification.Links(appviewLink(t, run), run.webUrl()), incident, Nanos.instant(at).toString());
        return new Decision(n, change, repeat);
    }

    /** The failing run as the advice rules see it. */
    static AdviceRules.Facts facts(RunRecord run, Trigger t, FailureContext failure) {
        return new AdviceRules.Facts(run.engine(), t.repo().did(), t.repo().name(), t.repo().repoDid(), run.workflow().name(),
                branchOf(t.kind()), run.error() == null ? "" : run.error(), failure.texts());
    }

    private String appviewLink(Trigger t, RunRecord run) {
        return options.workflowLink(t.repo(), run.workflow().pipeline().rkey(), run.workflow().name());
    }

    private static Notification.Trigger trigger(Trigger t, String branch, String actor, String mention) {
        return switch (t.kind()) {
            case TriggerKind.Push p -> new Notification.Trigger("push", p.ref(), branch, "", p.newSha(), shortSha(p.newSha()),
                    actor, mention, Map.of(), "");
            case TriggerKind.PullRequest pr -> new Notification.Trigger("pull_request", pr.sourceBranch(), branch,
                    pr.targetBranch(), pr.sourceSha(), shortSha(pr.sourceSha()), actor, mention, Map.of(), pr.pull());
            case TriggerKind.Manual m -> {
                Map<String, String> inputs = new LinkedHashMap<>();
                for (TriggerKind.Input in : m.inputs()) inputs.put(in.key(), in.value());
                yield new Notification.Trigger("manual", m.ref(), branch, "", m.sha(), shortSha(m.sha()), actor, mention,
                        inputs, "");
            }
        };
    }

    static String shortSha(String sha) {
        return sha.length() > 7 ? sha.substring(0, 7) : sha;
    }
}
