package dev.weft.store.jdbc;

import dev.weft.store.SecretStore;
import dev.weft.store.StoredSecret;
import dev.weft.store.jdbc.Database.Lane;

import java.time.Instant;
import java.util.List;

final class JdbcSecretStore implements SecretStore {
    private final Database db;

    JdbcSecretStore(Database db) {
        this.db = db;
    }

    @Override
    public boolean insert(StoredSecret x) {
        return db.write(Lane.URGENT, s -> s.update(
                "INSERT INTO secrets (repo_did, repo_name, key, repo_uri, value, key_id, created_at, created_by) "
                        + "VALUES (?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING", x.repoDid(), x.repoName(), x.key(), x.repoUri(), x.sealed(), x.keyId(),
                x.createdAt().toEpochMilli(), x.createdBy()) == 1);
    }

    @Override
    public boolean delete(String repoDid, String repoName, String key) {
        return db.write(Lane.URGENT, s -> s.update("DELETE FROM secrets WHERE repo_did=? AND repo_name=? AND key=?",
                repoDid, repoName, key) == 1);
    }

    @Override
    public List<StoredSecret> list(String repoDid, String repoName) {
        return db.read(s -> s.query(
                "SELECT repo_did, repo_name, key, repo_uri, value, key_id, created_at, created_by FROM secrets "
                        + "WHERE repo_did=? AND repo_name=? ORDER BY key",
                rs -> new StoredSecret(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getBytes(5), rs.getString(6), Instant.ofEpochMilli(rs.getLong(7)), rs.getString(8)),
                repoDid, repoName));
    }
}
