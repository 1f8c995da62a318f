// Core throughput on the memory store, one process (one core), and the size of an app bundle.
// Prints figures; asserts nothing. Bounded: a fixed number of short slices per figure.
//   node --expose-gc bench/core.mjs                         (after `pnpm build`)
//   node --expose-gc bench/core.mjs --baseline <checkout>   (also an older build of the core)
//
// Every figure interleaves its variants slice by slice (bench/interleave.mjs): the node and Web
// exports, the baseline's when given, and for pairs the raw pair and the fraud guard on.
// "Full pair" = send + verify by id with the default limits (per phone, ceiling, cooldown, per
// range) and the fraud guard off; the guard's overhead is a send's time with the default guard on
// against off, in the same pairs. "Raw pair" = the same crypto written by hand on a Map: one HMAC
// and one AES-256-GCM encryption to store, one HMAC, a constant-time compare and one decryption to
// check. BENCH_MS (default 1200): each variant's time per figure.
// Web variants run in figures of their own, so that their garbage is not collected in a node
// variant's slice.

import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from "node:crypto";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { format, interleave, rate, ratio } from "./interleave.mjs";
import { spreadPhoneAt as phoneAt } from "./numbers.mjs";

const here = dirname(fileURLToPath(import.meta.url));
/** BENCH_MS: the time of each variant in each figure, cut into 6 turns of 8 slices. */
const options = { turns: 6, slicesPerTurn: 8, sliceMs: Number(process.env.BENCH_MS ?? 1200) / 48 };
const secret = "bench-secret-bench-secret-bench-secret!";
const baselineAt = process.argv.indexOf("--baseline");
const baseline = baselineAt > 0 ? resolve(process.argv[baselineAt + 1]) : undefined;

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
  let next = 0;
  return { otp, codes, nextPhone: () => phoneAt(next++) };
}

const sendsOf = (core) => {
  const { otp, nextPhone } = makeOtp(core);
  return async (deadline) => {
    let ops = 0;
    while (performance.now() < deadline) {
      await otp.send({ phone: nextPhone() });
      ops++;
    }
    return ops;
  };
};

/** Verifies from a pool of pending codes, refilled (untimed) between slices. */
const verifiesOf = (core, byPhone) => {
  const { otp, codes, nextPhone } = makeOtp(core);
  const pool = [];
  return {
    async between() {
      while (pool.length < 4000) {
        const phone = nextPhone();
        const { id } = await otp.send(byPhone ? { phone, purpose: "signup" } : { phone });
        pool.push(byPhone ? { phone, purpose: "signup", code: codes.get(id) } : { id, code: codes.get(id) });
        codes.delete(id);
      }
    },
    async slice(deadline) {
      let ops = 0;
      while (performance.now() < deadline && pool.length) {
        await otp.verify(pool.pop());
        ops++;
      }
      return ops;
    },
  };
};

/** Full pairs: send, then verify by id; the time spent in sends alone is summed too. */
const pairsOf = (core, guardOn) => {
  const { otp, codes, nextPhone } = makeOtp(core, { guardOn });
  return async (deadline) => {
    let ops = 0;
    let sendMs = 0;
    while (performance.now() < deadline) {
      const before = performance.now();
      const { id } = await otp.send({ phone: nextPhone() });
      sendMs += performance.now() - before;
      await otp.verify({ id, code: codes.get(id) });
      codes.delete(id);
      ops++;
    }
    return { ops, sendMs };
  };
};

/** The same crypto as a pair, by hand, on a Map: the floor the engine is compared with. */
function rawPairs() {
  const hmacKey = Buffer.from(secret);
  const aesKey = Buffer.from(hkdfSync("sha256", hmacKey, "otpkit", "otpkit record data v1", 32));
  const records = new Map();
  const payload = JSON.stringify({
    phone: phoneAt(0),
    masked: "+1 ***-***-0000",
    metadata: {},
    country: "US",
  });
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
      Buffer.concat([
        decipher.update(record.data.subarray(0, record.data.length - 16)),
        decipher.final(),
      ]).toString(),
    );
  };
  let count = 0;
  return async (deadline) => {
    let ops = 0;
    while (performance.now() < deadline) {
      const key = `:l:${String(count).padStart(16, "0")}`;
      const code = String(100_000 + (count % 900_000));
      await put(key, code);
      if (!(await check(key, code))) throw new Error("raw pair failed");
      count++;
      ops++;
    }
    return ops;
  };
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

