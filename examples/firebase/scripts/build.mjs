#!/usr/bin/env node
/**
 * `pnpm build`: two bundles with esbuild.
 *
 * - functions/lib/index.js: the deployed code, otpkit inside it, the Firebase SDKs left to
 *   functions/package.json's dependencies. So functions/ deploys as it is, without workspace links.
 * - web/dist/: the page, with the Firebase JS SDK bundled for the browser.
 */
import { copyFile, mkdir } from "node:fs/promises";
import { build } from "esbuild";

const root = new URL("..", import.meta.url);
const at = (path) => new URL(path, root).pathname;

await Promise.all([
  build({
    entryPoints: [at("functions/src/index.ts")],
    outfile: at("functions/lib/index.js"),
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    external: ["firebase-admin", "firebase-functions"],
    // The `node` condition: otp-core's node:crypto HMAC.
    conditions: ["node"],
    logLevel: "warning",
    // otp-core's split chunks import each other bare; with `sideEffects: false` esbuild rightly drops those.
    logOverride: { "ignored-bare-import": "silent" },
  }),
  build({
    entryPoints: [at("web/app.ts")],
    outfile: at("web/dist/app.js"),
    bundle: true,
    platform: "browser",
    target: "es2022",
    format: "esm",
    minify: true,
    logLevel: "warning",
  }).then(async () => {
    await mkdir(at("web/dist"), { recursive: true });
    await copyFile(at("web/index.html"), at("web/dist/index.html"));
  }),
]);
