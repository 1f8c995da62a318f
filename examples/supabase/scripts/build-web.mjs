#!/usr/bin/env node
// Bundles the client page (supabase-js included) into dist/: index.html + main.js.
import { copyFile, mkdir } from "node:fs/promises";
import { build } from "esbuild";

const root = new URL("..", import.meta.url);
await mkdir(new URL("dist/", root), { recursive: true });
await build({
  entryPoints: [new URL("app/main.ts", root).pathname],
  outfile: new URL("dist/main.js", root).pathname,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  logLevel: "warning",
});
await copyFile(new URL("app/index.html", root), new URL("dist/index.html", root));
