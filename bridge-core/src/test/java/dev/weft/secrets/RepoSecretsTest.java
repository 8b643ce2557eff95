package dev.weft.secrets;

import dev.weft.store.sqlite.SqliteStores;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RepoSecretsTest {
    static final String DID = "did:plc:owner";
    static final String URI = "at://did:plc:owner/sh.tangled.repo/3kabc";
    static final String VALUE = "pa55-word-that-must-not-leak";

    @TempDir
    Path dir;

    static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return true;
        }
        return false;
    }

    @Test
    @DisplayName("a secret round-trips, and neither the database nor its WAL holds the value")
    void roundTripEncrypted() throws Exception {
        Path key = dir.resolve("keys/weft-secrets.key");
        Path db = dir.resolve("weft.db");
        try (SqliteStores store = SqliteStores.open(db)) {
            RepoSecrets s = new RepoSecrets(store.secrets(), SecretCipher.loadOrCreate(key), Clock.systemUTC());
            assertTrue(s.add(DID, "repo", URI, "TOKEN", VALUE, DID));
            assertFalse(s.add(DID, "repo", URI, "TOKEN", "other", DID), "an existing key is not replaced");
            assertEquals(Map.of("TOKEN", VALUE), s.values(DID, "repo"));
            List<RepoSecrets.Listed> listed = s.list(DID, "repo");
            assertEquals(1, listed.size());
            assertEquals(URI, listed.get(0).repoUri());
            assertEquals(DID, listed.get(0).createdBy());
            assertTrue(s.values(DID, "other").isEmpty());
            for (Path f : List.of(db, Path.of(db + "-wal"))) {
                if (!Files.exists(f)) continue;
                byte[] raw = Files.readAllBytes(f);
                assertFalse(contains(raw, VALUE.getBytes(StandardCharsets.UTF_8)), f + " holds the value");
                assertFalse(contains(raw, Base64.getEncoder().encode(VALUE.getBytes(StandardCharsets.UTF_8))), f + " holds its base64");
            }
            assertTrue(s.remove(DID, "repo", "TOKEN"));
            assertFalse(s.remove(DID, "repo", "TOKEN"));
            assertTrue(s.list(DID, "repo").isEmpty());
        }
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        assertEquals(32, Base64.getDecoder().decode(Files.readString(key).strip()).length);
    }

    @Test
    @DisplayName("the key file is reused across restarts; another key cannot open the values and says so")
    void wrongKey() throws Exception {
        Path key = dir.resolve("k1");
        try (SqliteStores store = SqliteStores.open(dir.resolve("weft.db"))) {
            new RepoSecrets(store.secrets(), SecretCipher.loadOrCreate(key), Clock.systemUTC()).add(DID, "repo", URI, "A", VALUE, DID);
            assertEquals(VALUE, new RepoSecrets(store.secrets(), SecretCipher.loadOrCreate(key), Clock.systemUTC()).values(DID, "repo").get("A"));
            RepoSecrets other = new RepoSecrets(store.secrets(), SecretCipher.loadOrCreate(dir.resolve("k2")), Clock.systemUTC());
            SecretsException e = assertThrows(SecretsException.class, () -> other.values(DID, "repo"));
            assertTrue(e.getMessage().contains("another key"), e.getMessage());
        }
    }

    @Test
    @DisplayName("a sealed value does not open under another repository or key name")
    void boundToItsRow() throws Exception {
        SecretCipher c = SecretCipher.loadOrCreate(dir.resolve("k"));
        byte[] sealed = c.seal(VALUE.getBytes(StandardCharsets.UTF_8), "ctx-a");
        assertEquals(VALUE, new String(c.open(sealed, "ctx-a"), StandardCharsets.UTF_8));
        assertThrows(SecretsException.class, () -> c.open(sealed, "ctx-b"));
        byte[] again = c.seal(VALUE.getBytes(StandardCharsets.UTF_8), "ctx-a");
        assertFalse(java.util.Arrays.equals(sealed, again), "a fresh nonce every time");
    }

    @Test
    @DisplayName("keys must be environment variable names of at most 50 characters; values are required")
    void validation() {
        assertNotNull(RepoSecrets.invalid("1ABC", "v"));
        assertNotNull(RepoSecrets.invalid("A-B", "v"));
        assertNotNull(RepoSecrets.invalid("A".repeat(51), "v"));
        assertNotNull(RepoSecrets.invalid("A", ""));
        assertEquals(null, RepoSecrets.invalid("_DEPLOY_TOKEN2", "v"));
    }
}
