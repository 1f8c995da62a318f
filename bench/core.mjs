// Core throughput on the memory store, one process (one core), and the size of an app bundle.
// Prints figures; asserts nothing. Bounded: every figure runs for a fixed time budget per turn.
//   node --expose-gc bench/core.mjs                         (after `pnpm build`)
//   node --expose-gc bench/core.mjs --baseline <checkout>   (also an older build, interleaved turns)
//
// "Full pair" = send + verify by id with the default limits (per phone, ceiling, cooldown, per
// range) and the fraud guard off; the guard's overhead is measured separately (default guard on
// vs off). "Raw pair" = the same crypto written by hand on a Map: one HMAC + one AES-256-GCM
// encryption to store, one HMAC + a constant-time compare + one decryption to check.

import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const budgetMs = Number(process.env.BENCH_MS ?? 500);
const turns = Number(process.env.BENCH_TURNS ?? 6);
const secret = "bench-secret-bench-secret-bench-secret!";
const baselineAt = process.argv.indexOf("--baseline");
const baseline = baselineAt > 0 ? resolve(process.argv[baselineAt + 1]) : undefined;

/**
 * Distinct valid US numbers spread over 40,000 ranges (+1 NPA NXX, the number minus its last four
 * digits), so that neither the per-phone limits nor the default 20-per-hour range rule refuse a
 * send of the benchmark: number i lands in range i mod 40,000.
 */
const areaCodes = [
  201, 202, 203, 205, 206, 207, 208, 209, 210, 212, 213, 214, 215, 216, 217, 218, 219, 224, 225, 228, 229,
  231, 234, 239, 240, 248, 251, 252, 253, 254, 256, 260, 262, 267, 269, 270, 272, 276, 281, 301, 302, 303,
  304, 305, 307, 308, 309, 310, 312, 313,
];
const ranges = areaCodes.length * 800;
const phoneAt = (i) => {
  const range = i % ranges;
  const line = Math.floor(i / ranges) % 10_000;
  return `+1${areaCodes[Math.floor(range / 800)]}${200 + (range % 800)}${String(line).padStart(4, "0")}`;
};

async function loadCore(root, variant) {
  const dist = join(root, "packages/otp-core/dist");
  return import(join(dist, variant === "node" ? "node/index.js" : "index.js"));
}

/** One otp instance of `core` on a fresh memory store, with a sender that captures the codes. */
function makeOtp(core, { guardOn = false } = {}) {
  const codes = new Map();
  const sender = {
    name: "capture",
    async send(message) {
      codes.set(message.metadata.verification_id, core.extractCode(message.body));
      return { id: "m" };
    },
  };
  const otp = core.createOtp({ secret, sender, ...(guardOn ? {} : { guard: { tripwire: false } }) });
  return { otp, codes };
}

/** Sends for the budget, then verifies those codes by id for the budget. */
async function sendsAndVerifies(core) {
  const { otp, codes } = makeOtp(core);
  const ids = [];
  let started = performance.now();
  while (performance.now() - started < budgetMs) {
    for (let batch = 0; batch < 256; batch++) ids.push((await otp.send({ phone: phoneAt(ids.length) })).id);
  }
  const sends = ids.length / ((performance.now() - started) / 1000);
  // Start each phase from a collected heap, so one phase's garbage is not billed to the next.
  globalThis.gc?.();
  let verified = 0;
  started = performance.now();
  for (const id of ids) {
    await otp.verify({ id, code: codes.get(id) });
    verified++;
    if ((verified & 255) === 0 && performance.now() - started > budgetMs) break;
  }
  const verifies = verified / ((performance.now() - started) / 1000);
  return { sends, verifies };
}

