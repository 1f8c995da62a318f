// otpkit against better-auth's phone-number plugin on the same PostgreSQL database, in one run.
// Prints figures; asserts nothing. Bounded: a fixed number of short slices per figure.
//   pnpm build && node bench/peers.mjs      (DATABASE_URL; BENCH_MS: each variant's time per figure)
//
// One pair = one code sent and consumed:
//   otpkit       otp.send → otp.verify by id: default limits (per phone, ceiling, cooldown, per
//                range), the fraud guard off, the PostgreSQL store (its current statements).
//   better-auth  auth.api.sendPhoneNumberOTP → auth.api.consumePhoneNumberOTP (checks and consumes
//                the code without touching a user or a session), better-auth 1.7, its Kysely
//                adapter on a pg Pool, its own rate limiter off (otpkit's limits stay on).
// In process (no client IP: a server-side caller), and over HTTP on 127.0.0.1: otpkit's node:http
// front end (createNodeOtpHandler; a client IP per pair in X-Forwarded-For, so its per-IP send
// window and verify budget count too: one more statement per verify) against better-auth's node handler
// (toNodeHandler) for /phone-number/send-otp and its consume behind a minimal node route (the
// plugin serves no HTTP route that only consumes; /phone-number/verify would also create a user).
// Both share one database: their own tables in a schema of this run (perf_cpu_peers), a pool of
// 16 connections each. Concurrency 1, 16, 64 in flight; variants interleaved slice by slice.
// Also: statements per operation (every pg Client.query counted, by the pool's application_name),
// this process's CPU per pair (both sides of HTTP run here) and the PostgreSQL backends' CPU per
// pair (/proc/<pid>/stat of the pools' backends, found in pg_stat_activity).
// Tables that have grown (the default; PEERS_FRESH=1 for empty tables): before any pair, otpkit's
// windows table gets GROWN_WINDOWS rows (default 1,100,000) and its codes table GROWN_RECORDS
// (default 200,000) as in bench/grown.mjs, and better-auth's `verification` table as many rows as
// otpkit's codes (pending codes of other numbers; its `identifier` index is better-auth's own).

import { readFileSync } from "node:fs";
import { createServer, request } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { betterAuth } from "better-auth";
import { getMigrations } from "better-auth/db/migration";
import { toNodeHandler } from "better-auth/node";
import { phoneNumber } from "better-auth/plugins";
import pg from "pg";
import { growTables } from "./equivalent.mjs";
import { format, interleave, rate, ratio } from "./interleave.mjs";
import { spreadPhoneAt as phoneAt } from "./numbers.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const core = await import(join(here, "../packages/otp-core/dist/node/index.js"));
const { createNodeOtpHandler } = await import(join(here, "../packages/otp-core/dist/node/node.js"));
const { postgresStore, migrate } = await import(join(here, "../packages/storage-postgres/dist/index.js"));

const databaseUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const schema = "perf_cpu_peers";
const secret = "bench-secret-bench-secret-bench-secret!";
const totalMs = Number(process.env.BENCH_MS ?? 2400);
const options = { turns: 6, slicesPerTurn: 4, sliceMs: totalMs / 24 };
const grown = process.env.PEERS_FRESH !== "1";
const grownWindows = Number(process.env.GROWN_WINDOWS ?? 1_100_000);
const grownRecords = Number(process.env.GROWN_RECORDS ?? 200_000);

// ——— Statements, counted per pool ———
const statements = { otpkit: 0, "better-auth": 0 };
const clientQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(...args) {
  const side = this.connectionParameters?.application_name;
  if (side === "otpkit") statements.otpkit++;
  else if (side === "better-auth") statements["better-auth"]++;
  return clientQuery.apply(this, args);
};

const admin = new pg.Client({ connectionString: databaseUrl });
await admin.connect();
await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
await admin.query(`CREATE SCHEMA ${schema}`);
const pool = (name) => {
  const created = new pg.Pool({
    connectionString: databaseUrl,
    max: 16,
    application_name: name,
    options: `-c search_path=${schema}`,
  });
  created.on("error", () => {});
  return created;
};
const otpkitPool = pool("otpkit");
const betterPool = pool("better-auth");

// ——— otpkit ———
await migrate(otpkitPool, { table: `${schema}.otpkit_codes` });
const store = postgresStore({ client: otpkitPool, table: `${schema}.otpkit_codes` });
const otpkitCodes = new Map();
const sender = {
  name: "capture",
  async send(message) {
    otpkitCodes.set(message.metadata.verification_id, core.extractCode(message.body));
    return { id: "m" };
  },
};
const otp = core.createOtp({ secret, store, sender, guard: { tripwire: false } });

