// PostgreSQL on tables that have grown: send + verify pairs per second once the windows table holds
// more than a million rows and the codes table a few hundred thousand, and which plans PostgreSQL
// kept for the store's prepared statements (`pg_prepared_statements`: generic vs custom plans).
// An empty schema (bench/stores.mjs) cannot show a plan that loses only on big tables. Prints
// figures; asserts nothing. Bounded: growth is one generate_series INSERT per table (GROWN_WINDOWS,
// default 1,100,000 rows; GROWN_RECORDS, default 200,000), each figure runs BENCH_MS (default 3000).
//   pnpm build && node bench/grown.mjs      (DATABASE_URL, BENCH_MS, GROWN_WINDOWS, GROWN_RECORDS,
//                                            BENCH_BASE=<another checkout, built> adds its otpkit)
//
// Rows (interleaved turns, as in bench/stores.mjs; ratios against `raw`, with the per-turn range):
//   raw                  the equivalent raw pair (bench/equivalent.mjs): the same keys, rows and
//                        payload bytes as the full pair, by hand, in the same grown tables
//   otpkit               the full pair: createOtp with the default limits (fraud guard off) on the
//                        store — the issue's target is read here: ≥ 0.8× raw at 64 in flight
//   otpkit, generic      the same on a pool whose sessions force generic plans
//                        (plan_cache_mode=force_generic_plan): what the store's own plan choice
//                        should match (an app's pool does not have this setting, and must not need it)
//   otpkit @ base        (BENCH_BASE) the same pair through another checkout's build, same pool
// and for each, the CPU per pair of this bench's own PostgreSQL sessions (other sessions on the
// server, other benchmarks', do not count; /proc, 10 ms ticks) and of this Node process.
//
// Every session of the bench runs with synchronous_commit=off: with it on, each commit waits for
// the disk's fsync (~4 ms here), every variant runs at the disk's pace and no CPU or planning
// difference is visible. Both sides of every ratio run with the same setting.

import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { fullPair, growTables, pairShape, rawPostgresPair } from "./equivalent.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const packagesOf = (root) => join(root, "packages");
const packages = packagesOf(join(here, ".."));
const core = await import(join(packages, "otp-core/dist/node/index.js"));
const { postgresStore, migrate } = await import(join(packages, "storage-postgres/dist/index.js"));
const { default: pg } = await import(
  pathToFileURL(createRequire(join(packages, "storage-postgres/package.json")).resolve("pg")).href
);
const base = process.env.BENCH_BASE
  ? {
      core: await import(join(packagesOf(process.env.BENCH_BASE), "otp-core/dist/node/index.js")),
      postgres: await import(join(packagesOf(process.env.BENCH_BASE), "storage-postgres/dist/index.js")),
    }
  : undefined;

const budgetMs = Number(process.env.BENCH_MS ?? 3000);
const databaseUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const grownWindows = Number(process.env.GROWN_WINDOWS ?? 1_100_000);
const grownRecords = Number(process.env.GROWN_RECORDS ?? 200_000);
const poolSize = 16;
const slices = 10;
const run = randomBytes(4).toString("hex");
const secret = "bench-secret-bench-secret-bench-secret!";
const schema = `otpkit_grown_${run}`;
const table = `${schema}.otpkit_codes`;