/** Verify by phone costs one more HMAC (the phone's key digest) and a parse of the number. */
async function verifiesByPhone(core) {
  const { otp, codes } = makeOtp(core);
  const phones = [];
  for (let i = 0; i < 5_000; i++) {
    const phone = phoneAt(i);
    const { id } = await otp.send({ phone, purpose: "signup" });
    phones.push([phone, codes.get(id)]);
  }
  globalThis.gc?.();
  const started = performance.now();
  for (const [phone, code] of phones) await otp.verify({ phone, purpose: "signup", code });
  return phones.length / ((performance.now() - started) / 1000);
}

/**
 * Full pairs, one after another: send, then verify by id. Also the time spent in sends alone
 * (the guard's overhead is a share of a send).
 */
async function pairs(core, guardOn) {
  const { otp, codes } = makeOtp(core, { guardOn });
  globalThis.gc?.();
  let count = 0;
  let sendMs = 0;
  const started = performance.now();
  while (performance.now() - started < budgetMs) {
    for (let batch = 0; batch < 128; batch++) {
      const before = performance.now();
      const { id } = await otp.send({ phone: phoneAt(count) });
      sendMs += performance.now() - before;
      await otp.verify({ id, code: codes.get(id) });
      count++;
    }
  }
  return { pairs: count / ((performance.now() - started) / 1000), sendMicros: (sendMs * 1000) / count };
}

/** The same crypto as a pair, by hand, on a Map: the floor the engine is compared with. */
async function rawPairs() {
  const hmacKey = Buffer.from(secret);
  const aesKey = Buffer.from(hkdfSync("sha256", hmacKey, "otpkit", "otpkit record data v1", 32));
  const records = new Map();
  const payload = JSON.stringify({ phone: phoneAt(0), masked: "+1 ***-***-0000", metadata: {}, country: "US" });
  const put = async (key, code) => {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", aesKey, iv).setAAD(Buffer.from(key));
    const data = Buffer.concat([cipher.update(payload, "utf8"), cipher.final(), cipher.getAuthTag()]);
    const hash = createHmac("sha256", hmacKey).update(`code|${key}|${code}`).digest();
    records.set(key, { hash, iv, data });
  };
  const check = async (key, code) => {
    const record = records.get(key);
    const hash = createHmac("sha256", hmacKey).update(`code|${key}|${code}`).digest();
    if (!record || !timingSafeEqual(hash, record.hash)) return undefined;
    records.delete(key);
    const decipher = createDecipheriv("aes-256-gcm", aesKey, record.iv)
      .setAAD(Buffer.from(key))
      .setAuthTag(record.data.subarray(record.data.length - 16));
    return JSON.parse(
      Buffer.concat([decipher.update(record.data.subarray(0, record.data.length - 16)), decipher.final()]).toString(),
    );
  };
  globalThis.gc?.();
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < budgetMs) {
    for (let batch = 0; batch < 128; batch++) {
      const key = `:l:${String(count).padStart(16, "0")}`;
      const code = String(100_000 + (count % 900_000));
      await put(key, code);
      if (!(await check(key, code))) throw new Error("raw pair failed");
      count++;
    }
  }
  return count / ((performance.now() - started) / 1000);
}

async function bundleSize(externalPhone) {
  const result = await build({
    stdin: {
      contents: `import { createOtp, memoryStore, unosend } from "@otpkit/otp-core";
        const otp = createOtp({ secret: globalThis.SECRET, store: memoryStore(), sender: unosend({ apiKey: globalThis.KEY }) });
        export const send = (phone) => otp.send({ phone });
        export const verify = (id, code) => otp.verify({ id, code });`,
      resolveDir: join(here, "../packages/otp-core"),
    },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    write: false,
    external: externalPhone ? ["libphonenumber-js", "libphonenumber-js/*"] : [],
    logLevel: "silent",
  });
  const code = result.outputFiles[0].contents;
  return { min: code.length, gzip: gzipSync(code, { level: 9 }).length };
}

const format = (n) => Math.round(n).toLocaleString("en-US");
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const spread = (values) =>
  `${median(values).toFixed(2)}× (turns ${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})`;

