// The "equivalent raw pair" of the benches (issue 16): the same keys, rows and payload bytes as one
// full otpkit send + verify, written and read by hand without otpkit's logic — no limit decisions,
// no window trimming beyond a fixed bound, no carry/ifId/tripwire branches, no answers parsed
// beyond what a verify needs. What a full otpkit pair costs against it is otpkit's own overhead.
//
// The shape (how many windows a send counts, which of them are shared between pairs, how long the
// keys and the sealed record are, how many failure counters a verify reads) is not written down
// here: `pairShape` records one real pair through the core, so the raw pair follows the code's
// key layout as it changes.

/**
 * One full otpkit pair, as both store benches run it: `engine.createOtp(options)` on `store` with a
 * sender that hands the code straight back; pair i sends to `phoneAt(i)` and verifies by id, both
 * steps from `ipAt(i)` (as every adapter passes the client's IP), in `tenant`.
 */
export function fullPair({ engine, store, options, tenant, phoneAt, ipAt }) {
  const codes = new Map();
  const sender = {
    name: "instant",
    async send(message) {
      codes.set(message.metadata.verification_id, engine.extractCode(message.body));
      return { id: "m" };
    },
  };
  const otp = engine.createOtp({ ...options, store, sender });
  return async (i) => {
    const { id } = await otp.send({ phone: phoneAt(i), ip: ipAt(i), tenant });
    const code = codes.get(id);
    codes.delete(id);
    await otp.verify({ id, code, ip: ipAt(i), tenant });
  };
}

/** Rules whose subject is a number range: 800 of them in the benches' traffic. */
const rangeRules = new Set(["prefix", "sent_range", "verified_range"]);
/** Rules whose subject is shared by every pair (a country, the tenant). */
const sharedRules = new Set(["country", "sent_country", "verified_country", "global", "spend"]);

/**
 * One full pair through `createOtp` on a recording memory store: the calls it makes, with the keys
 * stripped of their tenant. `options` are the createOtp options of the bench's full pair.
 * `checkHits` (default true): the recording store says `checkHits`, as the PostgreSQL store does —
 * the core then hands a verify's rate limits to `check` (recorded as `checkHits`) instead of a
 * `hit` of their own; pass the measured store's own flag.
 */
export async function pairShape(core, options, send, verify, { checkHits = true } = {}) {
  const inner = core.memoryStore();
  const calls = [];
  const store = {
    ...inner,
    name: "recording",
    checkHits,
    put: (key, record, putOptions) => {
      calls.push({ op: "put", key, record, hits: putOptions.hits ?? [] });
      return inner.put(key, record, putOptions);
    },
    check: async (key, input) => {
      calls.push({ op: "check", key, failures: input.failures ?? [], hits: input.hits ?? [] });
      // The contract of `CheckInput.hits`, on a memory store that may not judge them itself: the
      // hits first (refused: nothing else looked at), then the check without them.
      if (input.hits?.length) {
        const counted = await inner.hit(input.hits, input.now);
        if (!counted.ok) return { status: "limited", key: counted.key, retryAfterMs: counted.retryAfterMs };
      }
      const { hits: _hits, ...rest } = input;
      return inner.check(key, rest);
    },
    hit: (hits, now) => {
      calls.push({ op: "hit", hits });
      return inner.hit(hits, now);
    },
  };
  const codes = new Map();
  const sender = {
    name: "instant",
    async send(message) {
      codes.set(message.metadata.verification_id, core.extractCode(message.body));
      return { id: "m" };
    },
  };
  const otp = core.createOtp({ ...options, store, sender });
  const { id } = await otp.send({ ...send, tenant: "t" });
  await otp.verify({ ...verify, id, code: codes.get(id), tenant: "t" });
  const put = calls.find((call) => call.op === "put");
  const check = calls.find((call) => call.op === "check");
  const hits = calls.filter((call) => call.op === "hit");
  const strip = (key) => key.slice(key.indexOf(":") + 1);
  return {
    recordKey: strip(put.key),
    dataLength: put.record.data.length,
    hashLength: put.record.hash.length,
    idLength: put.record.id.length,
    /** The put's hits as the core made them (limits, shared logs' `also`), keys without tenant. */
    windows: put.hits.map((hit) => ({ ...hit, key: strip(hit.key) })),
    failures: check.failures.map((rule) => strip(rule.key)),
    /** The verify's rate limits carried by `check` (`CheckInput.hits`), keys without tenant. */
    checkHits: check.hits.map((hit) => ({ ...hit, key: strip(hit.key) })),
    /** Separate `hit` calls (a verify's per-IP limit, the tripwire's tally): windows each. */
    extraHits: hits.map((call) => call.hits.map((hit) => ({ key: strip(hit.key), windowMs: hit.windowMs }))),
  };
}

