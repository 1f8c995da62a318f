import { storeConformance } from "@otpkit/otp-core/testing";
import { Redis } from "ioredis";
import { redisStore } from "../src/index.js";
import { closedPort, dropKeys, dumpKeys, ioredisClient, nodeRedisClient, runPrefix } from "./helpers.js";

// The shared suite, races at 200 in flight, against the real server through both clients.

const ioredis = ioredisClient();
const ioredisPrefix = runPrefix("ioredis");
storeConformance("redis via ioredis", {
  create: () => redisStore({ client: ioredis, prefix: ioredisPrefix }),
  // Every key and every value this run wrote: no code or link token may be among them.
  dump: () => dumpKeys(ioredis, ioredisPrefix),
  // As the README recommends: no offline queue, one retry, short connect timeout.
  unreachable: async () => {
    const dead = new Redis({
      host: "127.0.0.1",
      port: await closedPort(),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 500,
      lazyConnect: true,
    });
    dead.on("error", () => {});
    return redisStore({ client: dead });
  },
  unreachableWithinMs: 1000,
  concurrency: 200,
  teardown: async () => {
    await dropKeys(ioredis, ioredisPrefix);
    ioredis.disconnect();
  },
});

const nodeRedis = nodeRedisClient();
const nodeRedisPrefix = runPrefix("node-redis");
storeConformance("redis via node-redis", {
  create: async () => redisStore({ client: await nodeRedis, prefix: nodeRedisPrefix }),
  concurrency: 200,
  teardown: async () => {
    const cleaner = ioredisClient();
    await dropKeys(cleaner, nodeRedisPrefix);
    cleaner.disconnect();
    await (await nodeRedis).close();
  },
});
