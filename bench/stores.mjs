// Send + verify pairs per second through otpkit on Redis and PostgreSQL, against the raw client
// doing the minimal equivalent work, in one run on one machine (loopback). Prints figures; asserts
// nothing. Bounded: each figure runs for BENCH_MS in total (default 2000 ms).
//   pnpm build && node bench/stores.mjs     (REDIS_URL, DATABASE_URL, BENCH_MS, BENCH_ONLY=redis|postgres,
//                                            BENCH_BASE=<another checkout, built> adds its otpkit)
//
// Paired, interleaved measurement: a small VM's speed drifts by ±20% over seconds (other tenants,
// CPU frequency), which is larger than the differences measured here. So each figure is cut into
// SLICES short slices, and the variants take turns slice by slice (raw, store, …, raw, store, …):
// every variant sees the same mix of fast and slow moments. A figure is its total pairs over its
// total time; each ratio is also shown as the range of the per-turn ratios (variant vs the raw
// slice of the same turn), so the noise is on the page rather than hidden in a best-of.
//
// Rows, per server and per concurrency (1 = sequential, 64 in flight):
//   raw                 the raw client doing the equivalent minimal work by hand: the same record
//                       fields and checks as the store, nothing else (see rawRedisPair /
//                       rawPostgresPair below). Every ratio is against this row.
//   raw, hash only      (Redis) for scale: a bare hash under a TTL, compared and deleted — less than
//                       a correct OTP store can do (no id, expiry or attempt checks, no data back)
//   store               the store's put + check for one pair, keys and hashes precomputed: the same
//                       round trips as raw, through the store package (its own overhead). The
//                       issue's target is read on this row: the store against the raw client.
//   store, windows      the same put also counting the full pair's rate-limit windows (as the
//                       core lays them out: shared logs for the per-phone hour + day and the
//                       ceiling's, resend cooldown, per IP, per number prefix)
//   otpkit, limits off  createOtp + the store, an instant in-memory sender, verify by id, rules off
//   otpkit              the same with the default rules, fraud guard off (the "full pair"):
//                       core + store + the default windows. Shown against the same target, for
//                       honesty: the core's own CPU per pair (phone validation, three HMACs, code
//                       and id generation) exceeds the whole client CPU of a raw Redis pair.
//   raw, equivalent     the "equivalent raw pair" (bench/equivalent.mjs): the same keys, rows and
//                       payload bytes as the full otpkit pair (sealed record, every window, the
//                       failure counters a verify reads), written and read by hand. The line
//                       "otpkit / raw, equivalent" under each table is the target (Redis
//                       ≥ 0.6, PostgreSQL ≥ 0.8 at 64 in flight), with its per-turn range.
// and for each, the CPU it took per pair, in this process (client) and in the server's processes.

import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  rawPostgresPair as equivalentPostgresPair,
  rawRedisPair as equivalentRedisPair,
  fullPair,
  growTables,
  keysOf,
  pairShape,
} from "./equivalent.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const packages = join(here, "../packages");
// The node build of core: its `node` export condition picks node:crypto for the HMACs.
const core = await import(join(packages, "otp-core/dist/node/index.js"));
const { redisStore } = await import(join(packages, "storage-redis/dist/index.js"));
const { postgresStore, migrate } = await import(join(packages, "storage-postgres/dist/index.js"));
const importFrom = (pkg, name) =>
  import(pathToFileURL(createRequire(join(packages, pkg, "package.json")).resolve(name)).href);
const { Redis } = await importFrom("storage-redis", "ioredis");
const { default: pg } = await importFrom("storage-postgres", "pg");

/**
 * BENCH_BASE=<another checkout, built>: adds "otpkit @ base", the same full pair through that
 * checkout's core and stores, in the same turns — a before/after in one run.
 */
const baseRoot = process.env.BENCH_BASE;
const base = baseRoot
  ? {
      core: await import(join(baseRoot, "packages/otp-core/dist/node/index.js")),
      redis: await import(join(baseRoot, "packages/storage-redis/dist/index.js")),
      postgres: await import(join(baseRoot, "packages/storage-postgres/dist/index.js")),
    }
  : undefined;

const budgetMs = Number(process.env.BENCH_MS ?? 2000);
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const databaseUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const poolSize = 16;
const run = randomBytes(4).toString("hex");
const secret = "bench-secret-bench-secret-bench-secret!";

