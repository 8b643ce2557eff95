package dev.weft.cmd;

import dev.weft.config.WeftConfig;
import dev.weft.model.PipelineId;
import dev.weft.model.RunState;
import dev.weft.model.WorkflowId;
import dev.weft.spi.GoDuration;
import dev.weft.store.CancelRequest;
import dev.weft.store.Collaborator;
import dev.weft.store.KnotCollaborator;
import dev.weft.store.Member;
import dev.weft.store.BuildRecord;
import dev.weft.store.RegisteredRepo;
import dev.weft.store.RunRecord;
import dev.weft.config.DatabaseLocation;
import dev.weft.daemon.Databases;
import dev.weft.store.Stores;

import java.io.PrintStream;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code weft repos}, {@code weft members} and {@code weft cancel}: operator commands that work on
 * the database ({@code WEFT_DB}), so they need no network endpoint and only the access an operator
 * has. {@code cancel} queues the request in the database; the running daemon polls the queue every
 * second, cancels the workflow through its provider and records the outcome, which the command
 * waits for. SQLite's WAL mode lets both processes use the file at once.
 */
final class NetworkCommands {
    private NetworkCommands() {
    }

    /**
     * The newest pipelines weft built (or could not build) for a repository on an upgraded knot:
     * a knot that is down or a commit it does not have shows here, not only in the log.
     */
    private static void builds(List<BuildRecord> recent, PrintStream out) {
        for (BuildRecord b : recent) {
            String how = switch (b.state()) {
                case WAITING -> "waiting for its workflow files" + (b.attempts() > 0 || b.error() != null
                        ? " (" + b.attempts() + " failed attempt(s)" + (b.error() == null ? "" : ": " + b.error()) + ")" : "");
                case BUILT -> "built";
                case NOTHING -> "no workflow matched";
                case FAILED -> "FAILED: " + b.error();
            };
            out.println("  pipeline " + b.pipeline().rkey() + "  " + how + "  (" + b.updatedAt() + ")");
        }
    }

    static int repos(List<String> args, PrintStream out, PrintStream err) throws WeftConfig.InvalidConfigException {
        Optional<DatabaseLocation> db = database(args, err, "repos");
        if (db.isEmpty()) return 2;
        try (Stores store = Databases.open(db.get())) {
            List<RegisteredRepo> repos = store.registry().repos();
            if (repos.isEmpty()) out.println("no repositories registered");
            for (RegisteredRepo r : repos) {
                out.println(r.repo() + (r.hasRepoDid() ? "  repo " + r.repoDid() : "") + "  from " + r.source() + "  since " + r.since());
                if (r.hasRepoDid()) builds(store.builds().recentRequests(r.repoDid(), 5), out);
            }
        }
        return 0;
    }

    static int members(List<String> args, PrintStream out, PrintStream err) throws WeftConfig.InvalidConfigException {
        Optional<DatabaseLocation> db = database(args, err, "members");
        if (db.isEmpty()) return 2;
        try (Stores store = Databases.open(db.get())) {
            List<Member> members = store.registry().members();
            if (members.isEmpty()) out.println("no members (besides the owner)");
            for (Member m : members) out.println(m.subject() + "  from " + m.source() + "  since " + m.since());
            List<Collaborator> collaborators = store.registry().collaborators();
            List<KnotCollaborator> fromKnots = store.registry().knotCollaborators();
            if (!collaborators.isEmpty() || !fromKnots.isEmpty()) out.println("collaborators:");
            for (Collaborator c : collaborators) {
                out.println("  " + c.subject() + " on " + c.repo() + "  from at://" + c.did()
                        + "/sh.tangled.repo.collaborator/" + c.rkey() + "  since " + c.since());
            }
            for (KnotCollaborator c : fromKnots) {
                out.println("  " + c.subject() + " on " + c.repoDid() + "  from knot " + c.knot() + "  since " + c.since());
            }
        }
        return 0;
    }