/** The longest window of a hit (a shared log is kept that long). */
const longest = (hit) => Math.max(hit.windowMs, ...(hit.also ?? []).map((rule) => rule.windowMs));

/** `text` with its last `digits.length` characters replaced (keeps key lengths as the core's). */
const tail = (text, digits) => text.slice(0, Math.max(0, text.length - digits.length)) + digits;

/**
 * The keys of pair `i` in the shape's layout: per-phone/per-IP subjects unique per pair, ranges
 * one of 800, shared subjects shared — the same contention as the full pair in the benches.
 */
export function keysOf(shape, i, unique) {
  const subject = unique(i);
  const windowKey = (key) => {
    const rule = key.split(":")[1];
    if (sharedRules.has(rule)) return key;
    if (rangeRules.has(rule)) return tail(key, `r${i % 800}`);
    return tail(key, subject);
  };
  return {
    record: tail(shape.recordKey, subject),
    windows: shape.windows.map((window) => ({ ...window, key: windowKey(window.key) })),
    failures: shape.failures.map((key) => tail(key, subject)),
    checkHits: shape.checkHits.map((hit) => ({ ...hit, key: windowKey(hit.key) })),
    extraHits: shape.extraHits.map((hits) =>
      hits.map((hit) => ({ key: windowKey(hit.key), windowMs: hit.windowMs })),
    ),
  };
}

const filler = (length, seed) => seed.repeat(Math.ceil(length / seed.length)).slice(0, length);

/** Events a raw window keeps (a fixed bound instead of the core's per-rule trimming). */
const rawKeep = 10;

/**
 * The raw pair on PostgreSQL, in the store's own tables (`table`, `<table>_windows`,
 * `<table>_failures`): one prepared statement per send (upsert the record and append `now` to
 * every window row, ON CONFLICT), one per verify (append `now` to the windows the full pair's check
 * counts, lock the failure rows, delete the record if id, hash, expiry and attempts allow,
 * returning its data, delete the failure rows), and one per extra hit. Fixed arity (a VALUES row per window): planned exactly, as a hand-written statement would be.
 */
