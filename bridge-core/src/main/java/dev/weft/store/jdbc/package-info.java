/**
 * The store logic written once over JDBC, for every database weft supports: the stores
 * ({@code Jdbc*Store}, package-private), the row mappings and the SQL, which keeps to what SQLite
 * (3.35+) and PostgreSQL (14+) both understand ({@code INSERT ... ON CONFLICT}, qualified upsert
 * columns, no scalar {@code MAX(a, b)}, no numbered parameters). A backend supplies a
 * {@link dev.weft.store.jdbc.Database} (connections, transactions, migrations) and extends
 * {@link dev.weft.store.jdbc.JdbcStores}; should a statement ever need two spellings, the seam for
 * it is the {@code Database}, as Quartz's {@code DriverDelegate} is. Nothing outside the store
 * packages uses this one.
 */
package dev.weft.store.jdbc;
