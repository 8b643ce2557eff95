package dev.weft.git;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.eclipse.jgit.lib.Repository;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The fixture of the fetcher tests: one bare repository ({@link #DID}) served by the loopback
 * knot's JGit server, a temporary directory for the fetcher's cache, and a meter registry, made
 * anew for each test.
 */
abstract class LoopbackKnotRepo {
    static final String DID = "did:plc:repo1abc";
    static final String WF = ".tangled/workflows/";

    @TempDir
    Path tmp;

    GitHttpServer server;
    Repository repo;
    SimpleMeterRegistry meters;

    @BeforeEach
    void serveRepository() throws IOException {
        server = GitHttpServer.start();
        repo = TestRepos.bare(tmp.resolve("knot/repo1.git"));
        server.serve(DID, repo);
        meters = new SimpleMeterRegistry();
    }

    @AfterEach
    void closeRepository() {
        server.close();
        repo.close();
    }
}
