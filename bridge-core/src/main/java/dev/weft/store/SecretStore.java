package dev.weft.store;

import java.util.List;

/** Repository secrets, sealed by the caller; the store never sees a plaintext value. */
public interface SecretStore {
    /** Stores a sealed secret; false (nothing written) when the repo already has that key. */
    boolean insert(StoredSecret secret);

    boolean delete(String repoDid, String repoName, String key);

    /** A repository's secrets, sealed, by key. */
    List<StoredSecret> list(String repoDid, String repoName);
}