export function rawPostgresPair(pool, table, shape, tenant, unique) {
  const codes = table;
  const windowsTable = `${table}_windows`;
  const failuresTable = `${table}_failures`;
  const appendSql = (count, first) => {
    const rows = Array.from(
      { length: count },
      (_, j) => `($${first + 2 * j}::text, ARRAY[$1::bigint], $1::bigint + $${first + 2 * j + 1}::bigint)`,
    );
    return `INSERT INTO ${windowsTable} AS w (key, times, expires_at) VALUES ${rows.join(", ")}
      ON CONFLICT (key) DO UPDATE SET times = (w.times || excluded.times)[greatest(1, cardinality(w.times) - ${rawKeep - 2}):],
        expires_at = greatest(w.expires_at, excluded.expires_at)`;
  };
  const count = shape.windows.length;
  const send = {
    name: `raw_send_${count}_${tenant}`,
    text: `WITH counted AS (${appendSql(count, 8)})
      INSERT INTO ${codes} AS c (key, id, hash, link_hash, expires_at, attempts, max_attempts, data, retain_until)
      VALUES ($2, $3, $4, null, $5::bigint, 0, 3, $6, $7::bigint)
      ON CONFLICT (key) DO UPDATE SET id = excluded.id, hash = excluded.hash, link_hash = null,
        expires_at = excluded.expires_at, attempts = 0, max_attempts = 3, data = excluded.data,
        retain_until = excluded.retain_until`,
  };
  const failureList = shape.failures.map((_, j) => `$${5 + j}::text`).join(", ") || "null";
  const checkCount = shape.checkHits.length;
  const verify = {
    name: `raw_verify_${tenant}`,
    text: `WITH ${checkCount ? `counted AS (${appendSql(checkCount, 5 + shape.failures.length).replaceAll("$1::bigint", "$4::bigint")}),` : ""}
      held AS MATERIALIZED (SELECT key FROM ${failuresTable} WHERE key IN (${failureList}) ORDER BY key FOR UPDATE),
      consumed AS (DELETE FROM ${codes} WHERE key = $1 AND id = $2 AND hash = $3 AND expires_at > $4::bigint
        AND attempts < max_attempts AND (SELECT count(*) FROM held) >= 0 RETURNING data),
      reset AS (DELETE FROM ${failuresTable} WHERE key IN (${failureList}) AND EXISTS (SELECT 1 FROM consumed))
      SELECT data FROM consumed`,
  };
  const extras = shape.extraHits.map((hits, n) => ({
    name: `raw_hit_${n}_${hits.length}_${tenant}`,
    text: appendSql(hits.length, 2),
  }));
  const hash = filler(shape.hashLength, "Hq3");
  const data = filler(shape.dataLength, "A9x_");
  return async (i) => {
    const keys = keysOf(shape, i, unique);
    const record = `${tenant}:${keys.record}`;
    const id = tail(filler(shape.idLength, "ver_l6"), unique(i));
    const now = Date.now();
    const windows = [...keys.windows].sort((a, b) => (a.key < b.key ? -1 : 1));
    await pool.query({
      ...send,
      values: [
        now,
        record,
        id,
        hash,
        now + 300_000,
        data,
        now + 900_000,
        ...windows.flatMap((window) => [`${tenant}:${window.key}`, longest(window)]),
      ],
    });
    for (const [n, hits] of keys.extraHits.entries())
      await pool.query({
        ...extras[n],
        values: [now, ...hits.flatMap((hit) => [`${tenant}:${hit.key}`, hit.windowMs])],
      });
    const checkHits = [...keys.checkHits].sort((a, b) => (a.key < b.key ? -1 : 1));
    const { rows } = await pool.query({
      ...verify,
      values: [
        record,
        id,
        hash,
        now,
        ...keys.failures.map((key) => `${tenant}:${key}`),
        ...checkHits.flatMap((hit) => [`${tenant}:${hit.key}`, longest(hit)]),
      ],
    });
    if (rows.length !== 1) throw new Error("raw pg: not consumed");
  };
}

/**
 * The raw pair on Redis, one EVALSHA per operation (like the store): the send SETs the record (one
 * string of the same bytes, with a TTL) and RPUSHes `now` on every window (trimmed to a fixed
 * length, PEXPIRE); the verify RPUSHes `now` on the windows the full pair's check counts, GETs
 * the failure counters and the record, compares id and hash, DELs the record and the counters and
 * returns the record. Keys under the store's hash tag layout.
 */
