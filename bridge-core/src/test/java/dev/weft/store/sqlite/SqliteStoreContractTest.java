package dev.weft.store.sqlite;

import dev.weft.model.RepoRef;
import dev.weft.store.PipelineQueries;
import dev.weft.store.StoreContract;
import dev.weft.store.Stores;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

public class SqliteStoreContractTest extends StoreContract {
    @TempDir
    Path dir;

    @Override
    protected Stores open() {
        return SqliteStores.open(dir.resolve("weft.db"));
    }

    @Override
    protected Stores reopen() {
        return SqliteStores.open(dir.resolve("weft.db"));
    }

    /** A trigger row of a kind this version does not know, as a newer weft would have written it. */
    public static void insertUnknownKind(Path db, String knot, String rkey, String repoDid, long receivedAt) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
             var st = c.prepareStatement("INSERT INTO triggers (knot, rkey, received_at, trigger, repo_did, repo_knot, "
                     + "repo_owner, repo_name, kind, sha) VALUES (?,?,?,?,?,?,?,?,?,?)")) {
            st.setString(1, knot);
            st.setString(2, rkey);
            st.setLong(3, receivedAt);
            st.setString(4, "{\"knot\":\"" + knot + "\",\"rkey\":\"" + rkey + "\",\"kind\":{\"type\":\"deploy\"}}");
            st.setString(5, repoDid);
            st.setString(6, knot);
            st.setString(7, "did:plc:owner");
            st.setString(8, "3krepo");
            st.setString(9, "deploy");
            st.setString(10, "d".repeat(40));
            st.executeUpdate();
        }
    }

    @Test
    @DisplayName("a stored trigger of an unknown kind is listed without its trigger, never failing the page")
    void unknownKind() throws Exception {
        RepoRef repo = new RepoRef("knot", "did:plc:owner", "3krepo", "", "did:plc:repo");
        s.runs().insertTrigger(push("p1", repo, "a".repeat(40), 1), 0);
        insertUnknownKind(dir.resolve("weft.db"), "knot", "p2", "did:plc:repo", Long.MAX_VALUE / 2);
        PipelineQueries.Page page = s.pipelines().query(new PipelineQueries.Query("did:plc:repo",
                new PipelineQueries.Legacy.None(), List.of(), List.of(), 10, Optional.empty()));
        assertEquals(List.of("p2", "p1"), page.pipelines().stream().map(p -> p.id().rkey()).toList());
        assertTrue(page.pipelines().get(0).trigger().isEmpty());
        assertEquals("deploy", page.pipelines().get(0).kind());
        assertTrue(page.pipelines().get(1).trigger().isPresent());
        assertEquals(1, s.pipelines().query(new PipelineQueries.Query("did:plc:repo", new PipelineQueries.Legacy.None(),
                List.of(), List.of("push"), 10, Optional.empty())).total(), "a kinds filter leaves it out");
    }
}