/** Distinct valid US numbers; the exchange (what the per-prefix rule sees) varies fastest. */
const phoneAt = (i) => `+1415${200 + (i % 800)}${String(Math.floor(i / 800) % 10_000).padStart(4, "0")}`;
/** A client IP per pair from a large pool, as real traffic has. */
const ipAt = (i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

/**
 * Keys as scattered as real ones (core keys carry a keyed digest of the phone): sequential keys
 * would flatter every B-tree and hash table.
 */
const scattered = (i) => (Math.imul(i + 1, 0x9e3779b1) >>> 0).toString(36).padStart(7, "0") + i.toString(36);

/** A verification id shaped like the core's (`ver_`, purpose, length, key digest, random part). */
const idFor = (subject) => `ver_l6${subject.padStart(16, "0")}abcdefghijklmnop`;

/** The record every pair carries: what the core keeps (phone, masked phone, metadata), an HMAC. */
const rawData = JSON.stringify({ phone: "+14155552671", masked: "+1 415-***-**71", metadata: {} });
const rawHash = randomBytes(32).toString("base64url");

let tenants = 0;
/** A fresh tenant per measurement keeps its windows and records apart from every other one. */
const freshTenant = () => `b${run}${tenants++}`;

// ---------------------------------------------------------------------------------------------
// The pairs. Each maker returns `pair(i)`, one send + one verify.

/**
 * createOtp's options for the full pair: the default rules — per phone and per-phone ceiling (hour
 * and day, one shared log each), resend cooldown, per IP, per number prefix — counted atomically
 * with every send's write, the prefix limit raised so this bench's traffic stays under it, the
 * fraud guard off (its overhead is measured apart). `limitsOff` turns every rule off.
 */
const otpkitOptions = (limitsOff = false) => ({
  secret,
  limits: limitsOff
    ? { perPhone: [], perIp: [], resendCooldownSeconds: 0, perPrefix: false }
    : { perPrefix: { rules: [{ limit: 1_000_000, windowSeconds: 3600 }] } },
  guard: { tripwire: false },
});

// Both steps carry the client's IP, as every adapter's do: the send counts its per-IP window, the
// verify its per-IP budget (inside the check, on a store that says `checkHits`).
/** The keys, rows and bytes of one full pair, recorded once (see bench/equivalent.mjs). */
const shape = await pairShape(core, otpkitOptions(), { phone: phoneAt(0), ip: ipAt(0) }, { ip: ipAt(0) });

const otpkitPair = (store, { limitsOff = false, engine = core } = {}) =>
  fullPair({ engine, store, options: otpkitOptions(limitsOff), tenant: freshTenant(), phoneAt, ipAt });

/**
 * The store calls of one otpkit pair, with what the core would compute precomputed: a put (with the
 * five default rate-limit windows, or none) and a check.
 */
function storeOnlyPair(store, { windows = true } = {}) {
  const tenant = freshTenant();
  return async (i) => {
    const now = Date.now();
    const subject = scattered(i);
    const key = `${tenant}:l:${subject}`;
    const id = idFor(subject);
    const keys = windows ? keysOf(shape, i, scattered) : undefined;
    const hits = keys ? keys.windows.map((window) => ({ ...window, key: `${tenant}:${window.key}` })) : [];
    const checkHits = keys ? keys.checkHits.map((hit) => ({ ...hit, key: `${tenant}:${hit.key}` })) : [];
    const record = {
      id,
      hash: rawHash,
      expiresAt: now + 300_000,
      attempts: 0,
      maxAttempts: 3,
      data: rawData,
    };
    const put = await store.put(key, record, { now, retainUntil: now + 900_000, hits });
    if (!put.ok) throw new Error("store pair: refused");
    const checked = await store.check(
      key,
      checkHits.length ? { id, hashes: [rawHash], now, hits: checkHits } : { id, hashes: [rawHash], now },
    );
    if (checked.status !== "approved") throw new Error(`store pair: ${checked.status}`);
  };
}

/**
 * The raw pairs do, by hand, the least a correct OTP store must do — the equivalent of the store's
 * work, minus everything otpkit adds around it: keep the code's HMAC with the verification id, the
 * expiry, the attempt counters and the data a verify must hand back (who was verified), under a
 * TTL; then, atomically, refuse a superseded, expired or exhausted code, compare, and either
 * consume the record and return its data or count the wrong guess.
 */
const rawRedisPut = `redis.call('HSET', KEYS[1], 'id', ARGV[1], 'hash', ARGV[2], 'expiresAt', ARGV[3],
  'attempts', 0, 'maxAttempts', ARGV[4], 'data', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return 1`;
const rawRedisConsume = `local f = redis.call('HMGET', KEYS[1], 'id', 'hash', 'expiresAt', 'attempts', 'maxAttempts', 'data')
if not f[2] or f[1] ~= ARGV[1] or tonumber(f[3]) <= tonumber(ARGV[3]) or tonumber(f[4]) >= tonumber(f[5]) then
  return false
end
if f[2] == ARGV[2] then redis.call('DEL', KEYS[1]) return f[6] end
redis.call('HINCRBY', KEYS[1], 'attempts', 1)
return false`;

/** Raw Redis: an EVALSHA that writes the record hash with a TTL, an EVALSHA that checks and consumes it. */
async function rawRedisPair(client, prefix) {
  const put = await client.script("LOAD", rawRedisPut);
  const consume = await client.script("LOAD", rawRedisConsume);
  const tenant = freshTenant();
  return async (i) => {
    const subject = scattered(i);
    const key = `{${prefix}}:raw:${tenant}:${subject}`;
    const id = idFor(subject);
    const now = Date.now();
    await client.evalsha(put, 1, key, id, rawHash, String(now + 300_000), "3", rawData, "900000");
    if ((await client.evalsha(consume, 1, key, id, rawHash, String(now))) === null)
      throw new Error("raw redis: not consumed");
  };
}

/**
 * For scale only: the smallest pair one could still call an OTP store — a hash under a TTL, compared
 * and deleted; no id, no expiry or attempt checks, nothing handed back.
 */
async function rawRedisHashOnlyPair(client, prefix) {
  const put = await client.script(
    "LOAD",
    `redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`,
  );
  const consume = await client.script(
    "LOAD",
    `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0`,
  );
  const tenant = freshTenant();
  return async (i) => {
    const key = `{${prefix}}:raw0:${tenant}:${scattered(i)}`;
    await client.evalsha(put, 1, key, rawHash, "900000");
    if ((await client.evalsha(consume, 1, key, rawHash)) !== 1) throw new Error("raw redis: not consumed");
  };
}

/** Raw pg: an INSERT … ON CONFLICT upsert and an UPDATE … RETURNING that consumes, as plain queries. */
async function rawPostgresPair(pool, schema) {
  const table = `${schema}.raw_${freshTenant()}`;
  await pool.query(`CREATE TABLE ${table} (key text PRIMARY KEY, id text NOT NULL, hash text NOT NULL,
    expires_at bigint NOT NULL, attempts int NOT NULL, max_attempts int NOT NULL, data text NOT NULL,
    consumed boolean NOT NULL)`);
  const upsert = `INSERT INTO ${table} (key, id, hash, expires_at, attempts, max_attempts, data, consumed)
    VALUES ($1, $2, $3, $4, 0, 3, $5, false)
    ON CONFLICT (key) DO UPDATE SET id = excluded.id, hash = excluded.hash, expires_at = excluded.expires_at,
      attempts = 0, max_attempts = excluded.max_attempts, data = excluded.data, consumed = false`;
  const consume = `UPDATE ${table} SET consumed = true
    WHERE key = $1 AND id = $2 AND hash = $3 AND NOT consumed AND expires_at > $4 AND attempts < max_attempts
    RETURNING data`;
  return async (i) => {
    const key = scattered(i);
    const id = idFor(key);
    const now = Date.now();
    await pool.query(upsert, [key, id, rawHash, now + 300_000, rawData]);
    if ((await pool.query(consume, [key, id, rawHash, now])).rows.length !== 1)
      throw new Error("raw pg: not consumed");
  };
}

// ---------------------------------------------------------------------------------------------
// Measuring.

/** CPU seconds used so far by the server's processes, found by name in /proc (loopback: same machine). */
function processCpuSeconds(name) {
  let ticks = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const command = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      if (!command.startsWith(name)) continue;
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]); // utime + stime
    } catch {
      // The process ended meanwhile.
    }
  }
  return ticks / 100; // USER_HZ
}

