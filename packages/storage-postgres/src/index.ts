/**
 * `@otpkit/storage-postgres`: an otpkit `Store` on PostgreSQL, one SQL statement per operation.
 *
 *   import { migrate, postgresStore } from "@otpkit/storage-postgres";
 *   await migrate(pool);                                    // or run schema.sql
 *   const store = postgresStore({ client: pool });          // the app's own pg Pool (or Neon's, Vercel's)
 *   const store = await postgresStore.fromUrl(process.env.DATABASE_URL!); // or one of its own, migrated
 */
import { fromUrl } from "./from-url.js";
import { createPostgresStore } from "./store.js";

export type { PostgresUrlOptions, PostgresUrlStore } from "./from-url.js";
export { schemaSql } from "./schema.js";
export { migrate, type PostgresStoreOptions, type Queryable } from "./store.js";

/** A `Store` on the app's PostgreSQL client; `postgresStore.fromUrl(url)` makes its own pool. */
export const postgresStore = Object.assign(createPostgresStore, { fromUrl });

export type PostgresStore = ReturnType<typeof createPostgresStore>;
