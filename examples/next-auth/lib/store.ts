import type { Store } from "@otpkit/otp-core";

type Env = Record<string, string | undefined>;

/**
 * `REDIS_URL` → Redis, `DATABASE_URL` → PostgreSQL, else `undefined` (otp-core's memory store:
 * one process, codes lost on restart — fine for the demo, not for several instances). Each store's
 * `fromUrl` makes a client set to fail fast (a prompt 503 rather than a hanging sign-in) and
 * creates PostgreSQL's tables on first start. Dynamic imports keep the drivers out of the bundle
 * of an app that does not use them.
 */
export async function storeFromEnv(env: Env): Promise<Store | undefined> {
  if (env.REDIS_URL) {
    const { redisStore } = await import("@otpkit/storage-redis");
    return redisStore.fromUrl(env.REDIS_URL);
  }
  if (env.DATABASE_URL) {
    const { postgresStore } = await import("@otpkit/storage-postgres");
    return postgresStore.fromUrl(env.DATABASE_URL);
  }
  return undefined;
}