const slices = 10;

/**
 * Runs `pair(i)` from `inFlight` loops for `ms`, numbering pairs from `first` (so a variant's keys
 * never repeat across its slices): pairs done, seconds, and CPU seconds (client, server).
 */
async function measure(pair, inFlight, serverProcess, ms, first) {
  let next = first;
  const clientBefore = process.cpuUsage();
  const serverBefore = processCpuSeconds(serverProcess);
  const started = performance.now();
  const deadline = started + ms;
  const loop = async () => {
    while (performance.now() < deadline) await pair(next++);
  };
  await Promise.all(Array.from({ length: inFlight }, loop));
  const client = process.cpuUsage(clientBefore);
  return {
    pairs: next - first,
    seconds: (performance.now() - started) / 1000,
    clientSeconds: (client.user + client.system) / 1e6,
    serverSeconds: processCpuSeconds(serverProcess) - serverBefore,
  };
}

const format = (n) => Math.round(n).toLocaleString("en-US");

/** The row the target is read on (see the header). */
const targetRows = new Set(["store"]);

async function compare({ title, target, fullTarget, serverProcess, variants }) {
  console.log(`\n${title}`);
  console.log(
    `  ${"".padEnd(14)}${"".padEnd(22)}${"pairs/s".padStart(9)}  ratio (turns)       CPU µs/pair: client  server`,
  );
  for (const inFlight of [1, 64]) {
    const pairs = new Map();
    for (const [name, make] of variants) pairs.set(name, await make());
    const totals = new Map(variants.map(([name]) => [name, { pairs: 0, seconds: 0, client: 0, server: 0 }]));
    const turnRatios = new Map(variants.map(([name]) => [name, []]));
    const turnRates = new Map(variants.map(([name]) => [name, []]));
    for (let turn = 0; turn < slices; turn++) {
      let rawRate = 0;
      for (const [name] of variants) {
        const total = totals.get(name);
        const slice = await measure(pairs.get(name), inFlight, serverProcess, budgetMs / slices, total.pairs);
        total.pairs += slice.pairs;
        total.seconds += slice.seconds;
        total.client += slice.clientSeconds;
        total.server += slice.serverSeconds;
        const rate = slice.pairs / slice.seconds;
        if (name === "raw") rawRate = rate;
        turnRatios.get(name).push(rate / rawRate);
        turnRates.get(name).push(rate);
      }
    }
    const rate = (name) => totals.get(name).pairs / totals.get(name).seconds;
    for (const [index, [name]] of variants.entries()) {
      const total = totals.get(name);
      const ratio = rate(name) / rate("raw");
      const turns = turnRatios.get(name);
      const spread = `(${Math.min(...turns).toFixed(2)}–${Math.max(...turns).toFixed(2)})`;
      const mark = targetRows.has(name)
        ? ` target ≥ ${target.toFixed(2)} ${ratio >= target ? "✓" : "✗"}`
        : "";
      const mode = index ? "" : inFlight === 1 ? "sequential" : `${inFlight} in flight`;
      console.log(
        `  ${mode.padEnd(14)}${name.padEnd(22)}${format(rate(name)).padStart(9)}  ${ratio.toFixed(2)} ${name === "raw" ? "".padEnd(11) : spread}` +
          `  ${((total.client * 1e6) / total.pairs).toFixed(0).padStart(14)}  ${((total.server * 1e6) / total.pairs).toFixed(0).padStart(6)}${mark}`,
      );
    }
    if (totals.has("raw, equivalent") && totals.has("otpkit")) {
      // The full pair against the equivalent raw pair: turn by turn (adjacent slices), and overall.
      const ratio = rate("otpkit") / rate("raw, equivalent");
      const equivalent = turnRates.get("raw, equivalent");
      const turns = turnRates.get("otpkit").map((value, turn) => value / equivalent[turn]);
      const spread = `(${Math.min(...turns).toFixed(2)}–${Math.max(...turns).toFixed(2)})`;
      const mark =
        inFlight === 64 ? ` target ≥ ${fullTarget.toFixed(2)} ${ratio >= fullTarget ? "✓" : "✗"}` : "";
      console.log(
        `  ${"".padEnd(14)}${"otpkit / raw, equivalent".padEnd(31)}${ratio.toFixed(2)} ${spread}${mark}`,
      );
    }
  }
}

