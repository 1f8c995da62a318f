#!/usr/bin/env node
// publint and @arethetypeswrong/cli on every publishable package (after `pnpm build`): what users
// install must resolve, with its types, from every resolver that matters. Profile `esm-only` (our
// packages are ESM), unless a package says otherwise in package.json `"attw": { "profile": … }`
// (CommonJS bundles such as Auth0's Actions). Export targets that are not code (schema.sql) are
// not type-checked. Prints one line per package; exits non-zero if any check failed.
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(import.meta.url), "../..");
const bin = (name) => join(root, "node_modules/.bin", name);
const packages = readdirSync(join(root, "packages"))
  .map((name) => join(root, "packages", name))
  .filter((dir) => {
    try {
      return !JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).private;
    } catch {
      return false;
    }
  });

const run = (command, args, cwd) =>
  new Promise((resolve) =>
    execFile(command, args, { cwd, timeout: 180_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) =>
      resolve({ ok: !error, output: `${stdout}${stderr}` }),
    ),
  );

async function check(dir) {
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const exclude = Object.entries(manifest.exports ?? {})
    .filter(([, target]) => typeof target === "string" && !/\.(c|m)?js$|package\.json$/.test(target))
    .map(([subpath]) => subpath);
  const profile = manifest.attw?.profile ?? "esm-only";
  const lint = await run(bin("publint"), ["--strict"], dir);
  const types = await run(
    bin("attw"),
    [
      "--pack",
      ".",
      "--profile",
      profile,
      "--format",
      "ascii",
      ...(exclude.length ? ["--exclude-entrypoints", ...exclude] : []),
    ],
    dir,
  );
  const ok = lint.ok && types.ok;
  console.log(
    `${ok ? "ok  " : "FAIL"} ${manifest.name}: publint ${lint.ok ? "clean" : "FAILED"}, attw (${profile}) ${types.ok ? "clean" : "FAILED"}`,
  );
  if (!lint.ok) console.log(lint.output);
  if (!types.ok) console.log(types.output);
  return ok;
}

// Two at a time: each packs a tarball and starts TypeScript.
const results = [];
for (let i = 0; i < packages.length; i += 2)
  results.push(...(await Promise.all(packages.slice(i, i + 2).map(check))));
if (results.includes(false)) process.exit(1);