export async function rawRedisPair(client, prefix, shape, tenant, unique) {
  const send = await client.script(
    "LOAD",
    `redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
for i = 2, #KEYS do
  redis.call('RPUSH', KEYS[i], ARGV[1])
  redis.call('LTRIM', KEYS[i], -${rawKeep}, -1)
  redis.call('PEXPIRE', KEYS[i], ARGV[2 + i])
end
return 1`,
  );
  const hit = await client.script(
    "LOAD",
    `for i = 1, #KEYS do
  redis.call('RPUSH', KEYS[i], ARGV[1])
  redis.call('LTRIM', KEYS[i], -${rawKeep}, -1)
  redis.call('PEXPIRE', KEYS[i], ARGV[1 + i])
end
return 1`,
  );
  // KEYS: the record, ARGV[4] failure counters, then the windows counted (ARGV[4 + j]: expiries).
  const verify = await client.script(
    "LOAD",
    `local failures = tonumber(ARGV[4])
for i = failures + 2, #KEYS do
  redis.call('RPUSH', KEYS[i], ARGV[3])
  redis.call('LTRIM', KEYS[i], -${rawKeep}, -1)
  redis.call('PEXPIRE', KEYS[i], ARGV[3 + i - failures])
end
for i = 2, failures + 1 do redis.call('GET', KEYS[i]) end
local value = redis.call('GET', KEYS[1])
if not value then return false end
local expires, id, hash = string.match(value, '^(%d+)\\n([^\\n]*)\\n([^\\n]*)\\n')
if id ~= ARGV[1] or hash ~= ARGV[2] or tonumber(expires) <= tonumber(ARGV[3]) then return false end
redis.call('DEL', KEYS[1])
for i = 2, failures + 1 do redis.call('DEL', KEYS[i]) end
return value`,
  );
  const hash = filler(shape.hashLength, "Hq3");
  const data = filler(shape.dataLength, "A9x_");
  const tag = `{${prefix}${tenant}}:`;
  return async (i) => {
    const keys = keysOf(shape, i, unique);
    const record = tag + keys.record;
    const id = tail(filler(shape.idLength, "ver_l6"), unique(i));
    const now = Date.now();
    // The same bytes as the store's record string: numbers, id, hash, then the sealed data.
    const value = `${now + 300_000}\n${id}\n${hash}\n${now + 900_000}\n0\n3\n\n${data}`;
    await client.evalsha(
      send,
      1 + keys.windows.length,
      record,
      ...keys.windows.map((window) => tag + window.key),
      String(now),
      value,
      "900000",
      ...keys.windows.map((window) => String(longest(window))),
    );
    for (const hits of keys.extraHits)
      await client.evalsha(
        hit,
        hits.length,
        ...hits.map((one) => tag + one.key),
        String(now),
        ...hits.map((one) => String(one.windowMs)),
      );
    const answer = await client.evalsha(
      verify,
      1 + keys.failures.length + keys.checkHits.length,
      record,
      ...keys.failures.map((key) => tag + key),
      ...keys.checkHits.map((one) => tag + one.key),
      id,
      hash,
      String(now),
      String(keys.failures.length),
      ...keys.checkHits.map((one) => String(longest(one))),
    );
    if (answer === null) throw new Error("raw redis: not consumed");
  };
}

/**
 * Fills the store's tables with `windows` window rows and `records` records shaped like the core's
 * ("<tenant>:rl:<rule>:<window s>:<digest>", one to three events, live for a day; records with a
 * sealed-size data column; many tenants, scattered digests) — one generate_series INSERT each —
 * then ANALYZEs them, as autovacuum would on a table in service.
 */
export async function growTables(pool, table, windows, records) {
  await pool.query(`INSERT INTO ${table}_windows (key, times, expires_at)
    SELECT 'o' || (i % 97) || ':rl:' || (ARRAY['phone','ceiling','cooldown','ip','prefix'])[1 + i % 5] || ':3600:'
        || substr(md5(i::text), 1, 16) || ':' || substr(md5((i * 7)::text), 1, 17),
      (SELECT array_agg(t) FROM generate_series(1, 1 + i % 3) AS s,
        LATERAL (SELECT (extract(epoch FROM now()) * 1000)::bigint - (i % 3600000) - s * 1000 AS t) AS e),
      (extract(epoch FROM now()) * 1000)::bigint + 86400000
    FROM generate_series(1, ${windows}) AS i`);
  await pool.query(`INSERT INTO ${table} (key, id, hash, link_hash, expires_at, attempts, max_attempts, data, retain_until)
    SELECT 'o' || (i % 97) || ':l:' || substr(md5(i::text), 1, 16), 'ver_l6' || substr(md5(i::text), 1, 32),
      substr(md5(i::text) || md5((i + 1)::text), 1, 43), null, (extract(epoch FROM now()) * 1000)::bigint + 300000,
      0, 3, repeat(substr(md5(i::text), 1, 8), 19), (extract(epoch FROM now()) * 1000)::bigint + 900000
    FROM generate_series(1, ${records}) AS i`);
  await pool.query(`ANALYZE ${table}; ANALYZE ${table}_windows; ANALYZE ${table}_failures`);
}
