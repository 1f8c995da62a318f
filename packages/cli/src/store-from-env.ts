import { memoryStore, type Store } from "@otpkit/otp-core";
import { describeUrl } from "@otpkit/otp-core/store";
import { postgresStore } from "@otpkit/storage-postgres";
import { redisStore } from "@otpkit/storage-redis";

export { describeUrl };

export interface StoreFromEnv {
  store: Store;
  /** A human-readable description for the startup line (never includes credentials). */
  description: string;
  /** Closes any client this module opened. */
  close(): Promise<void>;
}

/**
 * Picks the store for `otpkit serve`: `REDIS_URL` → Redis, else `DATABASE_URL` → PostgreSQL (the
 * tables are created at start), else the embedded memory store. Both come from the stores' own
 * `fromUrl`, whose clients fail fast rather than queue when their server is away, so a request then
 * gets a prompt 503 (`store_unavailable`) and the client reconnects in the background. Startup
 * itself fails, with a message naming the server without its credentials, when it cannot be reached.
 */
export async function storeFromEnv(env: Record<string, string | undefined>): Promise<StoreFromEnv> {
  if (env.REDIS_URL) {
    const store = await redisStore.fromUrl(env.REDIS_URL);
    return { store, description: `redis (${describeUrl(env.REDIS_URL)})`, close: store.close };
  }
  if (env.DATABASE_URL) {
    const store = await postgresStore.fromUrl(env.DATABASE_URL);
    return { store, description: `postgres (${describeUrl(env.DATABASE_URL)})`, close: store.close };
  }
  return {
    store: memoryStore(),
    description: "memory (one process, nothing persisted)",
    close: async () => {},
  };
}
