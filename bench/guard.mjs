// The fraud guard's overhead on a send, in a steady state: guard on (defaults: the conversion
// tripwire per range and per country) against off, send-only slices (verifies of 80% of the sends
// run untimed between slices), memory store, on a country log that already holds N events of its
// 1-hour window and gains one and loses one per send (a send rate of N per hour). Prints CPU and
// wall time per send and the overhead with its per-turn range; asserts nothing. Bounded: 48
// slices per size. (bench/core.mjs's pairs never reach a steady state: seconds of sends against a
// one-hour window only grow the log.)
//   node --expose-gc bench/guard.mjs [checkout, built; default: this one] [sizes, default 10000,100000]
//   MODE=grow: nothing expires (20,000 sends/s of simulated time). BENCH_MS: each variant's time per size.
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { interleave } from "./interleave.mjs";
import { spreadPhoneAt as phoneAt } from "./numbers.mjs";

const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), ".."));
const sizes = (process.argv[3] ?? "10000,100000").split(",").map(Number);
const steady = (process.env.MODE ?? "steady") === "steady";
const core = await import(join(root, "packages/otp-core/dist/node/index.js"));
const secret = "bench-secret-bench-secret-bench-secret!";
const windowMs = 3_600_000;

function variant(name, guardOn, logSize) {
  const codes = new Map();
  const sender = {
    name: "capture",
    async send(m) {
      codes.set(m.metadata.verification_id, core.extractCode(m.body));
      return { id: "m" };
    },
  };
  const store = core.memoryStore();
  const T0 = Date.now();
  let time = T0;
  const step = steady ? windowMs / logSize : 0.05; // steady: send rate = logSize per window; grow: 20,000 sends/s, nothing expires
  const otp = core.createOtp({
    secret,
    sender,
    store,
    expiryMinutes: { login: 60 },
    clock: () => time,
    ...(guardOn ? {} : { guard: { tripwire: false } }),
  });
  let next = 0;
  let sent = [];
  return {
    name,
    async init() {
      if (!guardOn || !logSize) return;
      // discover keys (at the window's start: the log stays sorted)
      time = steady ? T0 - windowMs : T0 - logSize * step - 1;
      const { id } = await otp.send({ phone: phoneAt(next++) });
      await otp.verify({ id, code: codes.get(id) });
      const keys = store.dump().windows.map(([k]) => k);
      const sentKey = keys.find((k) => k.includes(":sent_country:"));
      const verifiedKey = keys.find((k) => k.includes(":verified_country:"));
      for (let i = 0; i < logSize; i++) {
        const at = (steady ? T0 - windowMs : T0 - logSize * step) + (i + 1) * step;
        await store.hit([{ key: sentKey, limit: 1e9, windowMs }], at);
        if (i % 5) await store.hit([{ key: verifiedKey, limit: 1e9, windowMs }], at);
      }
      time = T0;
    },
    async between() {
      // untimed: verify 80% of what the last slice sent
      for (let i = 0; i < sent.length; i++)
        if (i % 5) await otp.verify({ id: sent[i], code: codes.get(sent[i]) });
      sent = [];
      codes.clear();
    },
    async slice(deadline) {
      let ops = 0;
      const cpu = process.cpuUsage();
      while (performance.now() < deadline) {
        time += step;
        const { id } = await otp.send({ phone: phoneAt(next++) });
        sent.push(id);
        ops++;
      }
      const used = process.cpuUsage(cpu);
      return { ops, cpuMs: (used.user + used.system) / 1000 };
    },
    logLength() {
      const w = store.dump().windows.find(([k]) => k.includes(":sent_country:"));
      return w ? w[1].length : 0;
    },
  };
}
const ms = Number(process.env.BENCH_MS ?? 1200);
for (const size of sizes) {
  const variants = [variant("off", false, size), variant("on", true, size)];
  for (const v of variants) await v.init();
  const result = await interleave(variants, { turns: 6, slicesPerTurn: 8, sliceMs: ms / 48 });
  const per = (name, key) => result.get(name).map((t) => (t[key] * 1000) / t.ops);
  const sum = (name, key) => result.get(name).reduce((s, t) => s + t[key], 0);
  const over = (key) => sum("on", key) / sum("on", "ops") / (sum("off", key) / sum("off", "ops")) - 1;
  const turns = (key) => {
    const a = per("on", key),
      b = per("off", key);
    const r = a.map((x, i) => x / b[i] - 1);
    return `${(Math.min(...r) * 100).toFixed(1)}..${(Math.max(...r) * 100).toFixed(1)}%`;
  };
  console.log(
    `log ${String(size).padStart(6)} (now ${variants[1].logLength()}): off ${((sum("off", "cpuMs") * 1000) / sum("off", "ops")).toFixed(1)} µs cpu/send; guard cpu +${(over("cpuMs") * 100).toFixed(1)}% (turns ${turns("cpuMs")}), wall +${(over("ms") * 100).toFixed(1)}% (turns ${turns("ms")}); sends on ${sum("on", "ops")}`,
  );
  globalThis.gc?.();
}
