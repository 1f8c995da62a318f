import { readFile } from "node:fs/promises";
import { createOtp, createOtpHandler, outbox } from "@otpkit/otp-core";
import { expectStoreUnavailable } from "@otpkit/otp-core/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate, postgresStore, schemaSql } from "../src/index.js";
import { closedPort, databaseUrl, dropSchema, pool, runSchema } from "./helpers.js";

const secret = "postgres-test-secret-postgres-test-secret";
const phones = ["+14155552671", "+14155552672", "+447400123456", "+33612345678"];

describe("through createOtp on real PostgreSQL", () => {
  const client = pool(5);
  let schema = "";
  let table = "";
  beforeAll(async () => {
    schema = await runSchema(client, "otp");
    table = `${schema}.otpkit_codes`;
    await migrate(client, { table });
  });
  afterAll(async () => {
    await dropSchema(client, schema);
    await client.end();
  });

  it("migrate is idempotent, and schema.sql is the DDL for the default table", async () => {
    await migrate(client, { table });
    expect(await readFile(new URL("../schema.sql", import.meta.url), "utf8")).toBe(schemaSql());
  });

  it("migrate drops the functions development builds installed, and the store works after it", async () => {
    const old = await runSchema(client, "otp_old");
    const oldTable = `${old}.otpkit_codes`;
    const rules = "text[], int[], bigint[], int[], text[], int[], float8[], int[], bigint[]";
    const signatures = [
      `${oldTable}_put(text, text, text, text, bigint, int, int, text, bigint, bigint, text, boolean, ${rules})`,
      `${oldTable}_hit(bigint, ${rules})`,
      `${oldTable}_check(text, text, text[], bigint, text[], int[], bigint[], bigint[], bigint[], ${rules})`,
    ];
    try {
      await migrate(client, { table: oldTable });
      // What a development build left: the nine-array functions, answering with OUT columns.
      for (const [i, signature] of signatures.entries()) {
        const [out, answer] = [
          ["OUT o_allowed boolean", "true"],
          ["OUT o_refused_rule int, OUT o_retry_after_ms bigint", "NULL::int, NULL::bigint"],
          ["OUT o_status text", "NULL::text"],
        ][i]!;
        await client.query(
          `CREATE FUNCTION ${signature.replace(/\)$/, `, ${out})`)} LANGUAGE sql AS $$ SELECT ${answer} $$`,
        );
      }
      await migrate(client, { table: oldTable });
      for (const signature of signatures) {
        const { rows } = await client.query("SELECT to_regprocedure($1) AS oid", [signature]);
        expect(rows[0].oid, signature).toBeNull();
      }
      const sender = outbox();
      const otp = createOtp({ secret, store: postgresStore({ client, table: oldTable }), sender });
      const { id } = await otp.send({ phone: phones[1]!, ip: "203.0.113.10" });
      await expect(otp.verify({ id, code: sender.lastCode(phones[1]!)! })).resolves.toMatchObject({
        status: "approved",
      });
    } finally {
      await dropSchema(client, old);
    }
  });

  it("tables made before keys compared byte by byte (the database's collation) work the same", async () => {
    const old = await runSchema(client, "otp_collation");
    const oldTable = `${old}.otpkit_codes`;
    try {
      await migrate(client, { table: oldTable });
      for (const suffix of ["", "_windows", "_failures"])
        await client.query(`ALTER TABLE ${oldTable}${suffix} ALTER COLUMN key TYPE text COLLATE "default"`);
      const { rows } = await client.query(
        `SELECT count(*)::int AS n FROM pg_attribute WHERE attname = 'key' AND attcollation = 'default'::regcollation
          AND attrelid IN ('${oldTable}'::regclass, '${oldTable}_windows'::regclass, '${oldTable}_failures'::regclass)`,
      );
      expect(rows[0].n).toBe(3);
      const store = postgresStore({ client, table: oldTable });
      const now = Date.now();
      const hit = { key: "t:rl:phone:3600:collation", limit: 3, windowMs: 3_600_000 };
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          store.put(
            `t:l:collation${i}`,
            { id: `ver_c${i}`, hash: "h", expiresAt: now + 60_000, attempts: 0, maxAttempts: 3, data: "d" },
            { now, retainUntil: now + 60_000, hits: [hit, { ...hit, key: `t:rl:ip:600:${i % 2}` }] },
          ),
        ),
      );
      expect(results.filter((result) => result.ok)).toHaveLength(3);
      const sender = outbox();
      const otp = createOtp({ secret, store, sender });
      const { id } = await otp.send({ phone: phones[2]!, ip: "203.0.113.11" });
      await expect(otp.verify({ id, code: sender.lastCode(phones[2]!)! })).resolves.toMatchObject({
        status: "approved",
      });
    } finally {
      await dropSchema(client, old);
    }
  });

  it("refuses table names that are not plain identifiers", () => {
    for (const bad of ['codes"; DROP TABLE x; --', "a.b.c", "1codes", ""]) {
      expect(() => postgresStore({ client, table: bad })).toThrow(/plain identifier/);
    }
  });

  it("sends, verifies, limits; one row per pending code", async () => {
    const sender = outbox();
    const otp = createOtp({ secret, store: postgresStore({ client, table }), sender });
    const first = await otp.send({ phone: phones[0]!, ip: "203.0.113.9", tenant: "acme", purpose: "signup" });
    const code = sender.lastCode(phones[0]!)!;
    await expect(
      otp.verify({ id: first.id, code: code === "000000" ? "111111" : "000000", tenant: "acme" }),
    ).rejects.toMatchObject({ code: "invalid_code", attemptsLeft: 2 });
    await expect(otp.verify({ id: first.id, code, tenant: "acme" })).resolves.toMatchObject({
      status: "approved",
      phone: phones[0],
    });
    await expect(otp.verify({ id: first.id, code, tenant: "acme" })).rejects.toMatchObject({
      code: "not_found",
    });
    await expect(
      otp.send({ phone: phones[0]!, ip: "203.0.113.9", tenant: "acme", purpose: "signup" }),
    ).rejects.toMatchObject({ code: "rate_limited" }); // the same requester's cooldown
    const { rows } = await client.query(`SELECT key FROM ${table}`);
    expect(rows).toHaveLength(0); // consumed
    const windows = await client.query(`SELECT key, cardinality(times) AS events FROM ${table}_windows`);
    expect(windows.rows.map((row) => row.key.split(":").slice(1, 4).join(":")).sort()).toEqual([
      // One row per subject carries its hour and day rules (the store says `sharedLogs`).
      "rl:ceiling:3600+86400",
      "rl:cooldown:60",
      "rl:ip:600",
      "rl:phone:3600+86400",
      "rl:prefix:3600",
      // The fraud guard's conversion tripwire: sends, and the verification the test just made.
      "rl:sent_country:3600",
      "rl:sent_range:3600",
      "rl:verified_country:3600",
      "rl:verified_range:3600",
    ]);
    // A shared log is kept as long as its longest window: the day.
    const phoneLog = await client.query(
      `SELECT expires_at FROM ${table}_windows WHERE key LIKE '%:rl:phone:3600+86400:%'`,
    );
    expect(Number(phoneLog.rows[0].expires_at)).toBeGreaterThan(Date.now() + 23 * 3_600_000);
    // The wrong guess counted one consecutive failure per requester and per phone; the right code reset them.
    const failures = await client.query(`SELECT key FROM ${table}_failures`);
    expect(failures.rows).toHaveLength(0);
  });

  it("deleteExpired sweeps records past retention, windows past their last event, and old failure counters", async () => {
    const store = postgresStore({ client, table: `${schema}.sweep` });
    await migrate(client, { table: `${schema}.sweep` });
    const now = Date.now();
    const record = { id: "ver_a", hash: "h", expiresAt: now + 1000, attempts: 0, maxAttempts: 3, data: "{}" };
    await store.put("t:l:old", record, {
      now,
      retainUntil: now + 2000,
      hits: [{ key: "t:rl:ip:1:x", limit: 5, windowMs: 1000 }],
    });
    await store.put("t:l:new", { ...record, id: "ver_b" }, { now, retainUntil: now + 60_000 });
    const counter = {
      key: "t:rl:failures:0:x",
      threshold: 5,
      backoffMs: 10,
      maxBackoffMs: 10,
      retainMs: 1500,
    };
    expect((await store.check("t:l:old", { hashes: ["wrong"], now, failures: [counter] })).status).toBe(
      "invalid",
    );
    expect(await store.deleteExpired(now)).toEqual({ records: 0, windows: 0, failures: 0 });
    expect(await store.deleteExpired(now + 2000)).toEqual({ records: 1, windows: 1, failures: 1 });
    expect((await store.check("t:l:new", { hashes: ["h"], now: now + 500 })).status).toBe("approved");
  });
});

