import { describeUrl } from "@otpkit/otp-core/store";
import { createPostgresStore, migrate, type PostgresStoreOptions } from "./store.js";

export interface PostgresUrlOptions extends Omit<PostgresStoreOptions, "client"> {
  /** Connections in the pool. Default: `10`. */
  max?: number;
  /** Milliseconds to wait for a connection. Default: `2000`. */
  connectTimeoutMs?: number;
  /** Create the tables if they do not exist, at start. Default: `true`. */
  migrate?: boolean;
}

export type PostgresUrlStore = ReturnType<typeof createPostgresStore> & {
  /** The `pg` Pool this store made; the store owns it. */
  readonly client: import("pg").Pool;
  /** Ends the pool. */
  close(): Promise<void>;
};

/**
 * A store on its own `pg` Pool for `url` (`postgres://…`), set never to wait forever: a
 * connection or an answer that does not come fails the request as `store_unavailable` (503).
 * Creates the tables at start (unless `migrate: false`), which also proves the connection; rejects
 * with a message that names the server without its credentials when it cannot. Needs `pg` installed.
 */
export async function fromUrl(url: string, options: PostgresUrlOptions = {}): Promise<PostgresUrlStore> {
  const { max = 10, connectTimeoutMs = 2000, migrate: create = true, ...storeOptions } = options;
  const { default: pg } = await import("pg");
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: connectTimeoutMs,
    query_timeout: storeOptions.timeoutMs ?? 5000,
  });
  // An idle connection dropping is not fatal: the next query reconnects or fails as 503.
  pool.on("error", () => {});
  try {
    if (create) await migrate(pool, storeOptions.table === undefined ? {} : { table: storeOptions.table });
    else await pool.query("SELECT 1");
  } catch (cause) {
    await pool.end().catch(() => {});
    throw new Error(
      `PostgreSQL at ${describeUrl(url)} is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
  return Object.assign(createPostgresStore({ ...storeOptions, client: pool }), {
    client: pool,
    close: () => pool.end(),
  });
}