// ——— better-auth ———
const betterCodes = new Map();
const betterServer = createServer();
await new Promise((resolve) => betterServer.listen(0, "127.0.0.1", resolve));
const betterUrl = `http://127.0.0.1:${betterServer.address().port}`;
const authOptions = {
  database: betterPool,
  secret,
  baseURL: betterUrl,
  rateLimit: { enabled: false },
  telemetry: { enabled: false },
  logger: { disabled: true },
  plugins: [
    phoneNumber({
      sendOTP: ({ phoneNumber: to, code }) => {
        betterCodes.set(to, code);
      },
    }),
  ],
};
const { runMigrations } = await getMigrations(authOptions);
await runMigrations();
const auth = betterAuth(authOptions);

// ——— Grown tables (one INSERT … generate_series per table, then ANALYZE) ———
if (grown) {
  await growTables(otpkitPool, `${schema}.otpkit_codes`, grownWindows, grownRecords);
  // better-auth's pending codes of other numbers (+44 7700 9xxxxx: never one of the bench's), in
  // its own column layout ("value" is "<code>:<attempts>").
  await betterPool.query(`INSERT INTO verification (id, identifier, value, "expiresAt", "createdAt", "updatedAt")
    SELECT substr(md5(i::text), 1, 32), 'phone-number-otp-+447700' || lpad(i::text, 6, '0'),
      lpad((i % 1000000)::text, 6, '0') || ':0', now() + interval '5 minutes', now(), now()
    FROM generate_series(1, ${grownRecords}) AS i`);
  await betterPool.query("ANALYZE verification");
}
const counts = await admin.query(`SELECT
  (SELECT count(*) FROM ${schema}.otpkit_codes_windows)::int AS windows,
  (SELECT count(*) FROM ${schema}.otpkit_codes)::int AS codes,
  (SELECT count(*) FROM ${schema}.verification)::int AS verification`);
const betterHandler = toNodeHandler(auth);
betterServer.on("request", (req, res) => {
  if (req.url !== "/consume") return betterHandler(req, res);
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", async () => {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      const result = await auth.api.consumePhoneNumberOTP({ body });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(result));
    } catch (error) {
      res.writeHead(error?.statusCode ?? 500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: String(error?.message ?? error) }));
    }
  });
});
// The client IP comes from X-Forwarded-For (one trusted proxy), a new address per pair as real
// traffic has: the default per-IP limits stay on without one loopback address becoming a hot row.
const otpkitServer = createServer(createNodeOtpHandler(otp, { trustProxy: 1, onError: () => {} }));
const ipAt = (i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
await new Promise((resolve) => otpkitServer.listen(0, "127.0.0.1", resolve));
const otpkitPort = otpkitServer.address().port;

// ——— HTTP client ———
const post = (port, path, body, headers = {}) =>
  new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        method: "POST",
        agent,
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(payload),
          ...headers,
        },
      },
      (res) => {
        const chunks = [];
        res.on("data", (chunk) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          if (res.statusCode !== 200) reject(new Error(`${path}: ${res.statusCode} ${text}`));
          else resolve(JSON.parse(text));
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
let agent;

// ——— The pairs ———
let otpkitNext = 0;
let betterNext = 5_000_000;
const pairs = {
  otpkit: {
    async inProcess() {
      const { id } = await otp.send({ phone: phoneAt(otpkitNext++) });
      const code = otpkitCodes.get(id);
      otpkitCodes.delete(id);
      await otp.verify({ id, code });
    },
    async overHttp() {
      const from = { "x-forwarded-for": ipAt(otpkitNext) };
      const sent = await post(otpkitPort, "/v1/sms/verify/send", { phone: phoneAt(otpkitNext++) }, from);
      const code = otpkitCodes.get(sent.id);
      otpkitCodes.delete(sent.id);
      const checked = await post(otpkitPort, "/v1/sms/verify/check", { id: sent.id, code }, from);
      if (checked.status !== "approved") throw new Error("otpkit: not approved");
    },
  },
  "better-auth": {
    async inProcess() {
      const phone = phoneAt(betterNext++);
      await auth.api.sendPhoneNumberOTP({ body: { phoneNumber: phone } });
      const code = betterCodes.get(phone);
      betterCodes.delete(phone);
      const consumed = await auth.api.consumePhoneNumberOTP({ body: { phoneNumber: phone, code } });
      if (!consumed.status) throw new Error("better-auth: not consumed");
    },
    async overHttp() {
      const phone = phoneAt(betterNext++);
      const port = betterServer.address().port;
      await post(port, "/api/auth/phone-number/send-otp", { phoneNumber: phone }, { origin: betterUrl });
      const code = betterCodes.get(phone);
      betterCodes.delete(phone);
      const consumed = await post(port, "/consume", { phoneNumber: phone, code });
      if (!consumed.status) throw new Error("better-auth: not consumed");
    },
  },
};

// ——— PostgreSQL backends' CPU ———
const ticksPerSecond = 100;
const backendCpuMicros = async () => {
  const { rows } = await admin.query(
    "SELECT pid FROM pg_stat_activity WHERE application_name IN ('otpkit', 'better-auth')",
  );
  let ticks = 0;
  for (const { pid } of rows) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // A backend that just ended: its CPU is lost from the figure (rare; pools keep them).
    }
  }
  return (ticks * 1_000_000) / ticksPerSecond;
};