describe("fails closed when PostgreSQL is unreachable", () => {
  const send = (otp: ReturnType<typeof createOtp>) => otp.send({ phone: phones[0]!, ip: "203.0.113.1" });
  const verify = (otp: ReturnType<typeof createOtp>) =>
    otp.verify({ id: "ver_l6AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB", code: "123456" });
  const deadPool = async () =>
    new pg.Pool({
      host: "127.0.0.1",
      port: await closedPort(),
      user: "postgres",
      database: "test",
      connectionTimeoutMillis: 1000,
      query_timeout: 2000,
    });

  it("a pg Pool on a closed port: send and verify throw store_unavailable at once", async () => {
    const client = await deadPool();
    const otp = createOtp({ secret, store: postgresStore({ client }), sender: outbox() });
    await expectStoreUnavailable(send(otp), 1000);
    await expectStoreUnavailable(verify(otp), 1000);
    await client.end();
  });

  it("a client that never answers: the store's own timeout bounds it", async () => {
    const never = { query: () => new Promise<never>(() => {}) };
    const otp = createOtp({
      secret,
      store: postgresStore({ client: never, timeoutMs: 300 }),
      sender: outbox(),
    });
    expect(await expectStoreUnavailable(send(otp), 1500)).toBeGreaterThanOrEqual(250);
    await expectStoreUnavailable(verify(otp), 1500);
  });

  it("the HTTP handler answers 503 store_unavailable, never a verification", async () => {
    const client = await deadPool();
    const otp = createOtp({ secret, store: postgresStore({ client }), sender: outbox() });
    const errors: unknown[] = [];
    const handler = createOtpHandler(otp, { onError: (error) => errors.push(error), verifyBy: "phone" });
    const post = (path: string, body: unknown) =>
      handler(
        new Request(`http://localhost/v1/sms/verify/${path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        }),
        { ip: "203.0.113.7" },
      );
    for (const response of [
      await post("send", { phone: phones[0] }),
      await post("check", { id: "ver_l6AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB", code: "123456" }),
      await post("check", { phone: phones[0], code: "123456" }),
    ]) {
      expect(response.status).toBe(503);
      expect((await response.json()).error.code).toBe("store_unavailable");
    }
    expect(errors).toHaveLength(3);
    await client.end();
  });
});

describe("postgresStore.fromUrl", () => {
  it("makes its own pool, creates the tables, and closes it", async () => {
    const admin = pool(1);
    const schema = await runSchema(admin, "from_url");
    try {
      const url = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
      const store = await postgresStore.fromUrl(url, { table: `${schema}.codes`, max: 2 });
      const sender = outbox();
      const otp = createOtp({ secret, store, sender });
      const sent = await otp.send({ phone: phones[2]! });
      await expect(otp.verify({ id: sent.id, code: sender.lastCode(phones[2]!)! })).resolves.toMatchObject({
        status: "approved",
      });
      await store.close();
      await expect(store.client.query("SELECT 1")).rejects.toThrow();
    } finally {
      await dropSchema(admin, schema);
      await admin.end();
    }
  });

  it("refuses an unreachable server promptly, naming it without its password", async () => {
    const url = `postgres://postgres:hunter2@127.0.0.1:${await closedPort()}/test`;
    const error = await postgresStore
      .fromUrl(url, { connectTimeoutMs: 500 })
      .catch((caught: Error) => caught);
    expect((error as Error).message).toMatch(
      /^PostgreSQL at postgres:\/\/127\.0\.0\.1:\d+\/test is unavailable/,
    );
    expect((error as Error).message).not.toContain("hunter2");
  });
});

/**
 * The prepared statements keep PostgreSQL's generic plan: after its first five (custom) plans a
 * statement is planned once per session, not on every call. (A statement of CTEs with the rule
 * keys in one array parameter made the planner guess 10 rules, price the generic plan above the
 * custom ones and re-plan every call; the statements now call the schema's functions, whose own
 * statements are primary-key lookups.)
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

  it("put, hit and check run on generic plans after the first five calls, for one rule or seven", async () => {
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
      const checked = await store.check(`t:l:subject${i}`, {
        hashes: ["h"],
        now,
        hits: [{ key: `t:rl:verify_ip:600:ip${i}`, limit: 10, windowMs: 600_000 }],
      });
      expect(checked.status).toBe("approved");
    }
    const { rows } = await session.query(
      "SELECT name, generic_plans, custom_plans FROM pg_prepared_statements WHERE name LIKE 'otpkit_%'",
    );
    const plans = (prefix: string) => rows.filter((row) => row.name.startsWith(prefix));
    for (const prefix of ["otpkit_put_", "otpkit_hit_", "otpkit_check_"]) {
      expect(plans(prefix), prefix).toHaveLength(1);
      const [row] = plans(prefix);
      expect(Number(row.custom_plans) + Number(row.generic_plans)).toBe(calls);
      // PostgreSQL's rule: five custom plans, then the generic one if it is no dearer.
      expect(Number(row.generic_plans), prefix).toBe(calls - 5);
    }
  });
  it("on new tables, never analyzed, every statement inside put, hit and check reads by primary key", async () => {
    // A generic plan made on an empty table is kept while the table grows (until autovacuum
    // analyzes it): no sequential or bitmap scan, and every index scan bounded by a condition
    // on the key (a join may hash or merge, over rows found by key).
    const fresh = await runSchema(admin, "fresh");
    const explained = new pg.Client({ connectionString: databaseUrl });
    const plans: string[] = [];
    explained.on("notice", (notice) => plans.push(notice.message ?? ""));
    try {
      await migrate(admin, { table: `${fresh}.otpkit_codes` });
      await explained.connect();
      // auto_explain prints the plan of every statement the functions run, as a notice.
      await explained.query(
        "LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0; SET auto_explain.log_nested_statements = on; SET auto_explain.log_level = notice",
      );
      const store = postgresStore({ client: explained, table: `${fresh}.otpkit_codes` });
      const now = Date.now();
      const hits = [
        { key: "t:rl:phone:3600:a", limit: 1000, windowMs: 3_600_000 },
        {
          key: "t:rl:ip:600:b",
          limit: 1000,
          windowMs: 600_000,
          ratio: { key: "t:rl:verified:600:b", minEvents: 10_000, minRatio: 0.1 },
        },
      ];
      const record = (id: string) => ({
        id,
        hash: "h",
        expiresAt: now + 60_000,
        attempts: 0,
        maxAttempts: 3,
        data: "d",
      });
      const failures = [
        { key: "t:rl:failures:0:a", threshold: 3, backoffMs: 1000, maxBackoffMs: 60_000, retainMs: 60_000 },
      ];
      for (let i = 0; i < 8; i++) {
        // A new record, then one replaced (carry, ifId), then a wrong and a right code.
        await store.put(`t:l:${i}`, record(`ver_a${i}`), { now, retainUntil: now + 60_000, hits });
        await store.put(`t:l:${i}`, record(`ver_b${i}`), {
          now,
          retainUntil: now + 60_000,
          hits,
          carry: true,
          ifId: `ver_a${i}`,
        });
        await store.hit(hits, now);
        expect((await store.check(`t:l:${i}`, { hashes: ["x"], now, failures, hits })).status).toBe(
          "invalid",
        );
        expect((await store.check(`t:l:${i}`, { hashes: ["h"], now, failures, hits })).status).toBe(
          "approved",
        );
      }
    } finally {
      await explained.end();
      await dropSchema(admin, fresh);
    }
    const nested = plans.filter((plan) => /otpkit_codes/.test(plan) && !/Query Text: SELECT "/.test(plan));
    expect(nested.length).toBeGreaterThan(40);
    expect(nested.join("\n")).toMatch(/Index Scan using otpkit_codes_windows_pkey/);
    for (const plan of nested) {
      expect(plan).not.toMatch(/Seq Scan on otpkit|Bitmap Heap Scan/);
      const lines = plan.split("\n");
      for (const [i, line] of lines.entries())
        if (/Index Scan using \S+ on otpkit/.test(line))
          expect(lines[i + 1]?.trim(), `${line} is bounded`).toMatch(/^Index Cond: \(key = /);
    }
  });
});
