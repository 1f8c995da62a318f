// Send + verify pairs per second through otpkit on Redis and PostgreSQL, against the raw client
// doing the minimal equivalent work, in one run on one machine (loopback). Prints figures; asserts
// nothing. Bounded: every case runs for BENCH_MS (default 2500 ms), twice, interleaved with its
// baseline; the better round counts (the machine is shared, so noise only ever slows a round).
//   pnpm build && node bench/stores.mjs
//   REDIS_URL=… DATABASE_URL=… BENCH_MS=… node bench/stores.mjs

import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const packages = join(here, "../packages");
// The node build of core: its `node` export condition picks node:crypto for the HMACs.
const core = await import(join(packages, "otp-core/dist/node/index.js"));
const { redisStorage } = await import(join(packages, "storage-redis/dist/index.js"));
const { postgresStorage, migrate } = await import(join(packages, "storage-postgres/dist/index.js"));
const requireFrom = (pkg) => createRequire(join(packages, pkg, "package.json"));
const importFrom = async (pkg, name) => import(pathToFileURL(requireFrom(pkg).resolve(name)).href);
const { Redis } = await importFrom("storage-redis", "ioredis");
const { default: pg } = await importFrom("storage-postgres", "pg");

const budgetMs = Number(process.env.BENCH_MS ?? 2500);
const rounds = 2;
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const databaseUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const poolSize = 16;
const run = randomBytes(4).toString("hex");
const secret = "bench-secret-bench-secret-bench-secret!";

/** Runs `pair(i)` from `inFlight` loops for the budget; returns pairs per second. */
async function throughput(pair, inFlight) {
  let next = 0;
  const deadline = performance.now() + budgetMs;
  const started = performance.now();
  const loop = async () => {
    while (performance.now() < deadline) await pair(next++);
  };
  await Promise.all(Array.from({ length: inFlight }, loop));
  return next / ((performance.now() - started) / 1000);
}

