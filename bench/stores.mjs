// Send + verify pairs per second through otpkit on Redis and PostgreSQL, against the raw client
// doing the minimal equivalent work, in one run on one machine (loopback). Prints figures; asserts
// nothing. Bounded: each figure runs for BENCH_MS (default 2000 ms); every case runs twice,
// interleaved with the others, and the better round counts (the machine may be shared: noise only
// ever slows a round down).
//   pnpm build && node bench/stores.mjs            (REDIS_URL, DATABASE_URL, BENCH_MS to override)
//
// Rows, per server and per concurrency (1 = sequential, 64 in flight):
//   raw                     the raw client's minimal pair (see rawRedisPair / rawPostgresPair below)
//   store, no windows       the store's put + check for one pair, keys and hashes precomputed: the
//                           same work as raw, through the store (its own overhead)
//   store, 5 windows        the same put also counting the five rate-limit windows of the default
//                           rules (per phone hour + day, resend cooldown, per IP, per number prefix)
//   otpkit, limits off      createOtp + the store, an instant in-memory sender, verify by id, rules off
//   otpkit                  the same with the default rules: core + store + five windows
// and for each, the CPU it took per pair, in this process (client) and in the server's processes.

import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const packages = join(here, "../packages");
// The node build of core: its `node` export condition picks node:crypto for the HMACs.
const core = await import(join(packages, "otp-core/dist/node/index.js"));
const { redisStorage } = await import(join(packages, "storage-redis/dist/index.js"));
const { postgresStorage, migrate } = await import(join(packages, "storage-postgres/dist/index.js"));
const importFrom = (pkg, name) =>
  import(pathToFileURL(createRequire(join(packages, pkg, "package.json")).resolve(name)).href);
const { Redis } = await importFrom("storage-redis", "ioredis");
const { default: pg } = await importFrom("storage-postgres", "pg");

const budgetMs = Number(process.env.BENCH_MS ?? 2000);
const rounds = 2;
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

let tenants = 0;
/** A fresh tenant per measurement keeps its windows and records apart from every other one. */
const freshTenant = () => `b${run}${tenants++}`;

// ---------------------------------------------------------------------------------------------
// The pairs. Each maker returns `pair(i)`, one send + one verify.

/**
 * otpkit with the default rules — per phone (hour, day), resend cooldown, per IP, per number
 * prefix: five rate windows counted atomically with every send's write — the prefix limit raised so
 * this bench's traffic stays under it. `limitsOff` turns every rule off.
 */
function otpkitPair(store, { limitsOff = false } = {}) {
  const tenant = freshTenant();
  const codes = new Map();
  const sender = {
    name: "instant",
    async send(message) {
      codes.set(message.metadata.verification_id, core.extractCode(message.body));
      return { id: "m" };
    },
  };
  const limits = limitsOff
    ? { perPhone: [], perIp: [], resendCooldownSeconds: 0, perPrefix: false }
    : { perPrefix: { rules: [{ limit: 1_000_000, windowSeconds: 3600 }] } };
  const otp = core.createOtp({ secret, store, sender, limits });
  return async (i) => {
    const { id } = await otp.send({ phone: phoneAt(i), ip: ipAt(i), tenant });
    const code = codes.get(id);
    codes.delete(id);
    await otp.verify({ id, code, tenant });
  };
}

/**
 * The store calls of one otpkit pair, with what the core would compute precomputed: a put (with the
 * five default rate-limit windows, or none) and a check.
 */
function storeOnlyPair(store, { windows = true } = {}) {
  const tenant = freshTenant();
  const hash = randomBytes(32).toString("base64url");
  const data = JSON.stringify({ phone: "+14155552671", masked: "+1 415-***-**71", metadata: {} });
  const rules = [
    ["phone", 3, 3600],
    ["phone", 10, 86_400],
    ["cooldown", 1, 60],
    ["ip", 10, 600],
    ["prefix", 1_000_000, 3600],
  ];
  return async (i) => {
    const now = Date.now();
    const subject = scattered(i);
    const key = `${tenant}:l:${subject}`;
    const id = `ver_l6${subject.padStart(16, "0")}abcdefghijklmnop`;
    const hits = (windows ? rules : []).map(([name, limit, seconds]) => ({
      key: `${tenant}:rl:${name}:${seconds}:${name === "prefix" ? i % 800 : name === "ip" ? ipAt(i) : subject}`,
      limit,
      windowMs: seconds * 1000,
    }));
    const record = { id, hash, expiresAt: now + 300_000, attempts: 0, maxAttempts: 3, data };
    const put = await store.put(key, record, { now, retainUntil: now + 900_000, hits });
    if (!put.ok) throw new Error("store pair: refused");
    const checked = await store.check(key, { id, hashes: [hash], now });
    if (checked.status !== "approved") throw new Error(`store pair: ${checked.status}`);
  };
}

