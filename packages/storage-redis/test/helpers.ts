import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { createClient } from "redis";

export const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** A prefix no other run shares, so runs (and parallel test files) never collide. */
export const runPrefix = (label: string) => `otp-test-${label}-${randomBytes(6).toString("hex")}:`;

/** Fail fast rather than queue forever when Redis is away. */
export const ioredisClient = () =>
  new Redis(redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: true, connectTimeout: 2000 });

export async function nodeRedisClient(): Promise<ReturnType<typeof createClient>> {
  const client = createClient({ url: redisUrl, socket: { connectTimeout: 2000, reconnectStrategy: false } });
  await client.connect();
  return client;
}

/** Every key of a run: they all start with `{<prefix>` (the hash tag opens every key). */
export async function keysOf(client: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await client.scan(cursor, "MATCH", `{${prefix}*`, "COUNT", 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== "0");
  return keys;
}

/** Every key of a run and every value under it, as text (what someone reading the server sees). */
export async function dumpKeys(client: Redis, prefix: string): Promise<string[]> {
  const dump: string[] = [];
  for (const key of await keysOf(client, prefix)) {
    dump.push(key);
    const type = await client.type(key);
    if (type === "hash") dump.push(...Object.entries(await client.hgetall(key)).flat());
    else if (type === "list") dump.push(...(await client.lrange(key, 0, -1)));
    else if (type === "string") dump.push((await client.get(key)) ?? "");
    else if (type === "set") dump.push(...(await client.smembers(key)));
    else if (type === "zset") dump.push(...(await client.zrange(key, 0, -1)));
    else if (type !== "none") throw new Error(`unexpected ${type} at ${key}`);
  }
  return dump;
}

export async function dropKeys(client: Redis, prefix: string) {
  const keys = await keysOf(client, prefix);
  for (let i = 0; i < keys.length; i += 500) await client.del(...keys.slice(i, i + 500));
}

/** A port on 127.0.0.1 where nothing listens (bound, then released). */
export async function closedPort(): Promise<number> {
  const { createServer } = await import("node:net");
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