/** Distinct valid US numbers; the exchange (what the per-prefix rule sees) varies fastest. */
const phoneAt = (i) => `+1415${200 + (i % 800)}${String(Math.floor(i / 800) % 10_000).padStart(4, "0")}`;
/** A client IP per pair from a large pool, as real traffic has. */
const ipAt = (i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

/**
 * otpkit with the default rules — per phone (hour, day), resend cooldown, per IP, per number
 * prefix: five rate windows counted atomically with every send's write — with the prefix limit
 * raised so that this bench's traffic stays under it. A fresh tenant per case keeps windows apart.
 */
function otpkitPair(store, tenant) {
  const codes = new Map();
  const sender = {
    name: "instant",
    async send(message) {
      codes.set(message.metadata.verification_id, core.extractCode(message.body));
      return { id: "m" };
    },
  };
  const otp = core.createOtp({
    secret,
    store,
    sender,
    limits: { perPrefix: { rules: [{ limit: 1_000_000, windowSeconds: 3600 }] } },
  });
  return async (i) => {
    const { id } = await otp.send({ phone: phoneAt(i), ip: ipAt(i), tenant });
    const code = codes.get(id);
    codes.delete(id);
    await otp.verify({ id, code, tenant });
  };
}

/** The same, with every rate limit off: the store work is one record write and one check. */
function otpkitBarePair(store, tenant) {
  const pair = otpkitPairWith(store, tenant, {
    perPhone: [],
    perIp: [],
    resendCooldownSeconds: 0,
    perPrefix: false,
  });
  return pair;
}
function otpkitPairWith(store, tenant, limits) {
  const codes = new Map();
  const sender = {
    name: "instant",
    async send(message) {
      codes.set(message.metadata.verification_id, core.extractCode(message.body));
      return { id: "m" };
    },
  };
  const otp = core.createOtp({ secret, store, sender, limits });
  return async (i) => {
    const { id } = await otp.send({ phone: phoneAt(i), ip: ipAt(i), tenant });
    const code = codes.get(id);
    codes.delete(id);
    await otp.verify({ id, code, tenant });
  };
}

// ---------------------------------------------------------------------------------------------
// Raw baselines: what a hand-written store minimally does for one send + one verify.

const rawRedisPut = `redis.call('HSET', KEYS[1], 'hash', ARGV[1], 'expiresAt', ARGV[2], 'attempts', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;
const rawRedisConsume = `local hash = redis.call('HGET', KEYS[1], 'hash')
if hash and hash == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0`;

async function rawRedisPair(client, prefix) {
  const put = await client.script("LOAD", rawRedisPut);
  const consume = await client.script("LOAD", rawRedisConsume);
  return async (i) => {
    const key = `{${prefix}}:raw:${i}`;
    const hash = `h${i}`;
    await client.evalsha(put, 1, key, hash, String(Date.now() + 300_000), "900000");
    if ((await client.evalsha(consume, 1, key, hash)) !== 1) throw new Error("raw redis: not consumed");
  };
}

async function rawPostgresPair(pool, schema) {
  await pool.query(`CREATE TABLE ${schema}.raw (key text PRIMARY KEY, hash text NOT NULL,
    expires_at bigint NOT NULL, attempts int NOT NULL, consumed boolean NOT NULL)`);
  const upsert = `INSERT INTO ${schema}.raw (key, hash, expires_at, attempts, consumed)
    VALUES ($1, $2, $3, 0, false)
    ON CONFLICT (key) DO UPDATE SET hash = excluded.hash, expires_at = excluded.expires_at, attempts = 0, consumed = false`;
  const consume = `UPDATE ${schema}.raw SET consumed = true
    WHERE key = $1 AND hash = $2 AND NOT consumed AND expires_at > $3 RETURNING key`;
  return async (i) => {
    const key = `k${i}`;
    const hash = `h${i}`;
    await pool.query(upsert, [key, hash, Date.now() + 300_000]);
    if ((await pool.query(consume, [key, hash, Date.now()])).rows.length !== 1)
      throw new Error("raw pg: not consumed");
  };
}

// ---------------------------------------------------------------------------------------------

const format = (n) => Math.round(n).toLocaleString("en-US").padStart(7);

async function compare(label, target, makeRaw, makeOtpkit, extra = []) {
  console.log(`\n${label}`);
  for (const inFlight of [1, 64]) {
    const best = { raw: 0, otpkit: 0 };
    const bestExtra = extra.map(() => 0);
    for (let round = 0; round < rounds; round++) {
      best.raw = Math.max(best.raw, await throughput(await makeRaw(), inFlight));
      best.otpkit = Math.max(best.otpkit, await throughput(await makeOtpkit(), inFlight));
      for (const [index, [, make]] of extra.entries())
        bestExtra[index] = Math.max(bestExtra[index], await throughput(await make(), inFlight));
    }
    const ratio = best.otpkit / best.raw;
    const mode = inFlight === 1 ? "sequential  " : `${inFlight} in flight `;
    console.log(
      `  ${mode} raw ${format(best.raw)} pairs/s   otpkit ${format(best.otpkit)} pairs/s   ratio ${ratio.toFixed(2)} (target ≥ ${target.toFixed(2)}) ${ratio >= target ? "✓" : "✗"}`,
    );
    for (const [index, [name]] of extra.entries()) {
      console.log(
        `  ${" ".repeat(mode.length)} ${name.padEnd(33)} ${format(bestExtra[index])} pairs/s   ratio ${(bestExtra[index] / best.raw).toFixed(2)}`,
      );
    }
  }
}

let cases = 0;
const tenant = () => `b${run}${cases++}`;

console.log(
  `otpkit stores, Node ${process.version}, loopback, ${budgetMs} ms per figure, best of ${rounds} rounds, pairs = send + verify by id`,
);
console.log(
  "otpkit: createOtp (node:crypto build) with an instant in-memory sender; default rules = 5 rate windows per send",
);

// Redis ---------------------------------------------------------------------------------------
{
  const client = new Redis(redisUrl, { enableOfflineQueue: true, maxRetriesPerRequest: 1 });
  const prefix = `bench-${run}:`;
  const store = redisStorage({ client, prefix });
  try {
    await compare(
      "Redis (ioredis, one connection): raw = EVALSHA put + EVALSHA consume",
      0.9,
      () => rawRedisPair(client, prefix),
      () => otpkitPair(store, tenant()),
      [["otpkit, rate limits off", () => otpkitBarePair(store, tenant())]],
    );
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
{
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize });
  const schema = `otpkit_bench_${run}`;
  await pool.query(`CREATE SCHEMA ${schema}`);
  try {
    await migrate(pool, { table: `${schema}.otpkit_codes` });
    const store = postgresStorage({ client: pool, table: `${schema}.otpkit_codes` });
    let rawTables = 0;
    await compare(
      `PostgreSQL (pg Pool of ${poolSize}): raw = INSERT … ON CONFLICT upsert + UPDATE … RETURNING`,
      0.85,
      async () => {
        const rawSchema = `${schema}_raw${rawTables++}`;
        await pool.query(`CREATE SCHEMA ${rawSchema}`);
        return rawPostgresPair(pool, rawSchema);
      },
      () => otpkitPair(store, tenant()),
      [["otpkit, rate limits off", () => otpkitBarePair(store, tenant())]],
    );
    for (let i = 0; i < rawTables; i++) await pool.query(`DROP SCHEMA ${schema}_raw${i} CASCADE`);
  } finally {
    await pool.query(`DROP SCHEMA ${schema} CASCADE`);
    await pool.end();
  }
}