const cores = [
  { name: "node", label: "node:crypto (node export)", core: await loadCore(join(here, ".."), "node") },
];
cores.push({
  name: "web",
  label: "Web Crypto (default export)",
  core: await loadCore(join(here, ".."), "web"),
});
if (baseline) {
  cores.push({
    name: "base-node",
    label: "baseline, node export",
    core: await loadCore(baseline, "node"),
    of: "node",
  });
  cores.push({
    name: "base-web",
    label: "baseline, Web export",
    core: await loadCore(baseline, "web"),
    of: "web",
  });
}

console.log(
  `otp-core on the memory store, Node ${process.version}, one process; ${options.turns} turns × ${options.slicesPerTurn} interleaved slices of ${options.sliceMs} ms per variant and figure`,
);
if (baseline) console.log(`  baseline: ${baseline}`);

/** Each figure twice: the node exports together, then the Web exports together. */
const groups = [
  cores.filter((entry) => !entry.name.endsWith("web")),
  cores.filter((entry) => entry.name.endsWith("web")),
];
const figure = async (variantsOf) => {
  const merged = new Map();
  for (const group of groups)
    for (const [name, turns] of await interleave(variantsOf(group), options)) merged.set(name, turns);
  globalThis.gc?.();
  return merged;
};
const sends = await figure((group) => group.map(({ name, core }) => ({ name, slice: sendsOf(core) })));
const byId = await figure((group) => group.map(({ name, core }) => ({ name, ...verifiesOf(core, false) })));
const byPhone = await figure((group) => group.map(({ name, core }) => ({ name, ...verifiesOf(core, true) })));
const pairs = await figure((group) => {
  const variants = group.map(({ name, core }) => ({ name, slice: pairsOf(core, false) }));
  if (group[0].name === "node") {
    variants.push({ name: "raw", slice: rawPairs() });
    for (const { name, core } of group) variants.push({ name: `${name}+guard`, slice: pairsOf(core, true) });
  }
  return variants;
});

for (const { name, label } of cores) {
  const m = (figure) => format(rate(figure.get(name))).padStart(8);
  console.log(
    `  ${label.padEnd(28)} sends/s ${m(sends)}   verifies/s by id ${m(byId)}   by phone ${m(byPhone)}   full pairs/s ${m(pairs)}`,
  );
}
console.log(`  raw pair (node:crypto + Map)  pairs/s ${format(rate(pairs.get("raw")))}`);
console.log(`  full pair ÷ raw pair, node export: ${ratio(pairs.get("node"), pairs.get("raw")).text()}`);
if (baseline)
  console.log(`  baseline full pair ÷ raw pair: ${ratio(pairs.get("base-node"), pairs.get("raw")).text()}`);
for (const name of ["node", ...(baseline ? ["base-node"] : [])]) {
  const micros = (turns) => turns.map((turn) => (turn.sendMs * 1000) / turn.ops);
  const off = micros(pairs.get(name));
  const on = micros(pairs.get(`${name}+guard`));
  const overhead = on.map((value, turn) => value / off[turn] - 1);
  const sum = (values) => values.reduce((a, b) => a + b, 0);
  const total = (turns, key) => sum(turns.map((turn) => turn[key]));
  const overall =
    total(pairs.get(`${name}+guard`), "sendMs") /
      total(pairs.get(`${name}+guard`), "ops") /
      (total(pairs.get(name), "sendMs") / total(pairs.get(name), "ops")) -
    1;
  const percent = (value) => `${(value * 100).toFixed(1)}%`;
  console.log(
    `  fraud guard (defaults) on vs off, ${name}: a send takes ${percent(overall)} longer (turns ${percent(Math.min(...overhead))}–${percent(Math.max(...overhead))}); send ${(sum(off) / off.length).toFixed(1)} µs off; pairs/s on ${format(rate(pairs.get(`${name}+guard`)))}`,
  );
}
if (baseline) {
  for (const { name, of } of cores.filter((entry) => entry.of)) {
    for (const [label, figure] of [
      ["sends", sends],
      ["verifies by id", byId],
      ["verifies by phone", byPhone],
      ["full pairs", pairs],
    ])
      console.log(
        `  ${of} export, ${label.padEnd(17)} now ÷ baseline: ${ratio(figure.get(of), figure.get(name)).text()}`,
      );
  }
}

const core = await bundleSize(true);
const full = await bundleSize(false);
console.log(
  "bundle of an app importing createOtp + memoryStore + unosend, send + verify (esbuild, minified):",
);
console.log(
  `  without phone metadata  ${(core.min / 1024).toFixed(1)} KB min, ${(core.gzip / 1024).toFixed(2)} KB min+gzip`,
);
console.log(
  `  with libphonenumber-js  ${(full.min / 1024).toFixed(1)} KB min, ${(full.gzip / 1024).toFixed(2)} KB min+gzip`,
);
