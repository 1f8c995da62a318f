/**
 * `@otpkit/storage-redis`: an otpkit `Store` on Redis (standalone, Sentinel or Cluster), one Lua
 * script per operation.
 *
 *   import { redisStore } from "@otpkit/storage-redis";
 *   const store = redisStore({ client });                      // the app's own ioredis / node-redis client
 *   const store = await redisStore.fromUrl(process.env.REDIS_URL!); // or one of its own, set to fail fast
 */
import { fromUrl } from "./from-url.js";
import { createRedisStore } from "./store.js";

export type { IoRedisLike, NodeRedisLike, RedisClientLike } from "./client.js";
export type { RedisUrlOptions, RedisUrlStore } from "./from-url.js";
export type { RedisStoreOptions } from "./store.js";

/** A `Store` on the app's Redis client; `redisStore.fromUrl(url)` makes its own client. */
export const redisStore = Object.assign(createRedisStore, { fromUrl });

export type RedisStore = ReturnType<typeof createRedisStore>;
