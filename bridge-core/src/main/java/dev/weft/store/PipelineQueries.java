package dev.weft.store;

import dev.weft.model.PipelineId;
import dev.weft.model.RepoRef.RepoKey;
import dev.weft.model.RunState;
import dev.weft.model.Trigger;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Read-only questions about pipelines, as {@code sh.tangled.ci.queryPipelines} and {@code getPipeline}
 * ask them (spec tangled-ci 3.2, 3.3): a repository's pipelines newest first, filtered by commit
 * and trigger kind, a page at a time; or one pipeline by its record key. Each answer carries what
 * the wire shape needs (trigger, per-workflow state and times) and nothing the caller must look up
 * again.
 */
public interface PipelineQueries {
    /** The most pipelines one page holds, whatever the query asks for. */
    int MAX_LIMIT = 250;

    /** One page of {@code query}'s pipelines, newest first. */
    Page query(Query query);

    /** The newest pipeline with this record key (a TID), from whichever knot. */
    Optional<Pipeline> pipeline(String rkey);

    /**
     * The most recently stored pipelines across every repository (the operator's console), newest
     * first in insertion order, which both databases index; {@link Page#total()} is not counted
     * (-1). A cursor is the {@link Position#seq()} of the last pipeline of the previous page.
     */
    Page recent(Recent query);

    /** Every repository with a stored pipeline, for the console's filter: a few rows, one per repository. */
    List<Repository> repositories();

    /**
     * A repository as its pipelines name it.
     *
     * @param repoDid empty for a legacy knot's repository
     * @param key     (knot, owner, name); for a repository with a DID, the newest name its pipelines gave
     */
    record Repository(String repoDid, dev.weft.model.RepoRef.RepoKey key) {
        public Repository {
            repoDid = repoDid == null ? "" : repoDid;
            Objects.requireNonNull(key, "key");
        }

        /** What the console's filter sends back: the repo DID, or {@code knot/owner/name}. */
        public String filterValue() {
            return repoDid.isEmpty() ? key.toString() : repoDid;
        }
    }

    /**
     * @param repo   when present, only this repository's pipelines: a repo DID, or
     *               {@code knot/owner/name} of a legacy knot's repository
     * @param state  when present, only pipelines with a workflow in this state
     * @param engine when present, only pipelines with a workflow on this engine (with {@code state},
     *               one workflow must match both)
     * @param limit  1..{@link #MAX_LIMIT}
     * @param before when present, only pipelines stored before the one with this {@link Position#seq()}
     */
    record Recent(Optional<String> repo, Optional<RunState> state, Optional<String> engine, int limit,
                  Optional<Long> before) {
        public Recent {
            Objects.requireNonNull(repo, "repo");
            Objects.requireNonNull(state, "state");
            Objects.requireNonNull(engine, "engine");
            if (limit < 1 || limit > MAX_LIMIT) throw new IllegalArgumentException("limit " + limit + " not in 1.." + MAX_LIMIT);
            Objects.requireNonNull(before, "before");
        }
    }

    /**
     * Where a pipeline stands in the page order: newest first by creation time, then by insertion
     * order among pipelines created in the same nanosecond. A cursor is one of these.
     *
     * @param createdAt Unix nanoseconds
     * @param seq       insertion order; 0 means "before every pipeline of {@code createdAt}"
     */
    record Position(long createdAt, long seq) {
    }

    /**
     * Which pipelines belong to the repository a query names. {@code repoDid} matches pipelines
     * whose trigger carried that repo DID; {@code legacy} adds pipelines of legacy knots, which
     * name no repo DID.
     */
    sealed interface Legacy {
        /** No legacy pipelines. */
        record None() implements Legacy {
        }

        /** A legacy knot's pipelines of this (knot, owner, name): the repo DID's repository before its knot upgraded. */
        record Repo(RepoKey key) implements Legacy {
            public Repo {
                Objects.requireNonNull(key, "key");
            }
        }

