import { randomBytes } from "node:crypto";
import { deadline } from "@otpkit/otp-core/store";
import { afterAll, describe, expect, it } from "vitest";
import { runScript, type ScriptRunner, script, scriptRunner } from "../src/client.js";
import { redisStore } from "../src/index.js";
import { ioredisClient, nodeRedisClient } from "./helpers.js";

describe("running scripts", () => {
  const ioredis = ioredisClient();
  const nodeRedis = nodeRedisClient();
  afterAll(async () => {
    ioredis.disconnect();
    await (await nodeRedis).close();
  });

  const bounded = deadline(2000, "Redis");
  const same = (reply: unknown) => reply;

  /** Records which command each call used. */
  const spy = (runner: ScriptRunner, calls: string[]): ScriptRunner => ({
    evalsha: (...args) => {
      calls.push("evalsha");
      return runner.evalsha(...args);
    },
    eval: (...args) => {
      calls.push("eval");
      return runner.eval(...args);
    },
  });

  for (const [name, client] of [
    ["ioredis", async () => ioredis],
    ["node-redis", () => nodeRedis],
  ] as const) {
    it(`${name}: a script the server has never seen falls back to EVAL once, then runs by SHA`, async () => {
      // A script unique to this run, so the server cannot have it cached.
      const fresh = script(`-- ${randomBytes(8).toString("hex")}\nreturn {KEYS[1], ARGV[1], ARGV[2]}`);
      const calls: string[] = [];
      const runner = spy(scriptRunner(await client()), calls);
      expect(await runScript(runner, bounded, fresh, 1, ["{t}:k", "a", "b"], same)).toEqual([
        "{t}:k",
        "a",
        "b",
      ]);
      expect(calls).toEqual(["evalsha", "eval"]);
      expect(await runScript(runner, bounded, fresh, 1, ["{t}:k", "c", "d"], same)).toEqual([
        "{t}:k",
        "c",
        "d",
      ]);
      expect(calls).toEqual(["evalsha", "eval", "evalsha"]);
    });
  }

  it("passes other script errors through", async () => {
    const failing = script(`-- ${randomBytes(8).toString("hex")}\nreturn redis.call('NOPE')`);
    await expect(runScript(scriptRunner(ioredis), bounded, failing, 0, [], same)).rejects.toThrow(
      /unknown redis command/i,
    );
  });

  it("refuses what it cannot use", () => {
    expect(() => redisStore({ client: {} as never })).toThrow(/ioredis or node-redis/);
    expect(() => redisStore({ client: ioredis, prefix: "a{b" })).toThrow(/must not contain/);
  });

  it("keeps every key of one operation in one slot: keys of two tenants in one operation are refused", async () => {
    const store = redisStore({ client: ioredis, prefix: `otp-test-${randomBytes(4).toString("hex")}:` });
    const hits = [
      { key: "acme:rl:ip:60:x", limit: 1, windowMs: 1000 },
      { key: "other:rl:ip:60:x", limit: 1, windowMs: 1000 },
    ];
    await expect(store.hit(hits, Date.now())).rejects.toThrow(/share a tenant/);
    const record = { id: "ver_x", hash: "h", expiresAt: 1, attempts: 0, maxAttempts: 1, data: "{}" };
    await expect(
      store.put("acme:l:x", record, { now: 0, retainUntil: 1, hits: hits.slice(1) }),
    ).rejects.toThrow(/share a tenant/);
  });
});