/**
 * One tenant's ceiling on Redis Cluster: every key of a tenant shares one hash tag, so one slot, so
 * one shard runs all of its sends. The figure is the send script (a put with the full pair's
 * windows, one tenant, distinct phones) on one redis-server: puts/s from 64 in flight over the
 * bench's connection, and the server's CPU per put — 1 s / that CPU is what one shard's core can
 * do for one tenant, whatever the client side.
 */
async function sendCeiling(store) {
  const tenant = freshTenant();
  const put = async (i) => {
    const now = Date.now();
    const subject = scattered(i);
    const hits = keysOf(shape, i, scattered).windows.map((window) => ({
      ...window,
      key: `${tenant}:${window.key}`,
    }));
    const record = {
      id: idFor(subject),
      hash: rawHash,
      expiresAt: now + 300_000,
      attempts: 0,
      maxAttempts: 3,
      data: rawData,
    };
    const result = await store.put(`${tenant}:l:${subject}`, record, {
      now,
      retainUntil: now + 900_000,
      hits,
    });
    if (!result.ok) throw new Error("send ceiling: refused");
  };
  await measure(put, 64, "redis-server", 300, 0); // warm-up (script load)
  const slice = await measure(put, 64, "redis-server", budgetMs, 1_000_000);
  const serverMicros = (slice.serverSeconds * 1e6) / slice.pairs;
  console.log(
    `  send script alone (${shape.windows.length} windows, one tenant, 64 in flight): ${format(slice.pairs / slice.seconds)} puts/s, ` +
      `redis-server ${serverMicros.toFixed(1)} µs CPU per put → one tenant's ceiling on one Cluster slot ≈ ${format(1e6 / serverMicros)} sends/s`,
  );
}

