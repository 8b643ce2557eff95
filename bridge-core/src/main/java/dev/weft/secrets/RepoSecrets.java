package dev.weft.secrets;

import dev.weft.store.StoredSecret;
import dev.weft.store.SecretStore;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The repositories' secrets: sealed with a {@link SecretCipher} before they reach the store, opened
 * only to hand them to a run. Keyed like upstream by the repository's (did, name), so moving a
 * repository to another knot keeps its secrets. Listing returns keys and metadata, never values.
 * Thread-safe.
 */
public final class RepoSecrets {
    /** Keys become environment variable names: a letter or underscore, then letters, digits, underscores. */
    public static final Pattern KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    /** The lexicon's limit on a key's length. */
    public static final int MAX_KEY = 50;
    /** Weft's limit on a value's length, in UTF-8 bytes. */
    public static final int MAX_VALUE = 16 * 1024;

    private final SecretStore store;
    private final SecretCipher cipher;
    private final Clock clock;

    public RepoSecrets(SecretStore store, SecretCipher cipher, Clock clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.cipher = Objects.requireNonNull(cipher, "cipher");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** A secret's metadata, as {@code listSecrets} shows it. */
    public record Listed(String repoUri, String key, Instant createdAt, String createdBy) {
    }

    /** Why a key or value is refused, or null when it is fine. */
    public static String invalid(String key, String value) {
        if (key == null || key.isEmpty()) return "key is required";
        if (key.length() > MAX_KEY) return "key is longer than " + MAX_KEY + " characters";
        if (!KEY.matcher(key).matches()) {
            return "key must be a letter or underscore followed by letters, digits or underscores: " + key;
        }
        if (value != null) {
            if (value.isEmpty()) return "value is required";
            if (value.getBytes(StandardCharsets.UTF_8).length > MAX_VALUE) return "value is longer than " + MAX_VALUE + " bytes";
        }
        return null;
    }

    /**
     * Adds a secret.
     *
     * @return false when the repository already has {@code key} (nothing changes: remove it first)
     * @throws IllegalArgumentException when {@link #invalid} refuses the key or value
     */
    public boolean add(String repoDid, String repoName, String repoUri, String key, String value, String createdBy) {
        String why = invalid(key, value);
        if (why != null) throw new IllegalArgumentException(why);
        byte[] sealed = cipher.seal(value.getBytes(StandardCharsets.UTF_8), context(repoDid, repoName, key));
        return store.insert(new StoredSecret(repoDid, repoName, key, repoUri, sealed, cipher.keyId(),
                clock.instant(), createdBy));
    }

    /** Removes a secret; false when there was none. */
    public boolean remove(String repoDid, String repoName, String key) {
        return store.delete(repoDid, repoName, key);
    }

    /** Keys and metadata of a repository's secrets, by key. */
    public List<Listed> list(String repoDid, String repoName) {
        List<Listed> out = new ArrayList<>();
        for (StoredSecret s : store.list(repoDid, repoName)) {
            out.add(new Listed(s.repoUri(), s.key(), s.createdAt(), s.createdBy()));
        }
        return out;
    }

    /**
     * The opened secrets of a repository, key to value, for a run.
     *
     * @throws SecretsException when one does not open (a wrong key file): the run must not start
     *                          with a partial set
     */
    public Map<String, String> values(String repoDid, String repoName) throws SecretsException {
        Map<String, String> out = new LinkedHashMap<>();
        for (StoredSecret s : store.list(repoDid, repoName)) {
            if (!s.keyId().equals(cipher.keyId())) {
                throw new SecretsException("secret " + s.key() + " of " + repoDid + "/" + repoName
                        + " was sealed with another key (id " + s.keyId() + "; this WEFT_SECRETS_KEY_FILE is "
                        + cipher.keyId() + ")");
            }
            byte[] plain = cipher.open(s.sealed(), context(repoDid, repoName, s.key()));
            out.put(s.key(), new String(plain, StandardCharsets.UTF_8));
        }
        return Map.copyOf(out);
    }

    private static String context(String did, String name, String key) {
        return "weft-secret-v1\u0000" + did + "\u0000" + name + "\u0000" + key;
    }
}
