package dev.weft.provider.github;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.provider.github.rest.ApiResponse;
import dev.weft.provider.github.rest.GitHubJson;
import dev.weft.provider.github.rest.GitHubRest;
import dev.weft.provider.github.rest.RateLimitedException;
import dev.weft.provider.github.secrets.SealedBox;
import dev.weft.spi.RetriableProviderException;
import dev.weft.spi.Run;
import dev.weft.spi.RunDirectory;
import dev.weft.spi.Step;
import okhttp3.HttpUrl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Makes the mirror's Actions secrets match the run's repository secrets before the dispatch: every
 * secret is sealed with the mirror's public key ({@link SealedBox}) and PUT, and every name weft put
 * there earlier that the repository no longer has is DELETEd. Names weft never put (secrets the
 * mirror's owner set on GitHub) are left alone.
 *
 * <p>What weft manages on a mirror is kept per mirror in memory and, after each run's sync, in the
 * run's {@value #MANAGED} attribute; after a restart it is found again in the newest weft run among
 * the mirror's recent {@code workflow_dispatch} runs. Within a run, the names already put are in
 * {@value #PUT}, so a retried spawn does not send them again, and a run whose sync finished does not
 * sync again.
 *
 * <p>Values go nowhere but into sealed boxes: never into a URL, a message, a log line or a step.
 * GitHub treats names case-insensitively (and stores them upper-cased), so names are compared
 * upper-cased. Syncs of one mirror are serialised. Thread-safe.
 */
final class SecretSync {
    private static final Logger log = LoggerFactory.getLogger(SecretSync.class);
    /** Upper-cased names this run has put so far, comma-separated. */
    static final String PUT = "secrets_put";
    /** Upper-cased names weft manages on the mirror once this run's sync finished, comma-separated. */
    static final String MANAGED = "secrets_managed";
    /** The system step that says what the sync did (names only). */
    static final String STEP = "GitHub secrets";
    /** How many of the mirror's newest dispatched runs are looked through for the last record. */
    static final int SEED_RUNS = 50;

    private final GitHubRest rest;
    private final RunDirectory runs;
    private final Map<String, Mirror> mirrors = new ConcurrentHashMap<>();

    private static final class Mirror {
        final ReentrantLock lock = new ReentrantLock();
        /** Upper-cased names weft put on the mirror and has not deleted; null while unknown. */
        Set<String> managed;
    }

    private record PublicKey(String id, byte[] key) {
    }

    SecretSync(GitHubRest rest, RunDirectory runs) {
        this.rest = rest;
        this.runs = runs;
    }

    /**
     * Syncs the run's secrets to {@code block}'s repository. Does nothing for a run that synced
     * already.
     *
     * @throws RetriableProviderException GitHub could not be reached, failed (5xx) or rate-limited
     * @throws Exception GitHub refused (the message names the permission), or a name GitHub cannot take
     */
    void sync(Run run, WorkflowBlock block) throws Exception {
        if (run.attribute(MANAGED).isPresent()) return;
        Map<String, String> secrets = run.secrets();
        Map<String, String> byName = names(secrets.keySet(), block);
        Mirror m = mirrors.computeIfAbsent(block.fullName().toLowerCase(Locale.ROOT), k -> new Mirror());
        m.lock.lockInterruptibly();
        try {
            if (m.managed == null) {
                Optional<Set<String>> seeded = seed(run, block, !secrets.isEmpty());
                seeded.ifPresent(s -> m.managed = new LinkedHashSet<>(s));
                // Nothing to set and nothing known to delete: leave no record, which would claim
                // that weft manages nothing there.
                if (m.managed == null && byName.isEmpty()) return;
            }
            Set<String> done = new LinkedHashSet<>(split(run.attribute(PUT).orElse("")));
            List<String> deleted = new ArrayList<>();
            PublicKey key = null;
            for (var e : byName.entrySet()) {
                if (done.contains(e.getKey())) continue;
                if (key == null) key = publicKey(block);
                put(block, e.getKey(), secrets.get(e.getValue()), key);
                done.add(e.getKey());
                if (m.managed != null) m.managed.add(e.getKey());
                run.attribute(PUT, String.join(",", done));
            }
            // Including names an earlier attempt set while weft did not know the mirror's record.
            if (m.managed != null) m.managed.addAll(done);
            if (m.managed != null) {
                for (String stale : new TreeSet<>(m.managed)) {
                    if (byName.containsKey(stale)) continue;
                    delete(block, stale);
                    m.managed.remove(stale);
                    deleted.add(stale);
                }
            } else if (!byName.isEmpty()) {
                log.warn("run {}: weft does not know which secrets it set on {} before; names the repository no "
                        + "longer has are left there this time", run.id(), block.fullName());
            }
            run.attribute(MANAGED, String.join(",", byName.keySet()));
            // Names set by an earlier attempt of this run too: the step is written once, at the end.
            report(run, block, List.copyOf(done), deleted);
        } finally {
            m.lock.unlock();
        }
    }

    /** Upper-cased GitHub name to the repository's key; refuses names GitHub would reject or merge. */
    private static Map<String, String> names(Set<String> keys, WorkflowBlock block) throws Exception {
        Map<String, String> out = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (String k : new TreeSet<>(keys)) {
            String name = k.toUpperCase(Locale.ROOT);
            if (name.startsWith("GITHUB_")) {
                problems.add("secret " + k + ": GitHub does not accept secret names starting with GITHUB_");
            } else if (out.containsKey(name)) {
                problems.add("secrets " + out.get(name) + " and " + k + ": GitHub secret names ignore case, so both"
                        + " would be " + name);
            } else {
                out.put(name, k);
            }
        }
        if (!problems.isEmpty()) {
            throw new Exception("cannot set the repository's secrets on " + block.fullName() + ": "
                    + String.join("; ", problems) + " (rename them in the repository's secrets)");
        }
        return out;
    }

    /**
     * What weft managed on the mirror, from the newest of its recent dispatched runs that weft made
     * and recorded; empty set when there is none. Empty optional when it cannot be told.
     */
    private Optional<Set<String>> seed(Run run, WorkflowBlock block, boolean mustKnow) throws Exception {
        HttpUrl url = rest.repo(block.owner(), block.repo(), "actions", "runs")
                .addQueryParameter("event", "workflow_dispatch")
                .addQueryParameter("per_page", Integer.toString(SEED_RUNS)).build();
        ApiResponse r;
        try {
            r = rest.get(url);
        } catch (RateLimitedException e) {
            if (mustKnow) throw new RetriableProviderException(e.getMessage(), e, e.retryAfter());
            return Optional.empty();
        } catch (IOException e) {
            if (mustKnow) throw new RetriableProviderException("listing the runs of " + block.fullName() + ": " + e, e);
            return Optional.empty();
        }
        if (r.serverError() && mustKnow) {
            throw new RetriableProviderException("listing the runs of " + block.fullName() + ": " + r.describe());
        }
        if (!r.ok()) {
            log.warn("run {}: listing the runs of {} to find the secrets weft set there: {}", run.id(),
                    block.fullName(), r.describe());
            return Optional.empty();
        }
        for (JsonNode n : r.json().path("workflow_runs")) {
            String id = n.path("id").asText("");
            if (id.isEmpty()) continue;
            Optional<String> record = runs.byExternalId(id).filter(w -> w.id() != run.id())
                    .flatMap(w -> w.attribute(MANAGED));
            if (record.isPresent()) return Optional.of(new LinkedHashSet<>(split(record.get())));
        }
        return Optional.of(new LinkedHashSet<>());
    }

    private PublicKey publicKey(WorkflowBlock block) throws Exception {
        ApiResponse r = call("GET", rest.repo(block.owner(), block.repo(), "actions", "secrets", "public-key").build(),
                null, "reading the Actions secrets public key of " + block.fullName());
        if (!r.ok()) throw refused(r, block, "read the Actions secrets public key of " + block.fullName());
        JsonNode json = r.json();
        String id = json.path("key_id").asText("");
        byte[] key;
        try {
            key = Base64.getDecoder().decode(json.path("key").asText(""));
        } catch (IllegalArgumentException e) {
            key = new byte[0];
        }
        if (id.isEmpty() || key.length != SealedBox.PUBLIC_KEY_BYTES) {
            throw new Exception("GitHub's Actions secrets public key of " + block.fullName()
                    + " is not a key_id with a 32-byte base64 key");
        }
        return new PublicKey(id, key);
    }

    private void put(WorkflowBlock block, String name, String value, PublicKey key) throws Exception {
        byte[] plain = value.getBytes(StandardCharsets.UTF_8);
        String sealed;
        try {
            sealed = Base64.getEncoder().encodeToString(SealedBox.seal(plain, key.key()));
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
        ObjectNode body = GitHubJson.MAPPER.createObjectNode();
        body.put("encrypted_value", sealed);
        body.put("key_id", key.id());
        ApiResponse r = call("PUT", rest.repo(block.owner(), block.repo(), "actions", "secrets", name).build(), body,
                "setting secret " + name + " on " + block.fullName());
        if (!r.ok()) throw refused(r, block, "set secret " + name + " on " + block.fullName());
    }

    private void delete(WorkflowBlock block, String name) throws Exception {
        ApiResponse r = call("DELETE", rest.repo(block.owner(), block.repo(), "actions", "secrets", name).build(), null,
                "deleting secret " + name + " from " + block.fullName());
        if (!r.ok() && r.code() != 404) {
            throw refused(r, block, "delete secret " + name + " (no longer a secret of the repository) from "
                    + block.fullName());
        }
    }

    /** One request; transport failures, rate limits and 5xx become retriable. */
    private ApiResponse call(String method, HttpUrl url, JsonNode body, String what) throws Exception {
        ApiResponse r;
        try {
            r = rest.send(method, url, body);
        } catch (RateLimitedException e) {
            throw new RetriableProviderException(what + ": " + e.getMessage(), e, e.retryAfter());
        } catch (IOException e) {
            throw new RetriableProviderException(what + ": " + e, e);
        }
        if (r.serverError()) throw new RetriableProviderException(what + ": " + r.describe());
        return r;
    }

    private static Exception refused(ApiResponse r, WorkflowBlock block, String what) {
        String hint = switch (r.code()) {
            case 401, 403, 404 -> ": the credentials need the Secrets: read and write permission on "
                    + block.fullName();
            default -> "";
        };
        return new Exception("GitHub refused to " + what + " (" + r.describe() + ")" + hint
                + "; the workflow was not started");
    }

    /** A system step naming what changed; values never appear, only names. */
    private static void report(Run run, WorkflowBlock block, List<String> put, List<String> deleted) {
        if (put.isEmpty() && deleted.isEmpty()) return;
        log.info("run {}: Actions secrets of {}: set {}, deleted {}", run.id(), block.fullName(), put, deleted);
        Step s = run.log().startStep(STEP, "", true, null);
        if (!put.isEmpty()) {
            s.out("set " + String.join(", ", put) + " as Actions secrets of " + block.fullName());
        }
        if (!deleted.isEmpty()) {
            s.out("deleted " + String.join(", ", deleted) + " from " + block.fullName()
                    + ": no longer secrets of this repository");
        }
        s.end();
    }

    private static List<String> split(String names) {
        List<String> out = new ArrayList<>();
        for (String s : names.split(",")) if (!s.isBlank()) out.add(s.trim());
        return out;
    }
}