    static int cancel(List<String> args, PrintStream out, PrintStream err) throws WeftConfig.InvalidConfigException {
        List<String> rest = new ArrayList<>(args);
        Duration wait = Duration.ofSeconds(30);
        List<String> positional = new ArrayList<>();
        List<String> flags = new ArrayList<>();
        for (int i = 0; i < rest.size(); i++) {
            String a = rest.get(i);
            String waitText = a.equals("--wait") && i + 1 < rest.size() ? rest.get(++i)
                    : a.startsWith("--wait=") ? a.substring("--wait=".length()) : null;
            if (waitText != null) {
                try {
                    wait = GoDuration.parse(waitText);
                } catch (IllegalArgumentException e) {
                    err.println("weft cancel: --wait: " + e.getMessage());
                    return 2;
                }
            } else if (a.startsWith("--")) {
                flags.add(a);
                if (!a.contains("=") && i + 1 < rest.size() && !rest.get(i + 1).startsWith("--")) flags.add(rest.get(++i));
            } else {
                positional.add(a);
            }
        }
        if (positional.size() != 2) {
            err.println("usage: weft cancel PIPELINE-AT-URI WORKFLOW [--wait 30s] [--db FILE]");
            return 2;
        }
        Optional<PipelineId> pipeline = PipelineId.parseAtUri(positional.get(0));
        if (pipeline.isEmpty()) {
            err.println("weft cancel: not a pipeline at-uri (at://did:web:<knot>/sh.tangled.pipeline/<rkey>): " + positional.get(0));
            return 2;
        }
        WorkflowId id = new WorkflowId(pipeline.get(), positional.get(1));
        Optional<DatabaseLocation> db = database(flags, err, "cancel");
        if (db.isEmpty()) return 2;
        try (Stores store = Databases.open(db.get())) {
            Optional<RunRecord> run = store.runs().run(id);
            if (run.isEmpty()) {
                err.println("weft cancel: no workflow " + id.name() + " in " + pipeline.get().atUri());
                return 1;
            }
            if (run.get().state().isTerminal()) {
                out.println(id + " is already " + run.get().state().wireName() + ": nothing to cancel");
                return 0;
            }
            long request = store.runs().requestCancel(id, Instant.now());
            Instant deadline = Instant.now().plus(wait);
            while (true) {
                Optional<CancelRequest> r = store.runs().cancelRequest(request);
                if (r.isPresent() && r.get().outcome() != null) {
                    out.println(id + ": " + describe(r.get().outcome()));
                    break;
                }
                if (!Instant.now().isBefore(deadline)) {
                    out.println(id + ": cancel queued; no running weft picked it up within " + GoDuration.format(wait)
                            + " (it will when it starts)");
                    return 0;
                }
                Thread.sleep(200);
            }
            Instant until = Instant.now().plus(wait);
            while (Instant.now().isBefore(until)) {
                RunState s = store.runs().run(id).map(RunRecord::state).orElse(RunState.CANCELLED);
                if (s.isTerminal()) {
                    out.println(id + " ended " + s.wireName());
                    return 0;
                }
                Thread.sleep(200);
            }
            out.println(id + ": cancel requested; the provider has not confirmed yet");
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        }
    }

    private static String describe(String outcome) {
        return switch (outcome) {
            case "REQUESTED" -> "cancel requested from its provider";
            case "ALREADY_TERMINAL" -> "already finished: nothing changed";
            case "NOT_FOUND" -> "weft does not know this workflow";
            default -> outcome;
        };
    }

    /** The database named by --db/WEFT_DB (and aliases), which must exist when it is a SQLite file. */
    static Optional<DatabaseLocation> database(List<String> flags, PrintStream err, String command)
            throws WeftConfig.InvalidConfigException {
        Map<String, String> env = WeftConfig.applyFlags(System.getenv(), flags);
        DatabaseLocation db = WeftConfig.database(env);
        if (db instanceof DatabaseLocation.Sqlite sqlite && !Files.isRegularFile(sqlite.file())) {
            err.println("weft " + command + ": no database at " + sqlite.file().toAbsolutePath() + " (set WEFT_DB or --db)");
            return Optional.empty();
        }
        return Optional.of(db);
    }
}
