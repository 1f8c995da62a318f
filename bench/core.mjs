// Core throughput on the memory store, one process (one core), and the size of an app bundle.
// Prints figures; asserts nothing. Bounded: each measurement runs for a fixed time budget.
//   node --expose-gc bench/core.mjs            (after `pnpm build`)

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const coreDist = join(here, "../packages/otp-core/dist");
const budgetMs = Number(process.env.BENCH_MS ?? 2000);
const secret = "bench-secret-bench-secret-bench-secret!";

/** Valid US mobile-capable numbers, distinct, so no per-phone limit interferes. */
const phoneAt = (i) => `+1415${2 + (Math.floor(i / 1_000_000) % 8)}${String(i % 1_000_000).padStart(6, "0")}`;

async function measure(variant) {
  const core = await import(join(coreDist, variant === "node" ? "node/index.js" : "index.js"));
  const codes = new Map();
  const sender = {
    name: "capture",
    async send(message) {
      codes.set(message.metadata.verification_id, core.extractCode(message.body));
      return { id: "m" };
    },
  };
  // Limits stay on (per phone, cooldown); the prefix rule is off because the bench walks sequential numbers.
  const otp = core.createOtp({ secret, sender, limits: { perPrefix: false } });

  const ids = [];
  let started = performance.now();
  while (performance.now() - started < budgetMs) {
    for (let batch = 0; batch < 256; batch++) ids.push((await otp.send({ phone: phoneAt(ids.length) })).id);
  }
  const sendsPerSecond = ids.length / ((performance.now() - started) / 1000);

  // Start each phase from a collected heap, so one phase's garbage is not billed to the next.
  globalThis.gc?.();
  let verified = 0;
  started = performance.now();
  for (const id of ids) {
    await otp.verify({ id, code: codes.get(id) });
    verified++;
    if ((verified & 255) === 0 && performance.now() - started > budgetMs) break;
  }
  const verifiesPerSecond = verified / ((performance.now() - started) / 1000);

  // Verify by phone costs one more HMAC (the phone's key digest).
  const phones = [];
  for (let i = 0; i < 20_000; i++) {
    const phone = phoneAt(5_000_000 + i);
    const { id } = await otp.send({ phone, purpose: "signup" });
    phones.push([phone, codes.get(id)]);
  }
  globalThis.gc?.();
  started = performance.now();
  for (const [phone, code] of phones) await otp.verify({ phone, purpose: "signup", code });
  const byPhonePerSecond = phones.length / ((performance.now() - started) / 1000);
  return { sendsPerSecond, verifiesPerSecond, byPhonePerSecond };
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
console.log(`otp-core on the memory store, Node ${process.version}, one process, ${budgetMs} ms per figure`);
for (const variant of ["node", "web"]) {
  const { sendsPerSecond, verifiesPerSecond, byPhonePerSecond } = await measure(variant);
  const label = variant === "node" ? "node:crypto (node export)" : "Web Crypto (default export)";
  console.log(
    `  ${label.padEnd(28)} sends/s ${format(sendsPerSecond).padStart(9)}   verifies/s by id ${format(verifiesPerSecond).padStart(9)}   by phone ${format(byPhonePerSecond).padStart(9)}`,
  );
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
