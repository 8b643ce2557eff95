package dev.weft.store.jdbc;

import dev.weft.model.Nanos;
import dev.weft.model.PipelineId;
import dev.weft.model.RunState;
import dev.weft.model.Trigger;
import dev.weft.store.PipelineQueries;
import dev.weft.store.StoreException;
import dev.weft.store.TriggerJson;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The pipeline queries over the {@code triggers} columns of V7, for both databases. Lists travel
 * as one JSON array parameter (a table of its strings by {@link Database#jsonStrings()}, the one
 * spelling the databases do not share) so that every query has one of a few fixed texts, each
 * prepared once per connection whatever the number of commits or kinds. {@code rowid} is SQLite's
 * own and, in PostgreSQL, a column of that name V7 adds: both number rows in insertion order and
 * end each trigger index, so (received_at, rowid) is the page order on either.
 */
final class JdbcPipelineQueries implements PipelineQueries {
    private static final Comparator<Position> NEWEST_FIRST =
            Comparator.comparingLong(Position::createdAt).thenComparingLong(Position::seq).reversed();

    private final Database db;
    /** {@code AND kind IN (...)}: the kinds filter, a JSON array bound as one parameter. */
    private final String kindsIn;
    /** A table of one column, {@code value}: the strings of a JSON array bound as one parameter. */
    private final String strings;

    JdbcPipelineQueries(Database db) {
        this.db = db;
        this.strings = db.jsonStrings();
        this.kindsIn = " AND kind IN (SELECT value FROM " + strings + ")";
    }

    /**
     * One way a pipeline belongs to the queried repository: a condition on {@code triggers}, the
     * same on {@code pipeline_counts} (where a legacy pipeline's repo DID is '', not NULL), and
     * their arguments.
     */
    private record Branch(String where, String counted, List<Object> args) {
    }

    /**
     * The repository's conditions. They are disjoint (a repo DID or none), so counts add up and a
     * union needs no de-duplication; each is one index's range.
     */
    private static List<Branch> branches(Query q) {
        List<Branch> out = new ArrayList<>();
        out.add(new Branch("repo_did = ?", "repo_did = ?", List.of(q.repoDid())));
        String key = " AND repo_knot = ? AND repo_owner = ? AND repo_name = ?";
        switch (q.legacy()) {
            case Legacy.None n -> {
            }
            case Legacy.Repo r -> out.add(new Branch("repo_did IS NULL" + key, "repo_did = ''" + key,
                    List.of(r.key().knot(), r.key().did(), r.key().name())));
            case Legacy.Owner o -> out.add(new Branch("repo_did IS NULL AND repo_owner = ?", "repo_did = '' AND repo_owner = ?",
                    List.of(o.did())));
        }
        return out;
    }

    private static String jsonArray(List<String> values) {
        StringBuilder b = new StringBuilder("[");
        for (String v : values) {
            if (b.length() > 1) b.append(',');
            b.append('"');
            for (int i = 0; i < v.length(); i++) {
                char c = v.charAt(i);
                if (c == '"' || c == '\\') b.append('\\').append(c);
                else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                else b.append(c);
            }
            b.append('"');
        }
        return b.append(']').toString();
    }

    private static final String AFTER = " AND (received_at, rowid) < (?, ?)";

    @Override
    public Page query(Query q) {
        return db.read(s -> q.commits().isEmpty() ? list(s, q) : byCommit(s, q));
    }

    /** Newest first across the branches: each branch's own newest limit+1 rows, merged. */
    private Page list(Session s, Query q) throws SQLException {
        List<Branch> branches = branches(q);
        StringBuilder page = new StringBuilder();
        List<Object> args = new ArrayList<>();
        long total = 0;
        for (int i = 0; i < branches.size(); i++) {
            Branch b = branches.get(i);
            String where = b.where() + (q.kinds().isEmpty() ? "" : kindsIn);
            List<Object> whereArgs = new ArrayList<>(b.args());
            if (!q.kinds().isEmpty()) whereArgs.add(jsonArray(q.kinds()));
            total += s.queryLong("SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM pipeline_counts WHERE " + b.counted()
                    + (q.kinds().isEmpty() ? "" : kindsIn), whereArgs.toArray());
            if (!page.isEmpty()) page.append(" UNION ALL ");
            // Each branch a derived table with an alias, which PostgreSQL before 16 requires.
            page.append("SELECT seq, created FROM (SELECT rowid AS seq, received_at AS created FROM triggers WHERE ").append(where)
                    .append(q.after().isPresent() ? AFTER : "")
                    .append(" ORDER BY received_at DESC, rowid DESC LIMIT ?) b").append(i);
            args.addAll(whereArgs);
            q.after().ifPresent(p -> {
                args.add(p.createdAt());
                args.add(p.seq());
            });
            args.add(q.limit() + 1);
        }
        page.append(" ORDER BY created DESC, seq DESC LIMIT ?");
        args.add(q.limit() + 1);
        List<Position> found = s.query(page.toString(), rs -> new Position(rs.getLong(2), rs.getLong(1)), args.toArray());
        return page(s, q, found, total);
    }

    /** The newest pipeline of each commit (one index probe per commit), then the cursor and the limit. */
    private Page byCommit(Session s, Query q) throws SQLException {
        List<Branch> branches = branches(q);
        StringBuilder repo = new StringBuilder();
        List<Object> args = new ArrayList<>();
        for (Branch b : branches) {
            if (!repo.isEmpty()) repo.append(" OR ");
            repo.append('(').append(b.where()).append(')');
            args.addAll(b.args());
        }
        if (!q.kinds().isEmpty()) args.add(jsonArray(q.kinds()));
        args.add(jsonArray(q.commits()));
        // The newest rowid of each commit, one index probe per commit (a scalar subquery, evaluated
        // once per commit on both databases), then each one's time by its rowid. Joining the
        // commits' rows to triggers instead let PostgreSQL hash-join against a scan of the whole
        // table; MATERIALIZED keeps it from evaluating the probe twice. A commit without a pipeline
        // yields a NULL rowid.
        String sql = "WITH newest AS MATERIALIZED (SELECT (SELECT rowid FROM triggers WHERE sha = c.sha AND (" + repo + ")"
                + (q.kinds().isEmpty() ? "" : kindsIn) + " ORDER BY received_at DESC, rowid DESC LIMIT 1) AS seq "
                + "FROM (SELECT DISTINCT value AS sha FROM " + strings + ") c) "
                + "SELECT seq, (SELECT received_at FROM triggers WHERE rowid = newest.seq) FROM newest WHERE seq IS NOT NULL";
        List<Position> newest = new ArrayList<>(s.query(sql, rs -> new Position(rs.getLong(2), rs.getLong(1)), args.toArray()));
        newest.sort(NEWEST_FIRST);
        List<Position> after = q.after().map(c -> newest.stream().filter(p -> NEWEST_FIRST.compare(p, c) > 0).toList())
                .orElse(newest);
        return page(s, q, after.subList(0, Math.min(after.size(), q.limit() + 1)), newest.size());
    }

    /** Loads the first {@code limit} of {@code found} (newest first, up to limit+1 long); the extra one says a next page exists. */
    private Page page(Session s, Query q, List<Position> found, long total) throws SQLException {
        List<Pipeline> out = new ArrayList<>();
        for (Position p : found.subList(0, Math.min(found.size(), q.limit()))) {
            load(s, p.seq()).ifPresent(out::add);
        }
        Optional<Position> next = found.size() > q.limit() ? Optional.of(found.get(q.limit() - 1)) : Optional.empty();
        return new Page(out, total, next);
    }

    @Override
    public Optional<Pipeline> pipeline(String rkey) {
        return db.read(s -> {
            Optional<Long> seq = s.queryOne("SELECT rowid FROM triggers WHERE rkey = ? ORDER BY received_at DESC, rowid DESC LIMIT 1",
                    rs -> rs.getLong(1), rkey);
            return seq.isEmpty() ? Optional.empty() : load(s, seq.get());
        });
    }

    @Override
    public Page recent(Recent q) {
        StringBuilder sql = new StringBuilder("SELECT rowid, received_at FROM triggers WHERE 1 = 1");
        List<Object> args = new ArrayList<>();
        q.repo().ifPresent(repo -> {
            if (repo.startsWith("did:")) {
                sql.append(" AND repo_did = ?");
                args.add(repo);
            } else {
                // knot/owner/name; the owner DID has no slash, the name none either.
                String[] parts = repo.split("/", 3);
                sql.append(" AND repo_did IS NULL AND repo_knot = ? AND repo_owner = ? AND repo_name = ?");
                args.add(parts[0]);
                args.add(parts.length > 1 ? parts[1] : "");
                args.add(parts.length > 2 ? parts[2] : "");
            }
        });
        if (q.state().isPresent() || q.engine().isPresent()) {
            // runs (knot, rkey, workflow) is unique, so this is one index probe per pipeline looked at.
            sql.append(" AND EXISTS (SELECT 1 FROM runs r WHERE r.knot = triggers.knot AND r.rkey = triggers.rkey");
            q.state().ifPresent(st -> {
                sql.append(" AND r.state = ?");
                args.add(st.wireName());
            });
            q.engine().ifPresent(e -> {
                sql.append(" AND r.engine = ?");
                args.add(e);
            });
            sql.append(')');
        }
        q.before().ifPresent(b -> {
            sql.append(" AND rowid < ?");
            args.add(b);
        });
        // rowid, not received_at: the table's own order (SQLite) or a unique index (PostgreSQL), so
        // the newest page is read without sorting the whole table.
        sql.append(" ORDER BY rowid DESC LIMIT ?");
        args.add(q.limit() + 1);
        return db.read(s -> {
            List<Position> found = s.query(sql.toString(), rs -> new Position(rs.getLong(2), rs.getLong(1)), args.toArray());
            List<Pipeline> out = new ArrayList<>();
            for (Position p : found.subList(0, Math.min(found.size(), q.limit()))) load(s, p.seq()).ifPresent(out::add);
            Optional<Position> next = found.size() > q.limit() ? Optional.of(found.get(q.limit() - 1)) : Optional.empty();
            return new Page(out, -1, next);
        });
    }

    @Override
    public List<Repository> repositories() {
        return db.read(s -> {
            List<Repository> out = new ArrayList<>(s.query("SELECT repo_did, MAX(repo_knot), MAX(repo_owner), MAX(repo_name) "
                            + "FROM pipeline_counts WHERE repo_did <> '' AND n > 0 GROUP BY repo_did",
                    rs -> new Repository(rs.getString(1), new dev.weft.model.RepoRef.RepoKey(rs.getString(2), rs.getString(3),
                            rs.getString(4)))));
            out.addAll(s.query("SELECT DISTINCT repo_knot, repo_owner, repo_name FROM pipeline_counts WHERE repo_did = '' AND n > 0",
                    rs -> new Repository("", new dev.weft.model.RepoRef.RepoKey(rs.getString(1), rs.getString(2), rs.getString(3)))));
            out.sort(Comparator.comparing((Repository r) -> r.key().name()).thenComparing(Repository::filterValue));
            return out;
        });
    }

    private record Row(PipelineId id, Position position, String repoDid, String owner, String kind, String sha,
                       String trigger) {
    }

    private static Optional<Pipeline> load(Session s, long seq) throws SQLException {
        Optional<Row> found = s.queryOne("SELECT knot, rkey, received_at, repo_did, repo_owner, kind, sha, trigger "
                        + "FROM triggers WHERE rowid = ?",
                rs -> new Row(new PipelineId(rs.getString(1), rs.getString(2)), new Position(rs.getLong(3), seq),
                        rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8)), seq);
        if (found.isEmpty()) return Optional.empty();
        Row r = found.get();
        List<WorkflowRun> workflows = s.query("SELECT workflow, state, error, started_at, updated_at, id, engine, web_url FROM runs "
                + "WHERE knot = ? AND rkey = ? ORDER BY id", rs -> {
            String stored = rs.getString(2);
            RunState state = RunState.fromWire(stored).orElseThrow(() -> new SQLException("unknown run state " + stored));
            Long started = Session.nullableLong(rs, 4);
            return new WorkflowRun(rs.getString(1), state, Optional.ofNullable(started).map(Nanos::instant),
                    state.isTerminal() ? Optional.of(Nanos.instant(rs.getLong(5))) : Optional.empty(), rs.getString(3),
                    rs.getLong(6), rs.getString(7), rs.getString(8));
        }, r.id().knot(), r.id().rkey());
        return Optional.of(new Pipeline(r.id(), r.position(), Nanos.instant(r.position().createdAt()), r.repoDid(), r.owner(),
                r.kind(), r.sha(), readable(r.trigger()), workflows));
    }

    /** The stored trigger, or empty when this version cannot read it (a kind it does not know). */
    private static Optional<Trigger> readable(String json) {
        try {
            return Optional.of(TriggerJson.read(json));
        } catch (StoreException e) {
            return Optional.empty();
        }
    }
}
