/**
 * The store logic written once over JDBC, for every database weft supports: the stores
 * ({@code Jdbc*Store}, package-private), the row mappings and the SQL, which keeps to what SQLite
 * (3.35+) and PostgreSQL (14+) both understand ({@code INSERT ... ON CONFLICT}, qualified upsert
 * columns, no scalar {@code MAX(a, b)}, no numbered parameters). A backend supplies a
 * {@link dev.weft.store.jdbc.Database} (connections, transactions, migrations) and extends
 * {@link dev.weft.store.jdbc.JdbcStores}; where a statement needs two spellings, the seam for it
 * is the {@code Database}, as Quartz's {@code DriverDelegate} is (so far one: a JSON array as a
 * table, {@link dev.weft.store.jdbc.Database#jsonStrings()}). {@code triggers.rowid} is SQLite's
 * own and a column PostgreSQL's V7 adds. Nothing outside the store packages uses this one.
 */
package dev.weft.store.jdbc;
