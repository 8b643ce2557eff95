package dev.weft.store.sqlite;

import dev.weft.store.OutboxEntry;

import dev.weft.model.PipelineId;
import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.model.WorkflowId;
import dev.weft.model.RepoRef.RepoKey;
import dev.weft.store.RunRecord;
import dev.weft.store.StoreContract;
import dev.weft.store.StoreException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SqliteMigrationTest {
    @TempDir
    Path dir;

    /**
     * {@code release-0.1.0.db} was written by weft 0.1.0's own store (hand-rolled migrator,
     * {@code schema_version} 3) with a finished run, a running one with a status still queued, log
     * lines, steps, registrations, members, collaborators, a secret and an operator cancel.
     */
    private Path releaseDatabase() throws Exception {
        Path db = dir.resolve("weft.db");
        try (InputStream in = SqliteMigrationTest.class.getResourceAsStream("/dev/weft/store/release-0.1.0.db")) {
            Files.copy(in, db);
        }
        return db;
    }

    @Test
    @DisplayName("a database written by weft 0.1.0 migrates in place and keeps everything")
    void releaseDatabaseMigratesInPlace() throws Exception {
        Path db = releaseDatabase();
        try (SqliteStores s = SqliteStores.open(db)) {
            assertEquals("18", s.schemaVersion());
            PipelineId p = new PipelineId("knot.example", "3lzyrkey0001");
            List<RunRecord> runs = s.runs().runs(p);
            assertEquals(List.of(RunState.SUCCESS, RunState.RUNNING), runs.stream().map(RunRecord::state).toList());
            assertEquals("org/pipe/1", runs.get(0).externalId());
            assertTrue(runs.get(0).logComplete());
            assertEquals(4, s.statuses().eventsAfter(0, 100).size());
            OutboxEntry.StatusDue queued = (OutboxEntry.StatusDue) s.statuses().nextDue().orElseThrow();
            assertEquals(new Status.Running(), queued.status(), "the queued status survives");
            assertEquals(new WorkflowId(p, "test.yml"), queued.workflow());
            assertEquals(2, s.logs().lastSeq(runs.get(0).id()));
            assertEquals(1, s.logs().steps(runs.get(0).id()).size());
            assertEquals("true", s.runs().attribute(runs.get(1).id(), "weft.spawned").orElseThrow());
            assertEquals(List.of(new RepoKey("knot.example", "did:plc:owner", "repo")),
                    s.registry().repos().stream().map(r -> r.repo()).toList());
            assertEquals("", s.registry().repos().get(0).repoDid(), "a 0.1.0 registration has no repo DID");
            assertTrue(s.registry().addRepoDid(new dev.weft.model.RepoRef("knot.example", "did:plc:owner", "repo", "",
                    "did:plc:repodid"), "static", java.time.Instant.EPOCH), "beside the legacy row of the same name");
            assertTrue(s.registry().knotCursor("knot.example").isPresent());
            assertTrue(s.registry().isMember("did:plc:member"));
            assertEquals(1, s.registry().collaborators().size());
            assertEquals(1, s.secrets().list("did:plc:owner", "repo").size());
            assertEquals(1, s.runs().openCancelRequests().size());
            // V7 made the old pipeline queryable: by its owner (it has no repo DID), with its runs' times.
            var page = s.pipelines().query(new dev.weft.store.PipelineQueries.Query("did:plc:owner",
                    new dev.weft.store.PipelineQueries.Legacy.Owner("did:plc:owner"), List.of(), List.of(), 10,
                    java.util.Optional.empty()));
            assertEquals(List.of(p), page.pipelines().stream().map(x -> x.id()).toList());
            var wf = page.pipelines().get(0).workflows();
            assertTrue(wf.get(0).startedAt().isPresent() && wf.get(0).finishedAt().isPresent(), wf.toString());
            assertTrue(wf.get(1).startedAt().isPresent() && wf.get(1).finishedAt().isEmpty(), wf.toString());
            assertTrue(page.pipelines().get(0).trigger().isPresent());
            // New writes land next to the old rows.
            assertTrue(s.runs().insertTrigger(StoreContract.trigger("3lzynew", "a.yml"), 0).isPresent());
        }
        try (SqliteStores s = SqliteStores.open(db)) {
            assertEquals("18", s.schemaVersion(), "baselined once, not again");
            assertEquals(2, s.runs().openRuns().size(), "the running one and the new one");
            assertEquals(2, s.registry().repos().size());
        }
    }

    @Test
    @DisplayName("a database from a newer weft is refused rather than touched (both migrators' histories)")
    void newerSchemaRefused() throws Exception {
        Path legacy = releaseDatabase();
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + legacy); var st = c.createStatement()) {
            st.execute("INSERT INTO schema_version (version) VALUES (999)");
        }
        StoreException e = assertThrows(StoreException.class, () -> SqliteStores.open(legacy));
        assertTrue(e.getMessage().contains("newer"), e.getMessage());

        Path modern = dir.resolve("modern.db");
        SqliteStores.open(modern).close();
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + modern); var st = c.createStatement()) {
            st.execute("INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, "
                    + "installed_by, installed_on, execution_time, success) VALUES (99, '99', 'future', 'SQL', 'V99__future.sql', "
                    + "0, 'test', CURRENT_TIMESTAMP, 0, 1)");
        }
        StoreException e2 = assertThrows(StoreException.class, () -> SqliteStores.open(modern));
        assertTrue(e2.getMessage().contains("newer"), e2.getMessage());
    }
}
