import { storeConformance } from "@otpkit/otp-core/testing";
import { redisStorage } from "../src/index.js";
import { dropKeys, ioredisClient, nodeRedisClient, runPrefix } from "./helpers.js";

// The shared suite, races at 200 in flight, against the real server through both clients.

const ioredis = ioredisClient();
const ioredisPrefix = runPrefix("ioredis");
storeConformance("redis via ioredis", () => redisStorage({ client: ioredis, prefix: ioredisPrefix }), {
  concurrency: 200,
  teardown: async () => {
    await dropKeys(ioredis, ioredisPrefix);
    ioredis.disconnect();
  },
});

const nodeRedis = nodeRedisClient();
const nodeRedisPrefix = runPrefix("node-redis");
storeConformance(
  "redis via node-redis",
  async () => redisStorage({ client: await nodeRedis, prefix: nodeRedisPrefix }),
  {
    concurrency: 200,
    teardown: async () => {
      const cleaner = ioredisClient();
      await dropKeys(cleaner, nodeRedisPrefix);
      cleaner.disconnect();
      await (await nodeRedis).close();
    },
  },
);
