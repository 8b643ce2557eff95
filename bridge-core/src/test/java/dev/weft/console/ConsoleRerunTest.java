package dev.weft.console;

import dev.weft.git.GitHttpServer;
import dev.weft.git.TestRepos;
import dev.weft.model.PipelineId;
import dev.weft.model.RepoRef;
import dev.weft.model.RunState;
import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;
import dev.weft.model.Workflow;
import dev.weft.store.PipelineQueries;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Re-running from the console goes through the manual-run path of {@code triggerPipeline}: the
 * workflow files are read again over git at the pipeline's commit, and a new pipeline runs all of
 * them, or the one asked for.
 */
@Timeout(120)
@DisplayName("re-running a pipeline or a workflow from the console")
class ConsoleRerunTest {
    static final String REPO_DID = "did:plc:consolerepo1";
    static final String OK = "engine: scripted\nscripted: {mode: ok}\n";

    @TempDir
    Path dir;
    GitHttpServer knot;
    Repository repo;
    ConsoleWeft w;
    String sha;

    @BeforeEach
    void setUp() throws Exception {
        knot = GitHttpServer.start();
        repo = TestRepos.bare(dir.resolve("knot/repo.git"));
        knot.serve(REPO_DID, repo);
        Map<String, TestRepos.Node> tree = new LinkedHashMap<>();
        tree.put(".tangled/workflows/ci.yml", TestRepos.text(OK));
        tree.put(".tangled/workflows/deploy.yml", TestRepos.text(OK));
        ObjectId commit = TestRepos.commit(repo, null, tree);
        sha = commit.name();
        w = ConsoleWeft.start(dir.resolve("weft"), true, null,
                Map.of("WEFT_DEV", "true", "WEFT_GIT_CACHE_DIR", dir.resolve("git-cache").toString()));
        w.weft.registry().registerRepoDid(knotHost(), ConsoleWeft.OWNER, "3krepo", REPO_DID,
                "at://" + ConsoleWeft.OWNER + "/sh.tangled.repo/3krepo");
    }

    @AfterEach
    void tearDown() {
        if (w != null) w.close();
        knot.close();
        repo.close();
    }

    String knotHost() {
        return "127.0.0.1:" + knot.port();
    }

    @Test
    @DisplayName("re-run pipeline: a new manual pipeline of the same commit and branch with every workflow; re-run: only that one")
    void rerun() throws Exception {
        RepoRef ref = new RepoRef(knotHost(), ConsoleWeft.OWNER, "3krepo", "", REPO_DID);
        Trigger first = new Trigger(new PipelineId(knotHost(), "3kfirstpipe2a"), ref, new TriggerKind.Push("refs/heads/main", sha, "0".repeat(40)),
                List.of(new Workflow("ci.yml", ScriptedEngine.ENGINE, null, OK), new Workflow("deploy.yml", ScriptedEngine.ENGINE, null, OK)),
                Instant.now());
        w.weft.runs().accept(first);
        w.awaitState(first.pipeline(), "ci.yml", RunState.SUCCESS);

        HttpResponse<String> login = ConsoleHttpTest.post(w, "/console/login", null, Map.of("token", ConsoleWeft.TOKEN));
        String cookie = login.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
        Matcher m = ConsoleHttpTest.CSRF.matcher(ConsoleHttpTest.get(w, "/console", cookie).body());
        assertTrue(m.find());
        String csrf = m.group(1);

        PipelineQueries.Pipeline all = rerun(cookie, Map.of("rkey", first.pipeline().rkey(), "csrf", csrf));
        assertNotEquals(first.pipeline().rkey(), all.id().rkey());
        assertEquals(List.of("ci.yml", "deploy.yml"), all.workflows().stream().map(PipelineQueries.WorkflowRun::name).sorted().toList());
        TriggerKind.Manual manual = (TriggerKind.Manual) all.trigger().orElseThrow().kind();
        assertEquals(sha, manual.sha());
        assertEquals("refs/heads/main", manual.ref());
        w.awaitState(all.id(), "ci.yml", RunState.SUCCESS);

        PipelineQueries.Pipeline one = rerun(cookie, Map.of("rkey", first.pipeline().rkey(), "workflow", "deploy.yml", "csrf", csrf));
        assertEquals(List.of("deploy.yml"), one.workflows().stream().map(PipelineQueries.WorkflowRun::name).toList());
        w.awaitState(one.id(), "deploy.yml", RunState.SUCCESS);
    }

    private PipelineQueries.Pipeline rerun(String cookie, Map<String, String> form) throws Exception {
        HttpResponse<String> r = ConsoleHttpTest.post(w, "/console/rerun", cookie, form);
        assertEquals(303, r.statusCode(), r.body());
        String location = r.headers().firstValue("Location").orElseThrow();
        assertTrue(location.startsWith("/console/pipeline/"), location);
        return w.weft.store().pipelines().pipeline(location.substring("/console/pipeline/".length())).orElseThrow();
    }
}
