import { randomBytes } from "node:crypto";
import type { RateHit, Store } from "@otpkit/otp-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate, postgresStorage } from "../src/index.js";
import { dropSchema, pool, runSchema } from "./helpers.js";

/**
 * Beyond the shared suite: many concurrent operations over overlapping sets of windows. Each window
 * must end up holding exactly the events of the operations that were accepted (all-or-nothing
 * across keys), and never more than its limit.
 */
async function overlappingWindows(store: Store, tenant: string) {
  const limit = 7;
  const keys = ["a", "b", "c", "d"].map(
    (name) => `${tenant}:rl:${name}:60:${randomBytes(4).toString("hex")}`,
  );
  const subsets = [
    [0, 1],
    [1, 2],
    [2, 3],
    [3, 0],
    [0, 2],
    [1, 3],
    [0, 1, 2, 3],
  ];
  const now = Date.now();
  // Random subsets: refusals then happen while other windows of the same operation still have room.
  const operations = Array.from({ length: 300 }, () => subsets[Math.floor(Math.random() * subsets.length)]!);
  const results = await Promise.all(
    operations.map((subset, i) => {
      const hits: RateHit[] = subset.map((k) => ({ key: keys[k]!, limit, windowMs: 60_000 }));
      return i % 2
        ? store.hit(hits, now)
        : store
            .put(`${tenant}:l:${randomBytes(6).toString("hex")}`, record(now), {
              now,
              retainUntil: now + 60_000,
              hits,
            })
            .then((result) => (result.ok ? { ok: true as const } : result));
    }),
  );
  for (const [k, key] of keys.entries()) {
    const accepted = operations.filter((subset, i) => subset.includes(k) && results[i]!.ok).length;
    expect(accepted).toBeLessThanOrEqual(limit);
    // What the window holds is exactly what was accepted: the rest of the limit is still free.
    let free = 0;
    while ((await store.hit([{ key, limit, windowMs: 60_000 }], now)).ok) free++;
    expect(accepted + free).toBe(limit);
  }
}

const record = (now: number) => ({
  id: `ver_${randomBytes(8).toString("hex")}`,
  hash: randomBytes(32).toString("base64url"),
  expiresAt: now + 30_000,
  attempts: 0,
  maxAttempts: 3,
  data: "{}",
});

describe("postgres races beyond the suite", () => {
  const client = pool(20);
  let schema = "";
  let store: Store;
  beforeAll(async () => {
    schema = await runSchema(client, "races");
    await migrate(client, { table: `${schema}.otpkit_codes` });
    store = postgresStorage({ client, table: `${schema}.otpkit_codes` });
  });
  afterAll(async () => {
    await dropSchema(client, schema);
    await client.end();
  });

  // Fresh windows each run: the statements create rows concurrently (unique violations, retried)
  // and lock rows other statements are creating (the deadlock detector's case, retried).
  for (let run = 1; run <= 3; run++) {
    it(`overlapping windows under 300 concurrent puts and hits stay exact (run ${run})`, async () => {
      await overlappingWindows(store, `t${run}`);
    });
  }
});
