import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate, postgresStore } from "../src/index.js";
import { databaseUrl, dropSchema, pool, runSchema } from "./helpers.js";

/**
 * The prepared statements keep PostgreSQL's generic plan: after its first five (custom) plans a
 * statement is planned once per session, not on every call. With the rule keys in one array
 * parameter the planner guessed 10 rules, priced the generic plan above the custom ones and
 * re-planned every call (a single-rule `hit` always; `put` once the windows table had grown).
 */
describe("plan caching on real PostgreSQL", () => {
  const admin = pool(2);
  const session = new pg.Client({ connectionString: databaseUrl });
  let schema = "";
  beforeAll(async () => {
    schema = await runSchema(admin, "plans");
    await migrate(admin, { table: `${schema}.otpkit_codes` });
    await session.connect();
  });
  afterAll(async () => {
    await session.end();
    await dropSchema(admin, schema);
    await admin.end();
  });

  it("put and hit run on generic plans after the first five calls, for one rule or seven", async () => {
    const store = postgresStore({ client: session, table: `${schema}.otpkit_codes` });
    const now = Date.now();
    const rules: Array<[string, number, number]> = [
      ["phone", 3, 3600],
      ["phone", 10, 86_400],
      ["ceiling", 10, 3600],
      ["ceiling", 30, 86_400],
      ["cooldown", 1, 60],
      ["ip", 10, 600],
      ["prefix", 1000, 3600],
    ];
    const calls = 12;
    for (let i = 0; i < calls; i++) {
      const hits = rules.map(([name, limit, seconds]) => ({
        key: `t:rl:${name}:${seconds}:subject${i}`,
        limit,
        windowMs: seconds * 1000,
      }));
      const record = {
        id: `ver_l6${String(i).padStart(32, "0")}`,
        hash: "h",
        expiresAt: now + 60_000,
        attempts: 0,
        maxAttempts: 3,
        data: "d",
      };
      expect((await store.put(`t:l:subject${i}`, record, { now, retainUntil: now + 60_000, hits })).ok).toBe(
        true,
      );
      expect(
        (await store.hit([{ key: `t:rl:verify_ip:600:ip${i}`, limit: 10, windowMs: 600_000 }], now)).ok,
      ).toBe(true);
    }
    const { rows } = await session.query(
      "SELECT name, generic_plans, custom_plans FROM pg_prepared_statements WHERE name LIKE 'otpkit_%'",
    );
    const plans = (prefix: string) => rows.filter((row) => row.name.startsWith(prefix));
    for (const prefix of ["otpkit_put7_", "otpkit_hit1_"]) {
      expect(plans(prefix), prefix).toHaveLength(1);
      const [row] = plans(prefix);
      expect(Number(row.custom_plans) + Number(row.generic_plans)).toBe(calls);
      // PostgreSQL's rule: five custom plans, then the generic one if it is no dearer.
      expect(Number(row.generic_plans), prefix).toBe(calls - 5);
    }
  });
});
