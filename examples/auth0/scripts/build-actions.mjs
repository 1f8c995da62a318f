#!/usr/bin/env node
/**
 * Builds actions/*.ts into dist/actions/*.cjs, what you paste into Auth0: one CommonJS file each for Auth0's Node 22
 * runtime, otpkit inlined, `libphonenumber-js` and `ioredis` left as `require`s (declare them as
 * the Action's dependencies). Fails when a file passes Auth0's 100 kB Action limit.
 */
import { readdirSync, statSync } from "node:fs";
import { build } from "esbuild";

const dir = new URL("../actions/", import.meta.url);
const out = new URL("../dist/actions/", import.meta.url);
const entries = readdirSync(dir).filter((name) => name.endsWith(".ts"));
await build({
  entryPoints: entries.map((name) => new URL(name, dir).pathname),
  outdir: out.pathname,
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node22",
  outExtension: { ".js": ".cjs" },
  external: ["libphonenumber-js", "ioredis"],
  // otp-core's split chunks import each other bare; they are pure, so skipping them is right.
  logOverride: { "ignored-bare-import": "silent" },
  // Minified, with function and class names kept (`keepNames`) so that a stack trace in Auth0's
  // logs still names otpkit's functions. Whitespace-only minification kept every local name
  // readable but reached the 100 kB limit (100.1 kB for custom-phone-provider at the end of 2026);
  // minified it is ~73 kB, leaving the core room to grow.
  minify: true,
  keepNames: true,
  logLevel: "warning",
});
for (const name of entries) {
  const file = new URL(name.replace(/\.ts$/, ".cjs"), out);
  const kb = statSync(file).size / 1000;
  if (kb >= 100) throw new Error(`${name}: ${kb.toFixed(1)} kB passes Auth0's 100 kB Action limit.`);
  console.log(`dist/actions/${name.replace(/\.ts$/, ".cjs")}  ${kb.toFixed(1)} kB`);
}