const rawRedisPut = `redis.call('HSET', KEYS[1], 'hash', ARGV[1], 'expiresAt', ARGV[2], 'attempts', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;
const rawRedisConsume = `local hash = redis.call('HGET', KEYS[1], 'hash')
if hash and hash == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0`;

/** Raw Redis: an EVALSHA that writes a hash with a TTL, an EVALSHA that compares and deletes it. */
async function rawRedisPair(client, prefix) {
  const put = await client.script("LOAD", rawRedisPut);
  const consume = await client.script("LOAD", rawRedisConsume);
  const tenant = freshTenant();
  return async (i) => {
    const key = `{${prefix}}:raw:${tenant}:${scattered(i)}`;
    const hash = `h${i}`;
    await client.evalsha(put, 1, key, hash, String(Date.now() + 300_000), "900000");
    if ((await client.evalsha(consume, 1, key, hash)) !== 1) throw new Error("raw redis: not consumed");
  };
}

/** Raw pg: an INSERT … ON CONFLICT upsert and an UPDATE … RETURNING that consumes, as plain queries. */
async function rawPostgresPair(pool, schema) {
  const table = `${schema}.raw_${freshTenant()}`;
  await pool.query(`CREATE TABLE ${table} (key text PRIMARY KEY, hash text NOT NULL,
    expires_at bigint NOT NULL, attempts int NOT NULL, consumed boolean NOT NULL)`);
  const upsert = `INSERT INTO ${table} (key, hash, expires_at, attempts, consumed)
    VALUES ($1, $2, $3, 0, false)
    ON CONFLICT (key) DO UPDATE SET hash = excluded.hash, expires_at = excluded.expires_at, attempts = 0, consumed = false`;
  const consume = `UPDATE ${table} SET consumed = true
    WHERE key = $1 AND hash = $2 AND NOT consumed AND expires_at > $3 RETURNING key`;
  return async (i) => {
    const key = scattered(i);
    const hash = `h${i}`;
    await pool.query(upsert, [key, hash, Date.now() + 300_000]);
    if ((await pool.query(consume, [key, hash, Date.now()])).rows.length !== 1)
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

/** Runs `pair(i)` from `inFlight` loops for the budget: pairs/s and CPU µs per pair (client, server). */
async function measure(pair, inFlight, serverProcess) {
  let next = 0;
  const clientBefore = process.cpuUsage();
  const serverBefore = processCpuSeconds(serverProcess);
  const started = performance.now();
  const deadline = started + budgetMs;
  const loop = async () => {
    while (performance.now() < deadline) await pair(next++);
  };
  await Promise.all(Array.from({ length: inFlight }, loop));
  const seconds = (performance.now() - started) / 1000;
  const client = process.cpuUsage(clientBefore);
  return {
    perSecond: next / seconds,
    clientUs: (client.user + client.system) / next,
    serverUs: ((processCpuSeconds(serverProcess) - serverBefore) * 1e6) / next,
  };
}

const format = (n) => Math.round(n).toLocaleString("en-US");

async function compare({ title, target, serverProcess, variants }) {
  console.log(`\n${title}`);
  console.log(
    `  ${"".padEnd(14)}${"".padEnd(26)}${"pairs/s".padStart(9)}  ratio   CPU µs/pair: client  server`,
  );
  for (const inFlight of [1, 64]) {
    const best = new Map();
    for (let round = 0; round < rounds; round++) {
      for (const [name, make] of variants) {
        const result = await measure(await make(), inFlight, serverProcess);
        if (!best.has(name) || result.perSecond > best.get(name).perSecond) best.set(name, result);
      }
    }
    const raw = best.get("raw").perSecond;
    for (const [index, [name]] of variants.entries()) {
      const { perSecond, clientUs, serverUs } = best.get(name);
      const ratio = perSecond / raw;
      const mark =
        name === "otpkit" || name === "store, no windows"
          ? ` (target ≥ ${target.toFixed(2)} ${ratio >= target ? "✓" : "✗"})`
          : "";
      const mode = index ? "" : inFlight === 1 ? "sequential" : `${inFlight} in flight`;
      console.log(
        `  ${mode.padEnd(14)}${name.padEnd(26)}${format(perSecond).padStart(9)}  ${ratio.toFixed(2)}  ${clientUs.toFixed(0).padStart(14)}  ${serverUs.toFixed(0).padStart(6)}${mark}`,
      );
    }
  }
}

console.log(
  `otpkit stores: send + verify pairs/s, Node ${process.version}, loopback, ${budgetMs} ms per figure, best of ${rounds} interleaved rounds`,
);

// Redis ---------------------------------------------------------------------------------------
{
  const client = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const prefix = `bench-${run}:`;
  const store = redisStorage({ client, prefix });
  try {
    await compare({
      title:
        "Redis, one ioredis connection — raw: EVALSHA put (HSET + PEXPIRE) + EVALSHA consume (HGET, compare, DEL)",
      target: 0.9,
      serverProcess: "redis-server",
      variants: [
        ["raw", () => rawRedisPair(client, prefix)],
        ["store, no windows", () => storeOnlyPair(store, { windows: false })],
        ["store, 5 windows", () => storeOnlyPair(store)],
        ["otpkit, limits off", () => otpkitPair(store, { limitsOff: true })],
        ["otpkit", () => otpkitPair(store)],
      ],
    });
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
    await compare({
      title: `PostgreSQL, pg Pool of ${poolSize} — raw: INSERT … ON CONFLICT upsert + UPDATE … RETURNING (plain queries)`,
      target: 0.85,
      serverProcess: "postgres",
      variants: [
        ["raw", () => rawPostgresPair(pool, schema)],
        ["store, no windows", () => storeOnlyPair(store, { windows: false })],
        ["store, 5 windows", () => storeOnlyPair(store)],
        ["otpkit, limits off", () => otpkitPair(store, { limitsOff: true })],
        ["otpkit", () => otpkitPair(store)],
      ],
    });
  } finally {
    await pool.query(`DROP SCHEMA ${schema} CASCADE`);
    await pool.end();
  }
}
