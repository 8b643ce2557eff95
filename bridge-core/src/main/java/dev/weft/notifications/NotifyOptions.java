package dev.weft.notifications;

import dev.weft.notify.Event;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The notification settings, read from the merged configuration like providers read theirs
 * ({@code WeftConfig.env()}), so the core settings table stays about the spindle.
 *
 * @param on         which events are sent ({@code WEFT_NOTIFY_ON})
 * @param repos      only these repositories ({@code did/name} or repo DID); empty = all
 * @param branches   only these branches (a trailing {@code *} matches a prefix); empty = all
 * @param appviewUrl the appview links point at, without a trailing slash
 * @param adviceFile the advice file, or null
 */
public record NotifyOptions(Set<Event> on, List<String> repos, List<String> branches, String appviewUrl, Path adviceFile) {
    public static final String ON = "WEFT_NOTIFY_ON";
    public static final String REPOS = "WEFT_NOTIFY_REPOS";
    public static final String BRANCHES = "WEFT_NOTIFY_BRANCHES";
    public static final String APPVIEW = "WEFT_APPVIEW_URL";
    public static final String ADVICE = "WEFT_ADVICE_FILE";
    public static final String DEFAULT_ON = "failed,timeout,fixed";
    public static final String DEFAULT_APPVIEW = "https://tangled.org";

    public NotifyOptions {
        on = on.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(on));
        repos = List.copyOf(repos);
        branches = List.copyOf(branches);
    }

    /** The appview's page of one workflow of a pipeline, as notifications and the console link to it. */
    public String workflowLink(dev.weft.model.RepoRef repo, String rkey, String workflow) {
        return appviewUrl + "/" + repo.did() + "/" + repo.name() + "/pipelines/" + rkey + "/workflow/" + workflow;
    }

    /** Thrown with every problem at once, each naming its variable. */
    public static final class InvalidNotifyConfigException extends Exception {
        public InvalidNotifyConfigException(List<String> problems) {
            super(String.join("; ", problems));
        }
    }

    public static NotifyOptions from(Map<String, String> env) throws InvalidNotifyConfigException {
        List<String> problems = new ArrayList<>();
        Set<Event> on = EnumSet.noneOf(Event.class);
        for (String w : split(env.getOrDefault(ON, DEFAULT_ON))) {
            Event.fromWire(w).ifPresentOrElse(on::add, () -> problems.add(ON + ": unknown event '" + w
                    + "' (known: started, success, failed, timeout, cancelled, fixed)"));
        }
        String appview = env.getOrDefault(APPVIEW, DEFAULT_APPVIEW).strip();
        if (appview.isEmpty()) appview = DEFAULT_APPVIEW;
        if (!appview.startsWith("http://") && !appview.startsWith("https://")) {
            problems.add(APPVIEW + ": must be an http(s) URL, got '" + appview + "'");
        }
        while (appview.endsWith("/")) appview = appview.substring(0, appview.length() - 1);
        String advice = env.getOrDefault(ADVICE, "").strip();
        if (!problems.isEmpty()) throw new InvalidNotifyConfigException(problems);
        return new NotifyOptions(on, split(env.getOrDefault(REPOS, "")), split(env.getOrDefault(BRANCHES, "")), appview,
                advice.isEmpty() ? null : Path.of(advice));
    }

    public static NotifyOptions defaults() {
        return new NotifyOptions(EnumSet.of(Event.FAILED, Event.TIMEOUT, Event.FIXED), List.of(), List.of(), DEFAULT_APPVIEW, null);
    }

    private static List<String> split(String s) {
        List<String> out = new ArrayList<>();
        for (String p : s.split(",")) if (!p.isBlank()) out.add(p.strip());
        return out;
    }

    /** Whether a repository passes {@code WEFT_NOTIFY_REPOS}. */
    public boolean repoWanted(String ownerDid, String name, String repoDid) {
        return repos.isEmpty() || repos.contains(ownerDid + "/" + name) || (!repoDid.isEmpty() && repos.contains(repoDid));
    }

    /** Whether a branch passes {@code WEFT_NOTIFY_BRANCHES}. */
    public boolean branchWanted(String branch) {
        if (branches.isEmpty()) return true;
        for (String b : branches) {
            if (b.endsWith("*") ? branch.startsWith(b.substring(0, b.length() - 1)) : b.equals(branch)) return true;
        }
        return false;
    }
}