const variants = [
  { name: "node", label: "node:crypto (node export)", core: await loadCore(join(here, ".."), "node") },
  { name: "web", label: "Web Crypto (default export)", core: await loadCore(join(here, ".."), "web") },
];
if (baseline) {
  variants.push({
    name: "base-node",
    label: "baseline, node export",
    core: await loadCore(baseline, "node"),
    of: "node",
  });
  variants.push({ name: "base-web", label: "baseline, Web export", core: await loadCore(baseline, "web"), of: "web" });
}

console.log(
  `otp-core on the memory store, Node ${process.version}, one process, ${turns} interleaved turns (after one warm-up) of ${budgetMs} ms per figure`,
);
if (baseline) console.log(`  baseline: ${baseline}`);
const figures = new Map(variants.map((variant) => [variant.name, []]));
const raw = [];
// Turn 0 warms every variant up (JIT, caches) and is not counted.
for (let turn = -1; turn < turns; turn++) {
  // Alternate the order each turn, so that drift (heat, other processes) does not favour one side.
  const order = turn % 2 ? [...variants].reverse() : variants;
  for (const variant of order) {
    const { sends, verifies } = await sendsAndVerifies(variant.core);
    const byPhone = await verifiesByPhone(variant.core);
    const off = await pairs(variant.core, false);
    const on = await pairs(variant.core, true);
    if (turn >= 0) figures.get(variant.name).push({ sends, verifies, byPhone, pairs: off.pairs, off, on });
  }
  const rawTurn = await rawPairs();
  if (turn >= 0) raw.push(rawTurn);
}

const metric = (name, key) => figures.get(name).map((turn) => turn[key]);
const guardOverhead = (name) => figures.get(name).map((turn) => turn.on.sendMicros / turn.off.sendMicros - 1);
for (const variant of variants) {
  const m = (key) => format(median(metric(variant.name, key))).padStart(8);
  console.log(
    `  ${variant.label.padEnd(28)} sends/s ${m("sends")}   verifies/s by id ${m("verifies")}   by phone ${m("byPhone")}   full pairs/s ${m("pairs")}`,
  );
}
console.log(`  raw pair (node:crypto + Map)  pairs/s ${format(median(raw))}`);
const node = metric("node", "pairs");
console.log(`  full pair ÷ raw pair (node export): ${spread(node.map((value, turn) => value / raw[turn]))}`);
for (const variant of variants.filter((v) => !v.of)) {
  const overhead = guardOverhead(variant.name);
  const micros = median(figures.get(variant.name).map((turn) => turn.off.sendMicros));
  console.log(
    `  fraud guard (defaults) on vs off, ${variant.name} export: send ${micros.toFixed(1)} µs off, +${(median(overhead) * 100).toFixed(1)}% on (turns ${(Math.min(...overhead) * 100).toFixed(1)}–${(Math.max(...overhead) * 100).toFixed(1)}%); pairs/s on ${format(median(metric(variant.name, "on").map((on) => on.pairs)))}`,
  );
}
if (baseline) {
  for (const variant of variants.filter((v) => v.of)) {
    for (const key of ["sends", "verifies", "byPhone", "pairs"]) {
      const now = metric(variant.of, key);
      const before = metric(variant.name, key);
      console.log(
        `  ${variant.of} export ${key.padEnd(8)} now ÷ baseline: ${spread(now.map((value, turn) => value / before[turn]))}`,
      );
    }
  }
}

const core = await bundleSize(true);
const full = await bundleSize(false);
console.log("bundle of an app importing createOtp + memoryStore + unosend, send + verify (esbuild, minified):");
console.log(
  `  without phone metadata  ${(core.min / 1024).toFixed(1)} KB min, ${(core.gzip / 1024).toFixed(2)} KB min+gzip`,
);
console.log(
  `  with libphonenumber-js  ${(full.min / 1024).toFixed(1)} KB min, ${(full.gzip / 1024).toFixed(2)} KB min+gzip`,
);