// Statements per operation: a few sequential pairs, counted apart for each step.
console.log(
  `otpkit vs better-auth's phone-number plugin on PostgreSQL (${databaseUrl.replace(/\/\/[^@]*@/, "//")}, schema ${schema}), Node ${process.version}`,
);
{
  const { windows, codes, verification } = counts.rows[0];
  console.log(
    `  tables ${grown ? "grown" : "fresh (PEERS_FRESH=1)"}: otpkit windows ${windows}, codes ${codes}; better-auth verification ${verification}`,
  );
}
{
  const counted = async (side, run) => {
    const before = statements[side];
    await run();
    return statements[side] - before;
  };
  const perStep = { otpkit: [0, 0], "better-auth": [0, 0] };
  const rounds = 20;
  for (let i = 0; i < rounds; i++) {
    let id;
    perStep.otpkit[0] += await counted("otpkit", async () => {
      ({ id } = await otp.send({ phone: phoneAt(otpkitNext++) }));
    });
    perStep.otpkit[1] += await counted("otpkit", () => otp.verify({ id, code: otpkitCodes.get(id) }));
    const phone = phoneAt(betterNext++);
    perStep["better-auth"][0] += await counted("better-auth", () =>
      auth.api.sendPhoneNumberOTP({ body: { phoneNumber: phone } }),
    );
    perStep["better-auth"][1] += await counted("better-auth", () =>
      auth.api.consumePhoneNumberOTP({ body: { phoneNumber: phone, code: betterCodes.get(phone) } }),
    );
  }
  console.log("  statements (round trips) per operation, sequential:");
  for (const [side, [sends, checks]] of Object.entries(perStep))
    console.log(
      `    ${side.padEnd(12)} send ${(sends / rounds).toFixed(1)}   verify/consume ${(checks / rounds).toFixed(1)}`,
    );
}

for (const transport of ["inProcess", "overHttp"]) {
  for (const inFlight of [1, 16, 64]) {
    agent = new (await import("node:http")).Agent({ keepAlive: true, maxSockets: inFlight });
    const variant = (side) => ({
      name: side,
      async slice(deadline) {
        const cpu = process.cpuUsage();
        const backends = await backendCpuMicros();
        const queries = statements[side];
        let ops = 0;
        const loop = async () => {
          while (performance.now() < deadline) {
            await pairs[side][transport]();
            ops++;
          }
        };
        await Promise.all(Array.from({ length: inFlight }, loop));
        const used = process.cpuUsage(cpu);
        return {
          ops,
          nodeMicros: used.user + used.system,
          serverMicros: (await backendCpuMicros()) - backends,
          queries: statements[side] - queries,
        };
      },
    });
    const results = await interleave([variant("otpkit"), variant("better-auth")], options);
    agent.destroy();
    const per = (side, key) => {
      const turns = results.get(side);
      return turns.reduce((sum, turn) => sum + turn[key], 0) / turns.reduce((sum, turn) => sum + turn.ops, 0);
    };
    console.log(`  ${transport === "inProcess" ? "in process" : "over HTTP"}, ${inFlight} in flight:`);
    for (const side of ["otpkit", "better-auth"])
      console.log(
        `    ${side.padEnd(12)} pairs/s ${format(rate(results.get(side))).padStart(7)}   statements/pair ${per(side, "queries").toFixed(1).padStart(4)}   Node CPU ${per(side, "nodeMicros").toFixed(0).padStart(5)} µs/pair   PostgreSQL CPU ${per(side, "serverMicros").toFixed(0).padStart(5)} µs/pair`,
      );
    console.log(
      `    otpkit ÷ better-auth: ${ratio(results.get("otpkit"), results.get("better-auth")).text()}`,
    );
  }
}

otpkitServer.close();
betterServer.close();
await otpkitPool.end();
await betterPool.end();
await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
await admin.end();