        /** Every legacy pipeline whose owner is this DID: what upstream matches when a pipeline has no repo DID. */
        record Owner(String did) implements Legacy {
            public Owner {
                Objects.requireNonNull(did, "did");
            }
        }
    }

    /**
     * @param repoDid the repository's DID
     * @param legacy  which legacy pipelines count as the repository's too
     * @param commits when not empty, only the newest pipeline of each of these commits
     * @param kinds   when not empty, only pipelines of these trigger kinds (wire names)
     * @param limit   1..{@link #MAX_LIMIT}
     * @param after   the cursor: only pipelines after this position, or empty for the first page
     */
    record Query(String repoDid, Legacy legacy, List<String> commits, List<String> kinds, int limit,
                 Optional<Position> after) {
        public Query {
            Objects.requireNonNull(repoDid, "repoDid");
            Objects.requireNonNull(legacy, "legacy");
            commits = List.copyOf(commits);
            kinds = List.copyOf(kinds);
            if (limit < 1 || limit > MAX_LIMIT) throw new IllegalArgumentException("limit " + limit + " not in 1.." + MAX_LIMIT);
            Objects.requireNonNull(after, "after");
        }
    }

    /**
     * @param pipelines the page, newest first
     * @param total     how many pipelines the query matches, whatever the cursor
     * @param next      the position to ask for the next page after, when there is one
     */
    record Page(List<Pipeline> pipelines, long total, Optional<Position> next) {
        public Page {
            pipelines = List.copyOf(pipelines);
            Objects.requireNonNull(next, "next");
        }
    }

    /**
     * A pipeline as stored. {@code trigger} is empty when the stored trigger cannot be read back
     * (a kind this version does not know, written by another): the columns still say what it is,
     * so one such pipeline never hides the rest of a page.
     *
     * @param repoDid   the repository's DID, empty for a legacy knot's pipeline
     * @param ownerDid  the repository owner's DID
     * @param kind      the trigger kind's wire name, as stored
     * @param commit    the commit it runs on, empty when unknown
     * @param workflows in insertion order
     */
    record Pipeline(PipelineId id, Position position, Instant createdAt, String repoDid, String ownerDid, String kind,
                    String commit, Optional<Trigger> trigger, List<WorkflowRun> workflows) {
        public Pipeline {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(position, "position");
            Objects.requireNonNull(createdAt, "createdAt");
            repoDid = repoDid == null ? "" : repoDid;
            Objects.requireNonNull(ownerDid, "ownerDid");
            Objects.requireNonNull(kind, "kind");
            commit = commit == null ? "" : commit;
            Objects.requireNonNull(trigger, "trigger");
            workflows = List.copyOf(workflows);
        }
    }

    /**
     * One workflow's run.
     *
     * @param startedAt  when it left pending for running; empty when it has not (or never ran)
     * @param finishedAt when it reached a terminal state; empty while pending or running
     * @param error      the error it ended with, empty when none
     * @param runId      the run's row id (0 when not known)
     * @param engine     the provider it runs on, empty when not known
     * @param webUrl     the provider's page of the run, empty until the provider gave one
     */
    record WorkflowRun(String name, RunState state, Optional<Instant> startedAt, Optional<Instant> finishedAt,
                       String error, long runId, String engine, String webUrl) {
        public WorkflowRun {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(state, "state");
            Objects.requireNonNull(startedAt, "startedAt");
            Objects.requireNonNull(finishedAt, "finishedAt");
            error = error == null ? "" : error;
            engine = engine == null ? "" : engine;
            webUrl = webUrl == null ? "" : webUrl;
        }

        public WorkflowRun(String name, RunState state, Optional<Instant> startedAt, Optional<Instant> finishedAt,
                           String error) {
            this(name, state, startedAt, finishedAt, error, 0, "", "");
        }
    }
}
