import type { Store } from "@otpkit/otp-core";

type Env = Record<string, string | undefined>;

/**
 * `REDIS_URL` → Redis, `DATABASE_URL` → PostgreSQL, else `undefined` (otp-core's memory store:
 * one process, codes lost on restart — fine for the demo, not for several instances).
 * Dynamic imports keep the drivers out of the bundle of an app that does not use them.
 */
export async function storeFromEnv(env: Env): Promise<Store | undefined> {
  if (env.REDIS_URL) {
    const [{ redisStorage }, { Redis }] = await Promise.all([
      import("@otpkit/storage-redis"),
      import("ioredis"),
    ]);
    // Fail fast instead of queueing commands while Redis is unreachable: the core answers
    // store_unavailable rather than leaving a sign-in hanging.
    const client = new Redis(env.REDIS_URL, {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
    });
    client.on("error", (error) => console.error("otpkit example: Redis", error.message));
    await client.connect(); // without the offline queue, commands sent before "ready" would fail
    return redisStorage({ client });
  }
  if (env.DATABASE_URL) {
    const [{ postgresStorage, migrate }, { default: pg }] = await Promise.all([
      import("@otpkit/storage-postgres"),
      import("pg"),
    ]);
    const pool = new pg.Pool({ connectionString: env.DATABASE_URL, connectionTimeoutMillis: 5000 });
    await migrate(pool); // idempotent: creates the tables on first start
    return postgresStorage({ client: pool });
  }
  return undefined;
}
