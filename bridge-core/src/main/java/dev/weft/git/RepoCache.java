package dev.weft.git;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-repo bare repositories under one directory, at most {@code maxRepos} of them, least
 * recently used evicted by deleting the directory. Each repo has a lock: fetches of one repo are
 * serialised (two git processes in one repository would race on its shallow file and packs), while
 * different repos proceed in parallel. A repo whose lock is held is never evicted.
 */
final class RepoCache {
    private static final Logger log = LoggerFactory.getLogger(RepoCache.class);

    /** One repo's directory and its lock. */
    static final class Slot {
        final String key;
        final Path dir;
        final ReentrantLock lock = new ReentrantLock();

        Slot(String key, Path dir) {
            this.key = key;
            this.dir = dir;
        }
    }

    private final Path root;
    private final int maxRepos;
    /** Access-ordered: the first entry is the least recently used. Guarded by {@code this}. */
    private final LinkedHashMap<String, Slot> slots = new LinkedHashMap<>(16, 0.75f, true);

    RepoCache(Path root, int maxRepos) throws IOException {
        if (maxRepos < 1) throw new IllegalArgumentException("maxRepos must be at least 1");
        this.root = root;
        this.maxRepos = maxRepos;
        Files.createDirectories(root);
        // Repos kept from an earlier run count towards the bound, oldest first.
        try (Stream<Path> dirs = Files.list(root)) {
            dirs.filter(Files::isDirectory)
                    .sorted(Comparator.comparing(RepoCache::mtime))
                    .forEach(d -> slots.put(d.getFileName().toString(), new Slot(d.getFileName().toString(), d)));
        }
        evict(); // the bound may have been lowered since
    }

    private static long mtime(Path p) {
        try {
            return Files.getLastModifiedTime(p).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }

    /**
     * A directory name for a repo DID: readable, filesystem-safe and injective. Replacing characters
     * alone would map {@code did:web:a:b} and {@code did:web:a_b} together, hence the hash suffix.
     */
    static String dirName(String repoDid) {
        String readable = repoDid.replaceAll("[^A-Za-z0-9._-]", "_");
        if (readable.length() > 80) readable = readable.substring(0, 80);
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(repoDid.getBytes(StandardCharsets.UTF_8));
            return readable + "-" + HexFormat.of().formatHex(h, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }

    /**
     * The repo's slot, locked by the caller's thread, or null if another thread held it until
     * {@code deadline} ({@link System#nanoTime()}); release with {@link #release}.
     */
    Slot acquire(String repoDid, long deadline) throws InterruptedException {
        String key = dirName(repoDid);
        while (true) {
            Slot s;
            synchronized (this) {
                s = slots.computeIfAbsent(key, k -> new Slot(k, root.resolve(k)));
            }
            if (!s.lock.tryLock(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) return null;
            synchronized (this) {
                // Evicted between lookup and lock: its directory is gone, take the new slot.
                if (slots.get(key) == s) return s;
            }
            s.lock.unlock();
        }
    }

    /** Unlocks the slot, then evicts least recently used repos over the bound. */
    void release(Slot slot) {
        slot.lock.unlock();
        evict();
    }

    void evict() {
        List<Slot> victims = new ArrayList<>();
        synchronized (this) {
            Iterator<Map.Entry<String, Slot>> it = slots.entrySet().iterator();
            int excess = slots.size() - maxRepos;
            while (excess > 0 && it.hasNext()) {
                Slot s = it.next().getValue();
                if (s.lock.tryLock()) {
                    it.remove();
                    victims.add(s);
                    excess--;
                }
            }
        }
        // Deleting happens outside the monitor so other repos are not held up by disk work.
        for (Slot s : victims) {
            try {
                wipe(s.dir);
                log.info("git cache: evicted {} (more than {} repos cached)", s.dir, maxRepos);
            } finally {
                s.lock.unlock();
            }
        }
    }

    synchronized int size() {
        return slots.size();
    }

    /** Deletes a directory tree; logs rather than throws, a later fetch re-creates it. */
    static void wipe(Path dir) {
        // A file may vanish while the tree is walked (a lock file of a JGit operation that just
        // ended): walk again rather than leave the directory half deleted.
        for (int attempt = 1; Files.exists(dir); attempt++) {
            try (Stream<Path> all = Files.walk(dir)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException | RuntimeException e) {
                if (attempt >= 3) {
                    log.warn("git cache: could not delete {}: {}", dir, e.toString());
                    return;
                }
            }
        }
    }
}
