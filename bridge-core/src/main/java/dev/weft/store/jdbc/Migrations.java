package dev.weft.store.jdbc;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;

/**
 * Runs a backend's Flyway migrations the same way for every database: a schema a newer weft wrote
 * is refused, anything older is brought up to date, and the version reached is returned.
 */
public final class Migrations {
    private static final Logger log = LoggerFactory.getLogger(Migrations.class);

    private Migrations() {
    }

    /**
     * Migrates and returns the schema version reached ("0" when none).
     *
     * @param legacy the version a pre-Flyway database had reached (its baseline), 0 when none
     */
    public static String migrate(Flyway flyway, int legacy) throws SQLException {
        refuseNewer(flyway, legacy);
        MigrateResult result = flyway.migrate();
        if (result.migrationsExecuted > 0) {
            log.info("database schema migrated to version {} ({} migration(s))", result.targetSchemaVersion,
                    result.migrationsExecuted);
        }
        MigrationInfo current = flyway.info().current();
        return current == null ? "0" : current.getVersion().getVersion();
    }

    /**
     * A schema as found, without touching it: the version it has reached ({@code "0"} when none),
     * the newest version this weft knows, and how many migrations it would apply.
     *
     * @param legacy true when the version comes from weft 0.1's own table (no Flyway history yet)
     */
    public record SchemaState(String current, String latest, int pending, boolean newer, boolean legacy) {
    }

    /**
     * Reads the schema's state through Flyway's history without migrating (what {@code weft doctor}
     * reports).
     *
     * @param legacy the version a pre-Flyway database had reached, 0 when none
     */
    public static SchemaState inspect(Flyway flyway, int legacy) {
        MigrationVersion known = MigrationVersion.EMPTY;
        int pending = 0;
        MigrationInfo current = flyway.info().current();
        MigrationVersion stored = legacy > 0 ? MigrationVersion.fromVersion(String.valueOf(legacy))
                : current == null ? MigrationVersion.EMPTY : current.getVersion();
        for (MigrationInfo m : flyway.info().all()) {
            if (!m.getState().isResolved() || m.getVersion() == null) continue;
            if (m.getVersion().isNewerThan(known.getVersion())) known = m.getVersion();
            if (stored == MigrationVersion.EMPTY || m.getVersion().isNewerThan(stored.getVersion())) pending++;
        }
        boolean newer = stored != MigrationVersion.EMPTY && known != MigrationVersion.EMPTY
                && stored.isNewerThan(known.getVersion());
        return new SchemaState(stored == MigrationVersion.EMPTY ? "0" : stored.getVersion(),
                known == MigrationVersion.EMPTY ? "0" : known.getVersion(), newer ? 0 : pending, newer, legacy > 0);
    }

    /**
     * A database a newer weft has migrated is refused rather than touched: this one would run
     * against tables it does not understand. (Flyway on its own ignores such "future" versions.)
     */
    private static void refuseNewer(Flyway flyway, int legacy) throws SQLException {
        MigrationVersion known = MigrationVersion.EMPTY;
        for (MigrationInfo m : flyway.info().all()) {
            if (m.getState().isResolved() && m.getVersion() != null && m.getVersion().isNewerThan(known.getVersion())) {
                known = m.getVersion();
            }
        }
        MigrationInfo current = flyway.info().current();
        MigrationVersion stored = legacy > 0 ? MigrationVersion.fromVersion(String.valueOf(legacy))
                : current == null ? MigrationVersion.EMPTY : current.getVersion();
        if (stored != MigrationVersion.EMPTY && known != MigrationVersion.EMPTY && stored.isNewerThan(known.getVersion())) {
            throw new SQLException("database schema version " + stored + " is newer than this weft (" + known
                    + "); refusing to touch it");
        }
    }
}
