import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { createOtp, outbox } from "@otpkit/otp-core";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { describeUrl, storeFromEnv } from "./store-from-env.js";

const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const databaseUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const secret = "store-from-env-secret-store-from-env-secret";

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** One send and one verify through the store the environment picked. */
async function roundTrip(env: Record<string, string>, tenant: string) {
  const picked = await storeFromEnv(env);
  try {
    const sender = outbox();
    const otp = createOtp({ secret, store: picked.store, sender });
    const { id } = await otp.send({ phone: "+14155552671", tenant });
    const result = await otp.verify({ id, code: sender.lastCode("+14155552671")!, tenant });
    expect(result.status).toBe("approved");
    return picked;
  } finally {
    await picked.close();
  }
}

describe("storeFromEnv", () => {
  const run = randomBytes(5).toString("hex");
  const schema = `otpkit_test_env_${run}`;
  const admin = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  const redis = new Redis(redisUrl);
  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
    const keys = await redis.keys(`{otp:env${run}}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it("uses the memory store without REDIS_URL or DATABASE_URL", async () => {
    const picked = await roundTrip({}, "");
    expect(picked.store.name).toBe("memory");
  });

  it("REDIS_URL: a Redis store on an ioredis client, described without credentials", async () => {
    const picked = await roundTrip({ REDIS_URL: redisUrl, DATABASE_URL: databaseUrl }, `env${run}`);
    expect(picked.store.name).toBe("redis");
    expect(picked.description).toBe(`redis (${describeUrl(redisUrl)})`);
  });

  it("DATABASE_URL: a PostgreSQL store on a pg Pool, tables created at start, no credentials shown", async () => {
    await admin.query(`CREATE SCHEMA ${schema}`);
    // The schema comes through the URL (search_path), like any deployment's own setting would.
    const url = new URL(databaseUrl);
    url.password = "hunter2-not-shown";
    url.searchParams.set("options", `-c search_path=${schema}`);
    const picked = await roundTrip({ DATABASE_URL: url.href }, "");
    expect(picked.store.name).toBe("postgres");
    expect(picked.description).not.toContain("hunter2");
    expect(picked.description).toMatch(/^postgres \(postgres:\/\/127\.0\.0\.1:5432\/test\)$/);
    const { rows } = await admin.query(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1",
      [schema],
    );
    expect(rows.map((row) => row.table_name)).toEqual([
      "otpkit_codes",
      "otpkit_codes_failures",
      "otpkit_codes_windows",
    ]);
  });

  it("close() closes the clients it opened", async () => {
    const picked = await storeFromEnv({ REDIS_URL: redisUrl });
    await picked.close();
    await expect(picked.store.delete("x:l:y")).rejects.toThrow();
    const pgPicked = await storeFromEnv({
      DATABASE_URL: `${databaseUrl}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    });
    await pgPicked.close();
    await expect(pgPicked.store.delete("x:l:y")).rejects.toThrow();
  });

  it("fails at startup, promptly and without credentials, when the server is unreachable", async () => {
    for (const env of [
      { REDIS_URL: `redis://user:hunter2@127.0.0.1:${await closedPort()}/0` },
      { DATABASE_URL: `postgres://postgres:hunter2@127.0.0.1:${await closedPort()}/test` },
    ]) {
      const started = performance.now();
      const error = await storeFromEnv(env).then(
        () => undefined,
        (caught: Error) => caught,
      );
      expect(error).toBeInstanceOf(Error);
      expect(error!.message).toMatch(/unavailable/);
      expect(error!.message).not.toContain("hunter2");
      expect(performance.now() - started).toBeLessThan(3000);
    }
  });

  it("describes URLs as scheme://host:port/path only", () => {
    expect(describeUrl("rediss://:pw@cache.example:6380/2")).toBe("rediss://cache.example:6380/2");
    expect(describeUrl("postgres://u:pw@db.example/app?sslmode=require")).toBe("postgres://db.example/app");
    expect(describeUrl("not a url")).toBe("(unparseable URL)");
  });
});
