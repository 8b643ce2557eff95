package dev.weft.runs;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunThreadsTest {

    @Test
    @DisplayName("close interrupts every thread and returns once all of them ended")
    void closeEndsAll() throws Exception {
        RunThreads threads = new RunThreads();
        Set<Thread> started = ConcurrentHashMap.newKeySet();
        CountDownLatch running = new CountDownLatch(3);
        for (int i = 0; i < 3; i++) {
            assertTrue(threads.start("weft-run-" + i, () -> {
                started.add(Thread.currentThread());
                running.countDown();
                try {
                    new CountDownLatch(1).await();
                } catch (InterruptedException e) {
                    // weft is stopping: return
                }
            }));
        }
        assertTrue(running.await(10, TimeUnit.SECONDS));
        assertEquals(3, threads.alive());

        assertEquals(List.of(), threads.close(Duration.ofSeconds(10)));

        for (Thread t : started) assertFalse(t.isAlive(), t.getName());
        assertEquals(0, threads.alive());
        assertTrue(threads.stopping());
    }

    @Test
    @DisplayName("a thread that ignores its interrupt is returned after the bound; nothing starts after close")
    void deafThreadIsReturned() throws Exception {
        RunThreads threads = new RunThreads();
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        threads.start("weft-run-deaf", () -> {
            running.countDown();
            while (release.getCount() > 0) {
                try {
                    release.await();
                } catch (InterruptedException ignored) {
                    // deaf on purpose
                }
            }
        });
        assertTrue(running.await(10, TimeUnit.SECONDS));

        long t0 = System.nanoTime();
        List<Thread> unended = threads.close(Duration.ofMillis(200));
        Duration took = Duration.ofNanos(System.nanoTime() - t0);

        assertEquals(1, unended.size());
        assertEquals("weft-run-deaf", unended.get(0).getName());
        assertTrue(took.compareTo(Duration.ofMillis(180)) >= 0 && took.compareTo(Duration.ofSeconds(5)) < 0,
                "waited " + took);
        assertFalse(threads.start("weft-run-late", () -> { }), "nothing starts once closing began");
        release.countDown();
        unended.get(0).join(Duration.ofSeconds(10));
        assertFalse(unended.get(0).isAlive());
    }
}
