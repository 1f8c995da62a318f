import { memoryStore, type Store } from "@otpkit/otp-core";
import { migrate, postgresStorage } from "@otpkit/storage-postgres";
import { redisStorage } from "@otpkit/storage-redis";
import { Redis } from "ioredis";
import pg from "pg";

export interface StoreFromEnv {
  store: Store;
  /** A human-readable description for the startup line (never includes credentials). */
  description: string;
  /** Closes any client this module opened. */
  close(): Promise<void>;
}

/** `scheme://host:port/path` of a connection URL: no user, no password, no query. */
export function describeUrl(url: string): string {
  try {
    const { protocol, host, pathname } = new URL(url);
    return `${protocol}//${host}${pathname === "/" ? "" : pathname}`;
  } catch {
    return "(unparseable URL)";
  }
}

/** An error for the startup line: what failed and where, never the URL's credentials. */
const unavailable = (what: string, url: string, cause: unknown) =>
  new Error(
    `${what} at ${describeUrl(url)} is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`,
    { cause },
  );

/**
 * Picks the store for `otpkit serve`: `REDIS_URL` → Redis (ioredis), else `DATABASE_URL` →
 * PostgreSQL (a `pg` Pool; the tables are created at start), else the embedded memory store.
 *
 * Both clients are set to fail fast rather than queue when their server is away, so a request then
 * gets a prompt 503 (`store_unavailable`) and the client reconnects in the background. Startup
 * itself fails, with a message naming the server without its credentials, when the server cannot
 * be reached.
 */
export async function storeFromEnv(env: Record<string, string | undefined>): Promise<StoreFromEnv> {
  if (env.REDIS_URL) {
    const url = env.REDIS_URL;
    const client = new Redis(url, {
      lazyConnect: true,
      // Fail a command at once while disconnected instead of queueing it until Redis returns.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      // Commands that never come back (a half-open connection) fail after this long.
      commandTimeout: 2000,
    });
    // Failures reach requests as store_unavailable; the event itself needs no handler output.
    client.on("error", () => {});
    try {
      await client.connect();
    } catch (cause) {
      client.disconnect();
      throw unavailable("Redis", url, cause);
    }
    return {
      store: redisStorage({ client }),
      description: `redis (${describeUrl(url)})`,
      close: async () => {
        await client.quit().catch(() => client.disconnect());
      },
    };
  }

  if (env.DATABASE_URL) {
    const url = env.DATABASE_URL;
    const pool = new pg.Pool({
      connectionString: url,
      max: 10,
      // Never wait forever for a connection or an answer.
      connectionTimeoutMillis: 2000,
      query_timeout: 5000,
    });
    // An idle connection dropping is not fatal: the next query reconnects or fails as 503.
    pool.on("error", () => {});
    try {
      await migrate(pool);
    } catch (cause) {
      await pool.end().catch(() => {});
      throw unavailable("PostgreSQL", url, cause);
    }
    return {
      store: postgresStorage({ client: pool }),
      description: `postgres (${describeUrl(url)})`,
      close: () => pool.end(),
    };
  }

  return {
    store: memoryStore(),
    description: "memory (one process, nothing persisted)",
    close: async () => {},
  };
}