const phoneAt = (i) => `+1415${200 + (i % 800)}${String(Math.floor(i / 800) % 10_000).padStart(4, "0")}`;
const ipAt = (i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const scattered = (i) => (Math.imul(i + 1, 0x9e3779b1) >>> 0).toString(36).padStart(7, "0") + i.toString(36);

/** The full pair's options: default limits, the prefix limit raised for this traffic, guard off. */
const fullOptions = {
  secret,
  limits: { perPrefix: { rules: [{ limit: 1_000_000, windowSeconds: 3600 }] } },
  guard: { tripwire: false },
};

let tenants = 0;
const freshTenant = () => `g${run}${tenants++}`;

const otpkitPair = (engine, store) =>
  fullPair({ engine, store, options: fullOptions, tenant: freshTenant(), phoneAt, ipAt });

const pool = (extra = "") =>
  new pg.Pool({
    connectionString: databaseUrl,
    max: poolSize,
    options: `-c synchronous_commit=off${extra}`,
    application_name: applicationName,
  });

/** This bench's own sessions (both pools): other sessions on the same server do not count. */
const applicationName = `otpkit-grown-${run}`;
async function ownBackends() {
  const { rows } = await main.query("SELECT pid FROM pg_stat_activity WHERE application_name = $1", [
    applicationName,
  ]);
  return new Set(rows.map((row) => String(row.pid)));
}

/** CPU seconds of the given PostgreSQL backends (all postgres processes when none given). */
function postgresCpuSeconds(only) {
  let ticks = 0;
  for (const pid of only ?? readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      if (!stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")).startsWith("postgres")) continue;
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended meanwhile.
    }
  }
  return ticks / 100;
}

async function measure(pair, inFlight, ms, first) {
  let next = first;
  const backends = await ownBackends();
  const serverBefore = postgresCpuSeconds(backends);
  const clientBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + ms;
  const loop = async () => {
    while (performance.now() < deadline) await pair(next++);
  };
  await Promise.all(Array.from({ length: inFlight }, loop));
  return {
    pairs: next - first,
    seconds: (performance.now() - started) / 1000,
    // Connections the pool opened during the slice are missed: every variant is warmed up first.
    server: postgresCpuSeconds(backends) - serverBefore,
    client: (({ user, system }) => (user + system) / 1e6)(process.cpuUsage(clientBefore)),
  };
}

/** The plan counts of every session of `target`: all its connections checked out at once. */
async function planCounts(target) {
  const clients = await Promise.all(Array.from({ length: target.totalCount }, () => target.connect()));
  const counts = new Map();
  try {
    for (const client of clients) {
      const { rows } = await client.query(
        "SELECT name, generic_plans, custom_plans FROM pg_prepared_statements",
      );
      for (const row of rows) {
        const name = row.name.replace(/_[0-9a-f]+$/, "").replace(/_g[0-9a-f]+$/, "");
        const count = counts.get(name) ?? { sessions: 0, generic: 0, custom: 0 };
        count.sessions++;
        count.generic += Number(row.generic_plans);
        count.custom += Number(row.custom_plans);
        counts.set(name, count);
      }
    }
  } finally {
    for (const client of clients) client.release();
  }
  return counts;
}

const main = pool();
const forced = pool(" -c plan_cache_mode=force_generic_plan");
const format = (n) => Math.round(n).toLocaleString("en-US");

await main.query(`CREATE SCHEMA ${schema}`);
try {
  await migrate(main, { table });
  const grownAt = performance.now();
  await growTables(main, table, grownWindows, grownRecords);
  const sizes = (
    await main.query(
      `SELECT (SELECT count(*) FROM ${table}_windows)::int AS windows, (SELECT count(*) FROM ${table})::int AS records`,
    )
  ).rows[0];
  // The raw pair does what the measured store's full pair does: with `checkHits`, a verify's rate
  // limits inside its one verify statement.
  const shape = await pairShape(
    core,
    fullOptions,
    { phone: phoneAt(0), ip: ipAt(0) },
    { ip: ipAt(0) },
    { checkHits: postgresStore({ client: main, table }).checkHits === true },
  );
  console.log(
    `otpkit on grown PostgreSQL tables: ${format(sizes.windows)} window rows, ${format(sizes.records)} records` +
      ` (grown in ${((performance.now() - grownAt) / 1000).toFixed(1)} s); pool of ${poolSize}, synchronous_commit=off;` +
      ` ${budgetMs} ms per figure in ${slices} interleaved turns; load average ${loadavg()[0].toFixed(2)}`,
  );
  console.log(
    `  full pair: put with ${shape.windows.length} windows, check with ${shape.failures.length} failure counters` +
      ` and ${shape.checkHits.length} windows` +
      `${shape.extraHits.length ? `, ${shape.extraHits.map((hits) => hits.length).join("+")} more windows in separate hits` : ""}`,
  );

  const store = postgresStore({ client: main, table });
  const forcedStore = postgresStore({ client: forced, table });
  const variants = [
    ["raw", () => rawPostgresPair(main, table, shape, freshTenant(), scattered)],
    ["otpkit", () => otpkitPair(core, store)],
    ["otpkit, generic", () => otpkitPair(core, forcedStore)],
  ];
  if (base)
    variants.push([
      "otpkit @ base",
      () => otpkitPair(base.core, base.postgres.postgresStore({ client: main, table })),
    ]);

  console.log(
    `  ${"".padEnd(14)}${"".padEnd(18)}${"pairs/s".padStart(9)}  ratio (turns)   backends' CPU µs/pair  client CPU µs/pair`,
  );
  for (const inFlight of [1, 64]) {
    const pairs = new Map();
    for (const [name, make] of variants) pairs.set(name, await make());
    const totals = new Map(
      variants.map(([name]) => [name, { index: 0, pairs: 0, seconds: 0, server: 0, client: 0, turns: [] }]),
    );
    // A short unmeasured turn first: every pool opens its connections (and each session prepares
    // its statements) before the measured turns read their backends' CPU.
    for (const [name] of variants) {
      const total = totals.get(name);
      total.index += (await measure(pairs.get(name), inFlight, 100, total.index)).pairs;
    }
    for (let turn = 0; turn < slices; turn++) {
      let rawRate = 0;
      for (const [name] of variants) {
        const total = totals.get(name);
        const slice = await measure(pairs.get(name), inFlight, budgetMs / slices, total.index);
        total.index += slice.pairs;
        total.pairs += slice.pairs;
        total.seconds += slice.seconds;
        total.server += slice.server;
        total.client += slice.client;
        const rate = slice.pairs / slice.seconds;
        if (name === "raw") rawRate = rate;
        total.turns.push(rate / rawRate);
      }
    }
    const rate = (name) => totals.get(name).pairs / totals.get(name).seconds;
    for (const [index, [name]] of variants.entries()) {
      const total = totals.get(name);
      const ratio = rate(name) / rate("raw");
      const spread =
        name === "raw"
          ? ""
          : `(${Math.min(...total.turns).toFixed(2)}–${Math.max(...total.turns).toFixed(2)})`;
      const mark = name === "otpkit" && inFlight === 64 ? ` target ≥ 0.80 ${ratio >= 0.8 ? "✓" : "✗"}` : "";
      const mode = index ? "" : inFlight === 1 ? "sequential" : `${inFlight} in flight`;
      console.log(
        `  ${mode.padEnd(14)}${name.padEnd(18)}${format(rate(name)).padStart(9)}  ${ratio.toFixed(2)} ${spread.padEnd(11)}` +
          `  ${((total.server * 1e6) / total.pairs).toFixed(0).padStart(8)}` +
          `  ${((total.client * 1e6) / total.pairs).toFixed(0).padStart(18)}${mark}`,
      );
    }
  }

  // Other work on the machine moves absolute figures (not the interleaved ratios): say how much.
  console.log(
    `  load average at the end (1, 5, 15 min): ${loadavg()
      .map((n) => n.toFixed(2))
      .join(", ")}`,
  );
  console.log("  pg_prepared_statements after the run (summed over the pool's sessions):");
  for (const [label, target] of [
    ["app pool", main],
    ["forced-generic pool", forced],
  ]) {
    for (const [name, count] of await planCounts(target))
      console.log(
        `    ${label.padEnd(20)}${name.padEnd(28)}generic ${String(count.generic).padStart(7)}  custom ${String(count.custom).padStart(7)}  (${count.sessions} sessions)`,
      );
  }
} finally {
  await main.query(`DROP SCHEMA ${schema} CASCADE`);
  await Promise.all([main.end(), forced.end()]);
}
