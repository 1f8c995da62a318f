import type { FailureRule, OtpRecord, RateHit } from "@otpkit/otp-core/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate, postgresStore } from "../src/index.js";
import { dropSchema, pool, runSchema } from "./helpers.js";

/**
 * `CheckInput.hits` on PostgreSQL (the store says `checkHits`): the rate limits judged first inside
 * the check's one statement. The shared conformance suite tests the contract on every store; these
 * tests look at the rows themselves, and race the store's functions against each other.
 */
describe("check with hits on real PostgreSQL", () => {
  const client = pool(20);
  let schema = "";
  let table = "";
  let store: ReturnType<typeof postgresStore>;
  let n = 0;
  /** A tenant of its own for every test: no key is shared between tests. */
  const fresh = () => `c${n++}`;
  const record = (id: string, now: number): OtpRecord => ({
    id,
    hash: "right",
    expiresAt: now + 60_000,
    attempts: 0,
    maxAttempts: 3,
    data: "sealed",
  });
  const failureRule = (tenant: string): FailureRule => ({
    key: `${tenant}:rl:failures:0:phone`,
    threshold: 5,
    backoffMs: 1000,
    maxBackoffMs: 60_000,
    retainMs: 600_000,
  });
  const events = async (key: string) => {
    const { rows } = await client.query(`SELECT times FROM ${table}_windows WHERE key = $1`, [key]);
    return rows.length ? (rows[0].times as string[]).map(Number) : [];
  };
  /** Every row of the three tables of one tenant, as text. */
  const rowsOf = async (tenant: string) => {
    const out: string[] = [];
    for (const name of [table, `${table}_windows`, `${table}_failures`]) {
      const { rows } = await client.query(`SELECT * FROM ${name} WHERE key LIKE $1 ORDER BY key`, [
        `${tenant}:%`,
      ]);
      out.push(...rows.map((row) => `${name} ${JSON.stringify(row)}`));
    }
    return out;
  };

  beforeAll(async () => {
    schema = await runSchema(client, "check_hits");
    table = `${schema}.otpkit_codes`;
    await migrate(client, { table });
    store = postgresStore({ client, table });
  });
  afterAll(async () => {
    await dropSchema(client, schema);
    await client.end();
  });

  it("says checkHits", () => {
    expect(store.checkHits).toBe(true);
  });

  it("one log named by several hits of one call gains every hit's events, kept for the longest window", async () => {
    const tenant = fresh();
    const key = `${tenant}:rl:shared:600:subject`;
    const now = Date.now();
    // Two hits on one key (weights 2 and 3), the second with a further rule on the same log.
    const hits: RateHit[] = [
      { key, limit: 100, windowMs: 600_000, weight: 2 },
      { key, limit: 100, windowMs: 60_000, weight: 3, also: [{ limit: 100, windowMs: 3_600_000 }] },
    ];
    expect((await store.hit(hits, now)).ok).toBe(true);
    expect(await events(key)).toEqual([now, now, now, now, now]);
    // The log is kept as long as its longest rule (an hour), not its first hit's window.
    const { rows } = await client.query(`SELECT expires_at FROM ${table}_windows WHERE key = $1`, [key]);
    expect(Number(rows[0].expires_at)).toBe(now + 3_600_000);
    // Stored now: the same call again updates it the same way.
    expect((await store.hit(hits, now + 1)).ok).toBe(true);
    expect(await events(key)).toHaveLength(10);
  });

  it("N + 50 concurrent checks under a limit of N: exactly N counted and answered, 50 limited", async () => {
    const tenant = fresh();
    const limit = 40;
    const hit: RateHit = { key: `${tenant}:rl:verify_ip:600:ip`, limit, windowMs: 600_000 };
    const now = Date.now();
    await store.put(`${tenant}:l:a`, record("ver_a", now), { now, retainUntil: now + 60_000 });
    // Wrong guesses on one record (row locks on record and window), and checks of absent records.
    const results = await Promise.all(
      Array.from({ length: limit + 50 }, (_, i) =>
        store.check(i % 2 ? `${tenant}:l:a` : `${tenant}:l:absent${i}`, {
          hashes: ["wrong"],
          now,
          hits: [hit],
        }),
      ),
    );
    const limited = results.filter((result) => result.status === "limited");
    expect(limited).toHaveLength(50);
    for (const result of limited)
      expect(result).toEqual({ status: "limited", key: hit.key, retryAfterMs: 600_000 });
    expect(await events(hit.key)).toEqual(Array(limit).fill(now));
    // Among the answered ones, the record took exactly 3 wrong guesses (then it is dead).
    const invalid = results.filter((result) => result.status === "invalid");
    expect(invalid).toHaveLength(2);
  });

  it("a refused check changes nothing: record, attempts, failure counters, windows", async () => {
    const tenant = fresh();
    const now = Date.now();
    const key = `${tenant}:l:a`;
    const hit: RateHit = { key: `${tenant}:rl:verify_ip:600:ip`, limit: 2, windowMs: 600_000 };
    const failures = [failureRule(tenant)];
    await store.put(key, record("ver_a", now), { now, retainUntil: now + 60_000 });
    expect((await store.check(key, { hashes: ["wrong"], now, failures, hits: [hit] })).status).toBe(
      "invalid",
    );
    expect((await store.check(key, { hashes: ["wrong"], now: now + 1, failures, hits: [hit] })).status).toBe(
      "invalid",
    );
    const before = await rowsOf(tenant);
    expect(before.filter((row) => row.includes("_failures "))).toHaveLength(1);
    // The right code, refused by the window: not approved, not consumed, counters kept.
    expect(await store.check(key, { hashes: ["right"], now: now + 2, failures, hits: [hit] })).toEqual({
      status: "limited",
      key: hit.key,
      retryAfterMs: 600_000 - 2,
    });
    expect(await rowsOf(tenant)).toEqual(before);
    // Without the refusing window the record is still there, with its two wrong guesses.
    expect(await store.check(key, { hashes: ["right"], now: now + 3, failures })).toMatchObject({
      status: "approved",
      record: { attempts: 2 },
    });
  });

  it("retryAfterMs is exact: the wait until enough of the oldest events leave", async () => {
    const tenant = fresh();
    const hit: RateHit = { key: `${tenant}:rl:verify_ip:10:ip`, limit: 3, windowMs: 10_000 };
    for (const at of [1000, 3000, 4000])
      expect((await store.check(`${tenant}:l:x`, { hashes: ["h"], now: at, hits: [hit] })).status).toBe(
        "not_found",
      );
    expect(await store.check(`${tenant}:l:x`, { hashes: ["h"], now: 5000, hits: [hit] })).toEqual({
      status: "limited",
      key: hit.key,
      retryAfterMs: 1000 + 10_000 - 5000,
    });
    // Weight 2 needs two events to leave: the second oldest, at 3000.
    expect(
      await store.check(`${tenant}:l:x`, { hashes: ["h"], now: 5000, hits: [{ ...hit, weight: 2 }] }),
    ).toEqual({ status: "limited", key: hit.key, retryAfterMs: 3000 + 10_000 - 5000 });
    // Among several rules, the one refusing for longest is named.
    const other: RateHit = { key: `${tenant}:rl:verify_ip:60:ip`, limit: 1, windowMs: 60_000 };
    await store.hit([other], 4500);
    expect(await store.check(`${tenant}:l:x`, { hashes: ["h"], now: 5000, hits: [hit, other] })).toEqual({
      status: "limited",
      key: other.key,
      retryAfterMs: 4500 + 60_000 - 5000,
    });
    // Once the oldest event left, there is room again.
    expect((await store.check(`${tenant}:l:x`, { hashes: ["h"], now: 11_000, hits: [hit] })).status).toBe(
      "not_found",
    );
    expect(await events(hit.key)).toEqual([3000, 4000, 11_000]);
  });

  it("counted whatever the verdict: not_found, invalid, expired, too_many_attempts, locked, approved", async () => {
    const tenant = fresh();
    const now = Date.now();
    const hit: RateHit = { key: `${tenant}:rl:verify_ip:600:ip`, limit: 100, windowMs: 600_000 };
    const key = `${tenant}:l:a`;
    const failures = [{ ...failureRule(tenant), threshold: 1 }];
    const statuses: string[] = [];
    const check = async (at: number, hashes: string[], options: { failures?: FailureRule[] } = {}) =>
      statuses.push((await store.check(key, { hashes, now: at, hits: [hit], ...options })).status);
    await check(now, ["right"]); // not_found
    await store.put(key, { ...record("ver_a", now), maxAttempts: 1 }, { now, retainUntil: now + 120_000 });
    await check(now + 1, ["wrong"]); // the last attempt, counted: too_many_attempts
    await check(now + 2, ["right"]); // too_many_attempts, found exhausted
    await store.put(key, record("ver_b", now), { now, retainUntil: now + 120_000 });
    await check(now + 60_000, ["right"]); // expired
    await store.put(key, record("ver_c", now), { now, retainUntil: now + 120_000 });
    await check(now + 3, ["wrong"], { failures }); // invalid, the counter now refuses
    await check(now + 4, ["right"], { failures }); // locked
    await check(now + 2000, ["right"], { failures }); // approved
    expect(statuses).toEqual([
      "not_found",
      "too_many_attempts",
      "too_many_attempts",
      "expired",
      "invalid",
      "locked",
      "approved",
    ]);
    expect(await events(hit.key)).toHaveLength(statuses.length);
  });

  it("puts and checks racing on the same window and record: the window lets exactly its limit through", async () => {
    const tenant = fresh();
    const now = Date.now();
    const key = `${tenant}:l:a`;
    const limit = 30;
    const hit: RateHit = { key: `${tenant}:rl:shared:600:x`, limit, windowMs: 600_000 };
    const other: RateHit = { key: `${tenant}:rl:verify_ip:600:y`, limit: 1000, windowMs: 600_000 };
    // Different key orders and both lock orders' sides (windows, failure counters, record) at once.
    const results = await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        i % 2
          ? store
              .put(key, record(`ver_${i}`, now), { now, retainUntil: now + 60_000, hits: [other, hit] })
              .then((result) => result.ok)
          : store
              .check(key, { hashes: ["wrong"], now, failures: [failureRule(tenant)], hits: [hit, other] })
              .then((result) => result.status !== "limited"),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(limit);
    expect(await events(hit.key)).toHaveLength(limit);
    expect(await events(other.key)).toHaveLength(limit);
  });

  it("a log stays in time order when an earlier clock commits later, and is judged as such", async () => {
    const tenant = fresh();
    const hit: RateHit = { key: `${tenant}:rl:ip:10:x`, limit: 3, windowMs: 10_000 };
    expect((await store.hit([hit], 5000)).ok).toBe(true);
    expect((await store.hit([hit], 2000)).ok).toBe(true);
    expect((await store.hit([{ ...hit, weight: 1 }], 4000)).ok).toBe(true);
    expect(await events(hit.key)).toEqual([2000, 4000, 5000]);
    // Refused until the oldest (2000) leaves, whatever order the events came in.
    expect(await store.hit([hit], 6000)).toEqual({
      ok: false,
      key: hit.key,
      retryAfterMs: 2000 + 10_000 - 6000,
    });
    // At 12_500 the event at 2000 is out of the window: one counted, the log trimmed.
    expect((await store.hit([hit], 12_500)).ok).toBe(true);
    expect(await events(hit.key)).toEqual([4000, 5000, 12_500]);
  });

  it("a database without the functions fails with a message naming migrate(), never degrades", async () => {
    const bare = `${schema}.bare`;
    await migrate(client, { table: bare });
    for (const fn of ["put", "hit", "check"]) await client.query(`DROP FUNCTION ${bare}_${fn}`);
    const old = postgresStore({ client, table: bare });
    const now = Date.now();
    const hit: RateHit = { key: "t:rl:ip:10:x", limit: 3, windowMs: 10_000 };
    await expect(old.put("t:l:a", record("ver_a", now), { now, retainUntil: now + 1000 })).rejects.toThrow(
      /migrate\(\)/,
    );
    await expect(old.hit([hit], now)).rejects.toThrow(/migrate\(\)/);
    await expect(old.check("t:l:a", { hashes: ["h"], now })).rejects.toThrow(/migrate\(\)/);
    // Nothing was written by any of them.
    const { rows } = await client.query(
      `SELECT (SELECT count(*) FROM ${bare})::int + (SELECT count(*) FROM ${bare}_windows)::int AS rows`,
    );
    expect(rows[0].rows).toBe(0);
    // migrate() installs them again.
    await migrate(client, { table: bare });
    expect((await old.hit([hit], now)).ok).toBe(true);
  });
});