const only = process.env.BENCH_ONLY;

console.log(
  `otpkit stores: send + verify pairs/s, Node ${process.version}, loopback, ${budgetMs} ms per figure in ${slices} interleaved turns`,
);

// Redis ---------------------------------------------------------------------------------------
if (!only || only === "redis") {
  const client = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const prefix = `bench-${run}:`;
  const store = redisStore({ client, prefix });
  try {
    await compare({
      title:
        "Redis, one ioredis connection — raw: EVALSHA put (HSET + PEXPIRE) + EVALSHA consume (HMGET, checks, DEL)",
      target: 0.9,
      fullTarget: 0.6,
      serverProcess: "redis-server",
      variants: [
        ["raw", () => rawRedisPair(client, prefix)],
        ["raw, equivalent", () => equivalentRedisPair(client, prefix, shape, freshTenant(), scattered)],
        ["raw, hash only", () => rawRedisHashOnlyPair(client, prefix)],
        ["store", () => storeOnlyPair(store, { windows: false })],
        ["store, windows", () => storeOnlyPair(store)],
        ["otpkit, limits off", () => otpkitPair(store, { limitsOff: true })],
        ["otpkit", () => otpkitPair(store)],
        ...(base
          ? [
              [
                "otpkit @ base",
                () => otpkitPair(base.redis.redisStore({ client, prefix }), { engine: base.core }),
              ],
            ]
          : []),
      ],
    });
    await sendCeiling(store);
  } finally {
    let cursor = "0";
    do {
      const [next, keys] = await client.scan(cursor, "MATCH", `{${prefix}*`, "COUNT", 5000);
      cursor = next;
      if (keys.length) await client.del(...keys);
    } while (cursor !== "0");
    client.disconnect();
  }
}

// PostgreSQL ----------------------------------------------------------------------------------
if (!only || only === "postgres") {
  // synchronous_commit=off in the bench's own sessions: with it on, every commit waits for the
  // disk's fsync (~4 ms on this machine) and every row runs at the disk's pace, hiding the CPU and
  // planning costs this bench compares. Every row runs with the same setting.
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: poolSize,
    options: "-c synchronous_commit=off",
  });
  const schema = `otpkit_bench_${run}`;
  await pool.query(`CREATE SCHEMA ${schema}`);
  try {
    await migrate(pool, { table: `${schema}.otpkit_codes` });
    // Tables of a store in service, analyzed (bench/grown.mjs goes to a million rows): on a fresh,
    // never-analyzed table PostgreSQL would cache plans made for an empty table (sequential scans)
    // until autovacuum first analyzes it — a minute in service, longer than this whole bench.
    await growTables(pool, `${schema}.otpkit_codes`, 20_000, 5_000);
    const store = postgresStore({ client: pool, table: `${schema}.otpkit_codes` });
    await compare({
      title: `PostgreSQL, pg Pool of ${poolSize} — raw: INSERT … ON CONFLICT upsert + UPDATE … RETURNING (plain queries)`,
      target: 0.85,
      fullTarget: 0.8,
      serverProcess: "postgres",
      variants: [
        ["raw", () => rawPostgresPair(pool, schema)],
        [
          "raw, equivalent",
          () => equivalentPostgresPair(pool, `${schema}.otpkit_codes`, shape, freshTenant(), scattered),
        ],
        ["store", () => storeOnlyPair(store, { windows: false })],
        ["store, windows", () => storeOnlyPair(store)],
        ["otpkit, limits off", () => otpkitPair(store, { limitsOff: true })],
        ["otpkit", () => otpkitPair(store)],
        ...(base
          ? [
              [
                "otpkit @ base",
                () =>
                  otpkitPair(base.postgres.postgresStore({ client: pool, table: `${schema}.otpkit_codes` }), {
                    engine: base.core,
                  }),
              ],
            ]
          : []),
      ],
    });
  } finally {
    await pool.query(`DROP SCHEMA ${schema} CASCADE`);
    await pool.end();
  }
}
