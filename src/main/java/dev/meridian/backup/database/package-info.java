/**
 * The per-database coordinator. {@code DatabaseActor} owns one database's RocksDB handle
 * ({@code rocks.LiveDatabase}) and admits one operation at a time (create, restore, delete, retention), later ones
 * waiting in a bounded queue in arrival order; each runs as a child job and reports back as a message; status is
 * answered at once from cached numbers. {@code DatabaseRegistry} spawns one coordinator per configured database and
 * routes commands to it by name.
 *
 * <p>Layer 7. May import: the jobs ({@code backup}, {@code restore}, {@code verify}, {@code retention}),
 * {@code runtime}, {@code config}, {@code repository}, {@code rocks}, {@code store}, {@code model}, {@code hash};
 * Pekko.
 */
package dev.meridian.backup.database;
