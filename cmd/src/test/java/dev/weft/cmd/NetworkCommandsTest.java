package dev.weft.cmd;

import dev.weft.model.PipelineId;
import dev.weft.model.RepoRef;
import dev.weft.model.RepoRef.RepoKey;
import dev.weft.model.Status;
import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;
import dev.weft.model.Workflow;
import dev.weft.model.WorkflowId;
import dev.weft.store.Collaborator;
import dev.weft.store.sqlite.SqliteStores;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("weft repos, members, cancel and runs on the database")
class NetworkCommandsTest {
    @TempDir
    Path dir;

    record Result(int code, String out, String err) {
    }

    Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    @DisplayName("repos and members list what is registered, from which record, since when")
    void lists() {
        Path db = dir.resolve("weft.db");
        try (SqliteStores s = SqliteStores.open(db)) {
            s.registry().addRepo(new RepoKey("knot.example", "did:plc:o", "hello"), "at://did:plc:o/sh.tangled.repo/3k1", Instant.parse("2025-12-01T10:00:00Z"));
            s.registry().addRepo(new RepoKey("knot.example", "did:plc:o", "pinned"), "static", Instant.parse("2025-12-02T10:00:00Z"));
            s.registry().putMember("m1", "did:plc:alice", "at://did:plc:o/sh.tangled.spindle.member/m1", Instant.parse("2025-12-03T10:00:00Z"));
            s.registry().putCollaborator(new Collaborator("did:plc:o", "c1", "did:plc:bob", "at://did:plc:o/sh.tangled.repo/3k1", Instant.parse("2025-12-04T10:00:00Z")));
            s.registry().addRepoDid(new dev.weft.model.RepoRef("knot.example", "did:plc:o", "3k2", "", "did:plc:repo1"),
                    "at://did:plc:o/sh.tangled.repo/3k2", Instant.parse("2025-12-05T10:00:00Z"));
            s.registry().addKnotCollaborator(new dev.weft.store.KnotCollaborator("did:plc:repo1", "did:plc:carol", "knot.example",
                    Instant.parse("2025-12-06T10:00:00Z")));
        }
        Result r = run("repos", "--db", db.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("knot.example/did:plc:o/hello  from at://did:plc:o/sh.tangled.repo/3k1  since 2025-12-01T10:00:00Z"), r.out());
        assertTrue(r.out().contains("knot.example/did:plc:o/pinned  from static  since 2025-12-02T10:00:00Z"), r.out());
        assertTrue(r.out().contains("knot.example/did:plc:o/3k2  repo did:plc:repo1  from at://did:plc:o/sh.tangled.repo/3k2"
                + "  since 2025-12-05T10:00:00Z"), r.out());
        Result m = run("members", "--db=" + db);
        assertEquals(0, m.code(), m.err());
        assertTrue(m.out().contains("did:plc:alice  from at://did:plc:o/sh.tangled.spindle.member/m1  since 2025-12-03T10:00:00Z"), m.out());
        assertTrue(m.out().contains("did:plc:bob on at://did:plc:o/sh.tangled.repo/3k1"), m.out());
        assertTrue(m.out().contains("did:plc:carol on did:plc:repo1  from knot knot.example  since 2025-12-06T10:00:00Z"), m.out());
        Result missing = run("repos", "--db", dir.resolve("nope.db").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("no database"), missing.err());
    }

