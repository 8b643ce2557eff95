package dev.weft.git;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(10)
class RepoCacheTest {
    @TempDir
    Path tmp;

    private static long in(Duration d) {
        return System.nanoTime() + d.toNanos();
    }

    @Test
    void aRepoHeldByAnotherThreadIsNotHandedOutBeforeTheDeadline() throws Exception {
        RepoCache cache = new RepoCache(tmp, 10);
        RepoCache.Slot held = cache.acquire("did:plc:a", in(Duration.ofSeconds(1)));
        assertNotNull(held);
        CompletableFuture<RepoCache.Slot> other = new CompletableFuture<>();
        CompletableFuture<RepoCache.Slot> different = new CompletableFuture<>();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                other.complete(cache.acquire("did:plc:a", in(Duration.ofMillis(200))));
                RepoCache.Slot b = cache.acquire("did:plc:b", in(Duration.ofMillis(200)));
                different.complete(b);
                cache.release(b);
            } catch (InterruptedException e) {
                other.completeExceptionally(e);
            }
        });
        t.join();
        assertNull(other.get(), "the same repo must wait for its holder");
        assertNotNull(different.get(), "another repo must not wait");
        cache.release(held);
        assertNotNull(cache.acquire("did:plc:a", in(Duration.ofMillis(200))));
    }

    @Test
    void directoryNamesAreSafeAndDistinct() {
        String a = RepoCache.dirName("did:web:a:b");
        String b = RepoCache.dirName("did:web:a_b");
        assertNotEquals(a, b);
        assertTrue(a.matches("[A-Za-z0-9._-]+"), a);
        assertTrue(RepoCache.dirName("did:plc:" + "x".repeat(500)).length() < 100);
    }
}