    @Test
    @DisplayName("cancel queues an open workflow for the daemon, reports finished and unknown ones")
    void cancel() {
        Path db = dir.resolve("weft.db");
        PipelineId p = new PipelineId("knot.example", "3kpipe");
        try (SqliteStores s = SqliteStores.open(db)) {
            Trigger t = new Trigger(p, new RepoRef("knot.example", "did:plc:o", "hello"),
                    new TriggerKind.Push("refs/heads/main", "a".repeat(40), "0".repeat(40)),
                    List.of(new Workflow("open.yml", "stub", null, "engine: stub\n"), new Workflow("done.yml", "stub", null, "engine: stub\n")),
                    Instant.now());
            s.runs().insertTrigger(t, 0);
            long done = s.runs().run(new WorkflowId(p, "done.yml")).orElseThrow().id();
            s.runs().transition(done, new Status.Failed("x", 1), 0, 0);
        }
        Result open = run("cancel", p.atUri(), "open.yml", "--db", db.toString(), "--wait", "0s");
        assertEquals(0, open.code(), open.err());
        assertTrue(open.out().contains("cancel queued"), open.out());
        try (SqliteStores s = SqliteStores.open(db)) {
            assertEquals(List.of(new WorkflowId(p, "open.yml")), s.runs().openCancelRequests().stream().map(c -> c.workflow()).toList());
        }
        Result done = run("cancel", p.atUri(), "done.yml", "--db", db.toString());
        assertEquals(0, done.code());
        assertTrue(done.out().contains("already failed"), done.out());
        Result unknown = run("cancel", p.atUri(), "nope.yml", "--db", db.toString());
        assertEquals(1, unknown.code());
        assertEquals(2, run("cancel", "https://x", "ci.yml", "--db", db.toString()).code());
        assertEquals(2, run("cancel", p.atUri()).code());
    }

    @Test
    @DisplayName("runs lists the newest runs; runs --group shows a group's queue, running first, per repository")
    void runsAndGroups() {
        Path db = dir.resolve("weft.db");
        java.util.List<String> tids = List.of("3kaaa", "3kbbb", "3kccc", "3kddd");
        try (SqliteStores s = SqliteStores.open(db)) {
            Instant at = Instant.parse("2026-01-01T10:00:00Z");
            for (String tid : tids) {
                RepoRef repo = tid.equals("3kddd") ? new RepoRef("knot.example", "did:plc:o", "other")
                        : new RepoRef("knot.example", "did:plc:o", "hello");
                Trigger t = new Trigger(new PipelineId("knot.example", tid), repo,
                        new TriggerKind.Push("refs/heads/main", "a".repeat(40), "0".repeat(40)),
                        List.of(new Workflow("deploy.yml", "stub", null, "engine: stub\nconcurrency: deploy\n")), at);
                long id = s.runs().insertTrigger(t, 0).orElseThrow().get(0).id();
                s.concurrency().join(id, repo.key().toString(), "deploy", false, tid, at);
                s.concurrency().take(id, at.plusSeconds(60));
            }
        }
        Result q = run("runs", "--group", "deploy", "--db", db.toString());
        assertEquals(0, q.code(), q.err());
        assertEquals("""
                group "deploy" of knot.example/did:plc:o/hello:
                  running  3kaaa  deploy.yml  since 2026-01-01T10:01:00Z
                  waiting 1  3kbbb  deploy.yml  since 2026-01-01T10:00:00Z
                  waiting 2  3kccc  deploy.yml  since 2026-01-01T10:00:00Z
                group "deploy" of knot.example/did:plc:o/other:
                  running  3kddd  deploy.yml  since 2026-01-01T10:01:00Z
                """, q.out());
        Result one = run("runs", "--group=deploy", "--repo", "knot.example/did:plc:o/other", "--db", db.toString());
        assertEquals(0, one.code(), one.err());
        assertTrue(one.out().startsWith("group \"deploy\" of knot.example/did:plc:o/other:\n  running  3kddd"), one.out());
        Result none = run("runs", "--group", "nightly", "--db", db.toString());
        assertEquals("no runs queued in concurrency group \"nightly\"\n", none.out());
        Result recent = run("runs", "--limit", "2", "--db", db.toString());
        assertEquals(0, recent.code(), recent.err());
        List<String> lines = recent.out().lines().toList();
        assertEquals(2, lines.size(), recent.out());
        assertTrue(lines.get(0).startsWith("3kddd  deploy.yml  pending  stub  since ") && lines.get(0).endsWith("group \"deploy\" (running)"),
                lines.get(0));
        assertTrue(lines.get(1).startsWith("3kccc  deploy.yml  pending") && lines.get(1).endsWith("(waiting)"), lines.get(1));
        assertEquals(2, run("runs", "--group", "--db", db.toString()).code());
        assertEquals(2, run("runs", "--repo", "x", "--db", db.toString()).code());
        assertEquals(2, run("runs", "--limit", "many", "--db", db.toString()).code());
    }
}
